package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A region of a table: an id, an epoch, the handle range it owns, and its rows in columnar
 * chunks, each written at a commit timestamp. Reads take a snapshot at a timestamp: a row
 * version is visible when its commit ts is at or below it, the newest visible version of a
 * handle wins, and deleted handles are hidden.
 *
 * <p>Writes are serialized; reads never block them and see the chunks present when the
 * snapshot was taken. Chunks are immutable, so scans hand their buffers out without copying.
 * The region owns its memory (a child allocator) until {@link #close()}, which the catalog calls
 * when the node stops.
 */
public final class Region implements AutoCloseable {
    /** The most rows a stored chunk holds; larger writes are cut. */
    public static final int MAX_CHUNK_ROWS = 8192;

    private final long id;
    private final TableInfo table;
    private final HandleRange range;
    private final BufferAllocator allocator;
    private final Schema schema;
    private volatile RegionEpoch epoch;
    private volatile List<Chunk> chunks = List.of();
    /** True once a handle was written twice or deleted: reads must then pick versions. */
    private volatile boolean versioned;
    private long lastHandle = Long.MIN_VALUE;
    private boolean anyRow;
    private volatile long rows;
    private volatile long bytes;

    Region(long id, TableInfo table, RegionEpoch epoch, HandleRange range, BufferAllocator parent) {
        this.id = id;
        this.table = requireNonNull(table, "table is null");
        this.epoch = requireNonNull(epoch, "epoch is null");
        this.range = requireNonNull(range, "range is null");
        this.schema = Tables.arrowSchema(table.columns());
        this.allocator = parent.newChildAllocator("region-" + id, 0, Long.MAX_VALUE);
    }

    public long id() {
        return id;
    }

    public long tableId() {
        return table.id();
    }

    public TableInfo table() {
        return table;
    }

    public RegionEpoch epoch() {
        return epoch;
    }

    public HandleRange range() {
        return range;
    }

    public byte[] startKey() {
        return RecordKeys.startKey(table.id(), range);
    }

    public byte[] endKey() {
        return RecordKeys.endKey(table.id(), range);
    }

    /** Row versions and deletions stored, not the rows a snapshot sees. */
    public long storedRows() {
        return rows;
    }

    public long bytes() {
        return bytes;
    }

    /**
     * Writes rows at {@code commitTs}: one handle per row, each inside the region's range.
     * Takes ownership of {@code batch} and {@code handles} (their memory moves to the region),
     * whether it succeeds or not.
     *
     * @throws IllegalArgumentException naming the problem when the schema, a handle or the counts are wrong
     */
    public void append(VectorSchemaRoot batch, BigIntVector handles, long commitTs) {
        if (batch.getRowCount() > MAX_CHUNK_ROWS && batch.getRowCount() == handles.getValueCount()) {
            // Scans share whole buffers, and a shared buffer counts in full against a query's
            // memory: large batches are stored as chunks of their own memory.
            try {
                for (int from = 0; from < batch.getRowCount(); from += MAX_CHUNK_ROWS) {
                    int count = Math.min(MAX_CHUNK_ROWS, batch.getRowCount() - from);
                    append(copy(batch, from, count), (BigIntVector) copy(handles, from, count), commitTs);
                }
            } finally {
                batch.close();
                handles.close();
            }
            return;
        }
        VectorSchemaRoot ownedRows = null;
        BigIntVector ownedHandles = null;
        try {
            checkAppend(batch, handles, commitTs);
            ownedRows = transfer(batch);
            ownedHandles = (BigIntVector) transfer(handles);
            synchronized (this) {
                long[] minMax = checkHandles(ownedHandles);
                boolean increasing = isStrictlyIncreasing(ownedHandles) && (!anyRow || minMax[0] > lastHandle);
                add(new Chunk(ownedRows, ownedHandles, commitTs, minMax[0], minMax[1]), !increasing);
                if (ownedHandles.getValueCount() > 0) {
                    anyRow = true;
                    lastHandle = Math.max(lastHandle, minMax[1]);
                }
            }
        } catch (RuntimeException e) {
            close(ownedRows == null ? batch : ownedRows, ownedHandles == null ? handles : ownedHandles);
            throw e;
        } finally {
            batch.close();
            handles.close();
        }
    }

    /** Deletes handles at {@code commitTs}. Takes ownership of {@code handles}. */
    public void delete(BigIntVector handles, long commitTs) {
        BigIntVector owned = null;
        try {
            if (commitTs < 0) {
                throw new IllegalArgumentException("commit ts is negative: " + commitTs);
            }
            owned = (BigIntVector) transfer(handles);
            synchronized (this) {
                long[] minMax = checkHandles(owned);
                add(new Chunk(null, owned, commitTs, minMax[0], minMax[1]), true);
            }
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            throw e;
        } finally {
            handles.close();
        }
    }

    /** Sets a new epoch (a split, a merge or a membership change elsewhere). */
    public void setEpoch(RegionEpoch newEpoch) {
        this.epoch = requireNonNull(newEpoch, "newEpoch is null");
    }

    /**
     * The rows visible at {@code startTs} whose handles lie in {@code ranges} (in the region's
     * range; an empty list means the whole region), as pieces of chunks in write order.
     */
    public List<ScanPiece> snapshot(long startTs, List<HandleRange> ranges) {
        List<Chunk> current = chunks;
        List<HandleRange> wanted = ranges.isEmpty() || ranges.stream().anyMatch(r -> r.covers(range)) ? List.of() : List.copyOf(ranges);
        List<ScanPiece> pieces = new ArrayList<>();
        if (!versioned) {
            for (Chunk chunk : current) {
                if (chunk.commitTs() > startTs || chunk.size() == 0) {
                    continue;
                }
                if (wanted.isEmpty() || wanted.stream().anyMatch(r -> r.contains(chunk.minHandle()) && r.contains(chunk.maxHandle()))) {
                    pieces.add(ScanPiece.whole(chunk));
                } else {
                    int[] selected = select(chunk, wanted);
                    if (selected.length > 0) {
                        pieces.add(ScanPiece.selected(chunk, selected));
                    }
                }
            }
            return pieces;
        }
        // The newest version at or below startTs of each handle: chunk index and row, packed.
        Map<Long, long[]> newest = new HashMap<>();
        for (int c = 0; c < current.size(); c++) {
            Chunk chunk = current.get(c);
            if (chunk.commitTs() > startTs) {
                continue;
            }
            BigIntVector handles = chunk.handles();
            for (int row = 0; row < chunk.size(); row++) {
                long handle = handles.get(row);
                long[] seen = newest.get(handle);
                if (seen == null) {
                    newest.put(handle, new long[] {chunk.commitTs(), c, row});
                } else if (chunk.commitTs() >= seen[0]) {
                    seen[0] = chunk.commitTs();
                    seen[1] = c;
                    seen[2] = row;
                }
            }
        }
        List<List<Integer>> visible = new ArrayList<>();
        for (int c = 0; c < current.size(); c++) {
            visible.add(new ArrayList<>());
        }
        for (Map.Entry<Long, long[]> entry : newest.entrySet()) {
            long[] version = entry.getValue();
            Chunk chunk = current.get((int) version[1]);
            if (chunk.isDelete() || (!wanted.isEmpty() && wanted.stream().noneMatch(r -> r.contains(entry.getKey())))) {
                continue;
            }
            visible.get((int) version[1]).add((int) version[2]);
        }
        for (int c = 0; c < current.size(); c++) {
            List<Integer> rowsOfChunk = visible.get(c);
            if (rowsOfChunk.isEmpty()) {
                continue;
            }
            Chunk chunk = current.get(c);
            if (rowsOfChunk.size() == chunk.size()) {
                pieces.add(ScanPiece.whole(chunk));
            } else {
                pieces.add(ScanPiece.selected(chunk, rowsOfChunk.stream().mapToInt(Integer::intValue).sorted().toArray()));
            }
        }
        return pieces;
    }

    private static int[] select(Chunk chunk, List<HandleRange> wanted) {
        BigIntVector handles = chunk.handles();
        int[] selected = new int[chunk.size()];
        int count = 0;
        for (int row = 0; row < chunk.size(); row++) {
            long handle = handles.get(row);
            for (HandleRange r : wanted) {
                if (r.contains(handle)) {
                    selected[count++] = row;
                    break;
                }
            }
        }
        return java.util.Arrays.copyOf(selected, count);
    }

    private void add(Chunk chunk, boolean makesVersions) {
        List<Chunk> next = new ArrayList<>(chunks.size() + 1);
        next.addAll(chunks);
        next.add(chunk);
        if (makesVersions) {
            versioned = true;
        }
        rows += chunk.size();
        bytes += chunk.bytes();
        chunks = List.copyOf(next);
    }

    private void checkAppend(VectorSchemaRoot batch, BigIntVector handles, long commitTs) {
        if (commitTs < 0) {
            throw new IllegalArgumentException("commit ts is negative: " + commitTs);
        }
        if (!batch.getSchema().getFields().equals(schema.getFields())) {
            List<String> want = schema.getFields().stream().map(Object::toString).toList();
            List<String> got = batch.getSchema().getFields().stream().map(Object::toString).toList();
            throw new IllegalArgumentException("rows for table '" + table.name() + "' have columns " + got + "; the table has " + want);
        }
        if (batch.getRowCount() != handles.getValueCount()) {
            throw new IllegalArgumentException(batch.getRowCount() + " rows came with " + handles.getValueCount() + " handles");
        }
    }

    private long[] checkHandles(BigIntVector handles) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int row = 0; row < handles.getValueCount(); row++) {
            if (handles.isNull(row)) {
                throw new IllegalArgumentException("row " + row + " has a null handle");
            }
            long handle = handles.get(row);
            if (!range.contains(handle)) {
                throw new IllegalArgumentException("handle " + handle + " is outside region " + id + " of table '"
                        + table.name() + "', which holds handles " + range);
            }
            min = Math.min(min, handle);
            max = Math.max(max, handle);
        }
        return new long[] {min, max};
    }

    private static boolean isStrictlyIncreasing(BigIntVector handles) {
        for (int row = 1; row < handles.getValueCount(); row++) {
            if (handles.get(row) <= handles.get(row - 1)) {
                return false;
            }
        }
        return true;
    }

    private VectorSchemaRoot copy(VectorSchemaRoot batch, int from, int count) {
        List<FieldVector> vectors = new ArrayList<>();
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                vectors.add(copy(vector, from, count));
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, count);
    }

    private FieldVector copy(FieldVector vector, int from, int count) {
        FieldVector target = vector.getField().createVector(allocator);
        try {
            target.setInitialCapacity(count);
            target.allocateNew();
            for (int row = 0; row < count; row++) {
                target.copyFromSafe(from + row, row, vector);
            }
            target.setValueCount(count);
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        return target;
    }

    private VectorSchemaRoot transfer(VectorSchemaRoot batch) {
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector vector : batch.getFieldVectors()) {
            var pair = vector.getTransferPair(allocator);
            pair.transfer();
            vectors.add((FieldVector) pair.getTo());
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
    }

    private FieldVector transfer(FieldVector vector) {
        var pair = vector.getTransferPair(allocator);
        pair.transfer();
        return (FieldVector) pair.getTo();
    }

    private static void close(AutoCloseable... things) {
        for (AutoCloseable thing : things) {
            try {
                if (thing != null) {
                    thing.close();
                }
            } catch (Exception ignored) {
                // best effort on a failed write
            }
        }
    }

    /** Frees the region's memory. Only when no scan reads it (the node has stopped its tasks). */
    @Override
    public synchronized void close() {
        chunks.forEach(Chunk::close);
        chunks = List.of();
        allocator.close();
    }

    @Override
    public String toString() {
        return "region " + id + " of table '" + table.name() + "' " + range + " " + epoch;
    }
}
