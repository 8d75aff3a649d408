package io.mppnode.exchange.partition;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Splits a batch into one batch per partition by the {@link PartitionHash} of its key columns:
 * row {@code r} goes to partition {@code PartitionHash.partition(hash(r), partitionCount)}. Rows
 * keep their input order within a partition, and every column is carried (key or not).
 *
 * <p>Arrow memory: {@link #split} only reads the input batch, which stays the caller's. The
 * batches it returns are new, allocated from the given allocator, share no buffer with the input,
 * and belong to the caller, who closes each of them. A partition that receives no row gets no
 * batch: its entry is {@code null}.
 *
 * <p>How: hash all rows (one loop per key column), turn the hashes into partition ids, order the
 * row numbers by partition with a counting sort (stable), then for each non-empty partition copy
 * its rows column by column with a bulk path per vector layout ({@link RowGather}).
 *
 * <p>Not thread-safe (it reuses scratch arrays between batches): use one per driver.
 */
public final class HashPartitioner {
    private final PartitionHash hash;
    private final int partitionCount;
    private long[] hashes = new long[0];
    private int[] partitionOfRow = new int[0];
    private int[] rowsByPartition = new int[0];
    private final int[] partitionStart;
    private final int[] nextSlot;

    /**
     * @param schema the schema of the batches to split
     * @param keyColumns indices of the key columns in {@code schema}, in key order
     * @param partitionCount the number of partitions, e.g. {@link Partitioning#partitionCount()}
     * @throws IllegalArgumentException as {@link PartitionHash#PartitionHash}, or when
     *     {@code partitionCount} is less than 1
     */
    public HashPartitioner(Schema schema, List<Integer> keyColumns, int partitionCount) {
        if (partitionCount < 1) {
            throw new IllegalArgumentException("partitionCount must be at least 1, was " + partitionCount);
        }
        this.hash = new PartitionHash(schema, keyColumns);
        this.partitionCount = partitionCount;
        this.partitionStart = new int[partitionCount + 1];
        this.nextSlot = new int[partitionCount];
    }

    public int partitionCount() {
        return partitionCount;
    }

    /**
     * Splits {@code batch} by partition.
     *
     * @param batch the rows to split; only read, and still the caller's afterwards
     * @param allocator where the returned batches' buffers are allocated
     * @return an array of {@link #partitionCount()} entries: the batch of partition {@code p} at
     *     index {@code p}, or {@code null} when no row went there. The caller owns and closes every
     *     non-null entry. If the split fails, nothing it allocated is left open.
     */
    public VectorSchemaRoot[] split(VectorSchemaRoot batch, BufferAllocator allocator) {
        requireNonNull(batch, "batch is null");
        requireNonNull(allocator, "allocator is null");
        VectorSchemaRoot[] partitions = new VectorSchemaRoot[partitionCount];
        int rowCount = batch.getRowCount();
        if (rowCount == 0) {
            return partitions;
        }
        orderRowsByPartition(batch, rowCount);
        Schema schema = batch.getSchema();
        int columnCount = batch.getFieldVectors().size();
        try {
            for (int partition = 0; partition < partitionCount; partition++) {
                int from = partitionStart[partition];
                int count = partitionStart[partition + 1] - from;
                if (count == 0) {
                    continue;
                }
                VectorSchemaRoot out = VectorSchemaRoot.create(schema, allocator);
                partitions[partition] = out;
                for (int column = 0; column < columnCount; column++) {
                    RowGather.gather(batch.getVector(column), rowsByPartition, from, count, out.getVector(column));
                }
                out.setRowCount(count);
            }
            return partitions;
        } catch (RuntimeException | Error e) {
            for (VectorSchemaRoot partition : partitions) {
                if (partition != null) {
                    partition.close();
                }
            }
            throw e;
        }
    }

    /**
     * Fills {@code rowsByPartition} with the row numbers grouped by partition, in row order within
     * each, the rows of partition {@code p} at {@code [partitionStart[p], partitionStart[p + 1])}.
     */
    private void orderRowsByPartition(VectorSchemaRoot batch, int rowCount) {
        if (hashes.length < rowCount) {
            hashes = new long[rowCount];
            partitionOfRow = new int[rowCount];
            rowsByPartition = new int[rowCount];
        }
        hash.hashRows(batch, hashes);
        Arrays.fill(partitionStart, 0);
        for (int row = 0; row < rowCount; row++) {
            int partition = (int) Long.remainderUnsigned(hashes[row], partitionCount);
            partitionOfRow[row] = partition;
            partitionStart[partition + 1]++;
        }
        for (int partition = 0; partition < partitionCount; partition++) {
            partitionStart[partition + 1] += partitionStart[partition];
        }
        System.arraycopy(partitionStart, 0, nextSlot, 0, partitionCount);
        for (int row = 0; row < rowCount; row++) {
            rowsByPartition[nextSlot[partitionOfRow[row]]++] = row;
        }
    }
}
