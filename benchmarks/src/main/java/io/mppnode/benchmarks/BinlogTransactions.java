package io.mppnode.benchmarks;

import com.google.protobuf.ByteString;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.server.binlog.BinlogEvents;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * TPC-H lineitem as binlog transactions for {@link BinlogBenchmark}: one transaction per
 * generated batch, its PREWRITE inserting the batch's rows (with the generator's handles, so no
 * two transactions share a handle) into {@link TpchTable#LINEITEM}.
 *
 * <p>The rows are encoded once, here: each transaction keeps the encoding of its mutations (a
 * {@code BinlogEvent} with only field 4 set), and {@link #prewrite} prepends the few bytes of the
 * type and start ts. Two encodings of one message type, one after the other, parse as their
 * merge, so the result is the event {@code BinlogEvents.insert} would build, byte for byte, for
 * the cost of a rope node rather than of encoding a thousand rows. Immutable and thread-safe.
 */
final class BinlogTransactions {
    private final List<ByteString> mutations;
    private final int[] rows;
    private final long totalRows;
    private final long totalMutationBytes;

    private BinlogTransactions(List<ByteString> mutations, int[] rows) {
        this.mutations = List.copyOf(mutations);
        this.rows = rows.clone();
        long rowSum = 0;
        long byteSum = 0;
        for (int i = 0; i < rows.length; i++) {
            rowSum += rows[i];
            byteSum += mutations.get(i).size();
        }
        this.totalRows = rowSum;
        this.totalMutationBytes = byteSum;
    }

    /** Lineitem at {@code scaleFactor}, in transactions of {@code batchRows} rows (the last may have fewer). */
    static BinlogTransactions lineitem(double scaleFactor, int batchRows) {
        List<ByteString> mutations = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        try (BufferAllocator scratch = new RootAllocator(Long.MAX_VALUE)) {
            TpchGenerator.generate(TpchTable.LINEITEM, scaleFactor, 1, 1, batchRows, scratch, batch -> {
                try (batch) {
                    // Start ts 0 and type PREWRITE (0) are defaults and not encoded: only the mutations are.
                    mutations.add(BinlogEvents.insert(0, TpchTable.LINEITEM.id(), batch.rows(), batch.handles()).toByteString());
                    rows.add(batch.rows().getRowCount());
                }
            });
        }
        return new BinlogTransactions(mutations, rows.stream().mapToInt(Integer::intValue).toArray());
    }

    int count() {
        return mutations.size();
    }

    /** Rows of transaction {@code index}. */
    int rows(int index) {
        return rows[index];
    }

    long totalRows() {
        return totalRows;
    }

    /** The bytes of every transaction's mutations (each PREWRITE payload is a few bytes more). */
    long totalMutationBytes() {
        return totalMutationBytes;
    }

    /** The PREWRITE payload of transaction {@code index} at {@code startTs}. */
    ByteString prewrite(int index, long startTs) {
        return BinlogEvents.prewrite(startTs, List.of()).toByteString().concat(mutations.get(index));
    }

    /** A COMMIT payload (a few bytes: encoded on the spot). */
    static ByteString commit(long startTs, long commitTs) {
        return BinlogEvents.commit(startTs, commitTs).toByteString();
    }
}
