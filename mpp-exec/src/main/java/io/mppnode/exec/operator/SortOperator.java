package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.sort.IndexSort;
import io.mppnode.exec.operator.sort.RowBuffer;
import io.mppnode.exec.operator.sort.SortKeys;
import java.util.List;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Sorts its whole input by one or more keys, each ascending or descending with its NULLs first
 * or last. Integers, dates and timestamps compare by value, FLOAT64 with NaN above every number,
 * decimals by value, strings by their UTF-8 bytes as unsigned values, false before true.
 *
 * <p>While input comes, each batch's buffers move into this operator's allocator (no copy, but
 * counted under its executor) and its keys are evaluated once, into Java arrays counted in the
 * same allocator ({@link SortKeys}). {@link #finish()} sorts an array of row numbers once
 * ({@link IndexSort}: stable, so rows with equal keys keep their input order), then merges the
 * input into one batch per column; {@link #getOutput()} gathers batches of at most
 * {@code batchRows} sorted rows from it ({@link RowBuffer#gather}). The input is freed once the
 * last batch is out.
 *
 * <p>Everything it holds is freed by {@link #close()}, at any point. Not thread-safe.
 */
public final class SortOperator implements Operator {
    /** The most rows it sorts in memory (row numbers are Java array indexes). */
    private static final int MAX_ROWS = Integer.MAX_VALUE - 8;

    private final OperatorContext context;
    private final int batchRows;
    private final HeapMemory heapMemory;
    private final SortKeys keys;
    private final RowBuffer rows;
    private int[] order;
    private int sortedRows;
    private int nextRow;
    private boolean finishing;
    private boolean sorted;
    private boolean closed;

    /**
     * @param keys the key expressions over the input, most significant first
     * @param orders the order of each key
     * @param batchRows the most rows of an output batch
     */
    public SortOperator(OperatorContext context, List<VectorExpr> keys, List<SortOrder> orders, int batchRows) {
        this.context = requireNonNull(context, "context is null");
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        this.batchRows = batchRows;
        this.heapMemory = new HeapMemory(context.allocator());
        this.keys = new SortKeys(keys, orders, heapMemory);
        this.rows = new RowBuffer(context.allocator());
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finishing && !closed;
    }

    /**
     * Takes ownership of {@code batch}: its buffers move into this operator's allocator.
     *
     * @throws OutOfMemoryException when the buffered input or its keys exceed the memory limit
     */
    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            if (!needsInput()) {
                throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
            }
            if (batch.getRowCount() == 0) {
                return;
            }
            if ((long) rows.rowCount() + batch.getRowCount() > MAX_ROWS) {
                throw new OutOfMemoryException("executor '" + context.executorId() + "' cannot sort more than "
                        + MAX_ROWS + " rows in memory");
            }
            rows.add(BatchTransfer.transfer(batch, context.allocator()));
            try {
                BatchTransfer.checkLimit(context.allocator(), context.executorId());
                keys.append(rows.lastBatch(), context.allocator());
            } catch (RuntimeException | Error e) {
                rows.removeLast();
                throw e;
            }
        }
    }

    /**
     * Sorts what was buffered (on the first call; later calls do nothing).
     *
     * @throws OutOfMemoryException when the row numbers or the merged input exceed the memory limit
     */
    @Override
    public void finish() {
        if (finishing || closed) {
            finishing = true;
            return;
        }
        finishing = true;
        int count = rows.rowCount();
        if (count > 0) {
            int scratchLength = IndexSort.scratchLength(count);
            heapMemory.reserve(4L * count + 4L * scratchLength);
            order = new int[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            IndexSort.sort(order, count, new int[scratchLength], keys.comparator());
            heapMemory.release(4L * scratchLength);
            keys.close();
            rows.merge();
        }
        sortedRows = count;
        sorted = true;
    }

    /** The next batch of sorted rows, in this operator's allocator, or null; it belongs to the caller. */
    @Override
    public VectorSchemaRoot getOutput() {
        if (!sorted || closed || nextRow >= sortedRows) {
            return null;
        }
        int count = Math.min(batchRows, sortedRows - nextRow);
        VectorSchemaRoot output = rows.gather(order, nextRow, count);
        nextRow += count;
        if (nextRow == sortedRows) {
            release();
        }
        return output;
    }

    @Override
    public boolean isFinished() {
        return closed || (sorted && nextRow >= sortedRows);
    }

    @Override
    public void close() {
        closed = true;
        release();
    }

    private void release() {
        keys.close();
        rows.close();
        order = null;
        heapMemory.close();
    }
}
