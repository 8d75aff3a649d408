package io.mppnode.exec.hash;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.partition.PartitionHash;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Assigns a dense group id (0, 1, 2, ... in order of first appearance) to each distinct
 * combination of key values: the hash table of hash aggregation, count distinct and hash join.
 * Two NULLs are equal here; a join that must not match NULL keys leaves such rows out itself.
 *
 * <p>Layout: the distinct keys live in Arrow vectors of the key types (one per key column,
 * indexed by group id) from the given allocator; an open-addressing table of group ids with
 * linear probing and each group's hash live on the heap, accounted in the allocator through
 * {@link HeapMemory}. Rows are hashed a batch at a time with the exchange's {@link
 * PartitionHash}; the slot comes from a remix of that hash, so that the rows of one hash
 * partition (which share its residue) still spread over the whole table.
 *
 * <p>Not thread-safe. It reads the key vectors it is given and never retains them; {@link
 * #close()} frees everything it holds. A failed allocation (OutOfMemoryException) leaves it
 * consistent: the row that could not be added has no group.
 */
public final class GroupByHash implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 1024;

    private final List<DataType> keyTypes;
    private final BufferAllocator allocator;
    private final HeapMemory heap;
    private final KeyColumn[] keys;
    private final PartitionHash hash;
    private final Schema keySchema;
    private long[] rowHashes = new long[0];
    /** Group id + 1 per slot; 0 is an empty slot. */
    private int[] slots;
    private long[] groupHashes;
    private int mask;
    private int groupCount;

    /**
     * @param keyTypes the key columns' types, at least one
     * @param allocator where the distinct keys and the accounted heap live
     */
    public GroupByHash(List<DataType> keyTypes, BufferAllocator allocator) {
        this.keyTypes = List.copyOf(keyTypes);
        if (this.keyTypes.isEmpty()) {
            throw new IllegalArgumentException("a hash needs at least one key");
        }
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.keySchema = new Schema(IntStream.range(0, this.keyTypes.size())
                .mapToObj(i -> ColumnTypes.toArrowField("key" + i, this.keyTypes.get(i))).toList());
        this.hash = new PartitionHash(keySchema, IntStream.range(0, this.keyTypes.size()).boxed().toList());
        this.heap = new HeapMemory(allocator);
        this.keys = new KeyColumn[this.keyTypes.size()];
        try {
            for (int i = 0; i < keys.length; i++) {
                keys[i] = KeyColumn.create(this.keyTypes.get(i), allocator);
            }
            heap.reserve((long) INITIAL_CAPACITY * (Integer.BYTES + Long.BYTES));
            slots = new int[INITIAL_CAPACITY];
            groupHashes = new long[INITIAL_CAPACITY];
            mask = INITIAL_CAPACITY - 1;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    public List<DataType> keyTypes() {
        return keyTypes;
    }

    public int groupCount() {
        return groupCount;
    }

    /**
     * Writes the group id of each of the first {@code rows} rows into {@code groupIds}, adding a
     * group for each new combination of values.
     *
     * @param keyVectors one vector per key column, of the key's type, with at least {@code rows} values
     */
    public void putAll(FieldVector[] keyVectors, int rows, int[] groupIds) {
        long[] hashes = hashRows(keyVectors, rows);
        for (int row = 0; row < rows; row++) {
            long rowHash = hashes[row];
            int slot = slotOf(rowHash);
            while (true) {
                int group = slots[slot] - 1;
                if (group < 0) {
                    group = addGroup(keyVectors, row, rowHash);
                    slots[slot] = group + 1;
                    groupIds[row] = group;
                    if (groupCount * 2 > slots.length) {
                        rehash();
                    }
                    break;
                }
                if (groupHashes[group] == rowHash && matches(keyVectors, row, group)) {
                    groupIds[row] = group;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    /**
     * Writes the group id of each of the first {@code rows} rows into {@code groupIds}, or -1
     * for a combination that has no group; adds nothing.
     */
    public void findAll(FieldVector[] keyVectors, int rows, int[] groupIds) {
        findAll(keyVectors, rows, hashRows(keyVectors, rows), groupIds);
    }

    /**
     * As {@link #findAll(FieldVector[], int, int[])}, with the rows' hashes computed by the
     * caller: {@code hashes[row]} is the {@link PartitionHash} of the row over the key columns
     * in key order (a PartitionHash over fields of {@link #keyTypes()}). It only reads this hash,
     * so several threads may call it at once (each with its own PartitionHash, since that is not
     * thread-safe) as long as no {@link #putAll} runs: the probes of a hash join share one table.
     */
    public void findAll(FieldVector[] keyVectors, int rows, long[] hashes, int[] groupIds) {
        if (keyVectors.length != keys.length) {
            throw new IllegalArgumentException("expected " + keys.length + " key vectors, got " + keyVectors.length);
        }
        for (int row = 0; row < rows; row++) {
            long rowHash = hashes[row];
            int slot = slotOf(rowHash);
            int found = -1;
            while (true) {
                int group = slots[slot] - 1;
                if (group < 0) {
                    break;
                }
                if (groupHashes[group] == rowHash && matches(keyVectors, row, group)) {
                    found = group;
                    break;
                }
                slot = (slot + 1) & mask;
            }
            groupIds[row] = found;
        }
    }

    /**
     * The key values of groups {@code [from, from + count)} as new vectors in {@code target}, one
     * per key column, in group order, each with the given field (name and type of the key); they
     * belong to the caller.
     */
    public List<FieldVector> keyValues(int from, int count, List<Field> fields, BufferAllocator target) {
        if (from < 0 || count < 0 || from + count > groupCount) {
            throw new IndexOutOfBoundsException("groups [" + from + ", " + (from + count) + ") of " + groupCount);
        }
        if (fields.size() != keys.length) {
            throw new IllegalArgumentException(fields.size() + " fields for " + keys.length + " keys");
        }
        List<FieldVector> values = new ArrayList<>(keys.length);
        try {
            for (int i = 0; i < keys.length; i++) {
                KeyColumn key = keys[i];
                key.store.setValueCount(groupCount);
                FieldVector value = fields.get(i).createVector(target);
                values.add(value);
                key.store.makeTransferPair(value).splitAndTransfer(from, count);
            }
        } catch (RuntimeException | Error e) {
            values.forEach(FieldVector::close);
            throw e;
        }
        return values;
    }

    /** The bytes this hash holds: key vectors and accounted heap. */
    public long memoryBytes() {
        long bytes = heap.usedBytes();
        for (KeyColumn key : keys) {
            if (key != null) {
                bytes += key.store.getBufferSize();
            }
        }
        return bytes;
    }

    @Override
    public void close() {
        for (KeyColumn key : keys) {
            if (key != null) {
                key.close();
            }
        }
        slots = null;
        groupHashes = null;
        heap.close();
    }

    private long[] hashRows(FieldVector[] keyVectors, int rows) {
        if (keyVectors.length != keys.length) {
            throw new IllegalArgumentException("expected " + keys.length + " key vectors, got " + keyVectors.length);
        }
        if (rowHashes.length < rows) {
            heap.reserve((long) (rows - rowHashes.length) * Long.BYTES);
            rowHashes = new long[rows];
        }
        // A root over the caller's vectors, only to hash them: never closed, it owns nothing.
        VectorSchemaRoot batch = new VectorSchemaRoot(keySchema.getFields(), Arrays.asList(keyVectors), rows);
        hash.hashRows(batch, rowHashes);
        return rowHashes;
    }

    private int slotOf(long rowHash) {
        // Murmur3's 64-bit finalizer, so that the slot bits do not repeat the partition's residue.
        long h = rowHash;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h & mask;
    }

    private boolean matches(FieldVector[] keyVectors, int row, int group) {
        for (int i = 0; i < keys.length; i++) {
            if (!keys[i].matches(keyVectors[i], row, group)) {
                return false;
            }
        }
        return true;
    }

    private int addGroup(FieldVector[] keyVectors, int row, long rowHash) {
        int group = groupCount;
        if (group == groupHashes.length) {
            heap.reserve((long) group * Long.BYTES);
            groupHashes = Arrays.copyOf(groupHashes, group * 2);
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i].append(keyVectors[i], row, group);
        }
        groupHashes[group] = rowHash;
        groupCount++;
        return group;
    }

    private void rehash() {
        int capacity = slots.length * 2;
        heap.reserve((long) capacity * Integer.BYTES);
        int[] grown = new int[capacity];
        int oldBytes = slots.length * Integer.BYTES;
        slots = grown;
        mask = capacity - 1;
        for (int group = 0; group < groupCount; group++) {
            int slot = slotOf(groupHashes[group]);
            while (slots[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[slot] = group + 1;
        }
        heap.release(oldBytes);
    }
}
