package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.sort.IndexSort;
import io.mppnode.exec.operator.sort.RowBuffer;
import io.mppnode.exec.operator.sort.RowComparator;
import io.mppnode.exec.operator.sort.SortKeys;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The first {@code limit} rows of its input in the order of its keys (as {@link SortOperator}
 * orders them; which of several rows with keys equal to the last one kept is not specified), in
 * memory bounded by the limit rather than by the input.
 *
 * <p>It keeps a binary heap of the row numbers of the best {@code limit} rows seen so far, the
 * worst of them at the top. Each input batch moves into this operator's allocator and its keys
 * are evaluated once ({@link SortKeys}); each row is then offered to the heap, which, once full,
 * takes a row only if it sorts before the top, found with one comparison. A batch none of whose
 * rows got in is freed at once, with its keys. A batch with some rows in is kept whole, so rows
 * that never got in, or were pushed out since, pile up as garbage: when the garbage outgrows
 * the heap (and 1024 rows), the heap's rows are compacted into one new batch and new key arrays
 * ({@link RowBuffer#retainAscending}, {@link SortKeys#retain}). So it holds at most about twice
 * the limit, plus 1024 rows and one input batch. {@link #finish()} compacts a last time and sorts
 * the heap's rows; {@link #getOutput()} gathers batches of at most {@code batchRows} rows.
 *
 * <p>A limit of 0 is finished from the start and takes no input. Everything it holds is freed by
 * {@link #close()}, at any point. Not thread-safe.
 */
public final class TopNOperator implements Operator {
    private static final int MAX_ROWS = Integer.MAX_VALUE - 8;
    private static final int MIN_GARBAGE_ROWS = 1024;

    private final OperatorContext context;
    private final long limit;
    private final int batchRows;
    private final HeapMemory heapMemory;
    private final SortKeys keys;
    private final RowComparator comparator;
    private final RowBuffer rows;
    /** A max-heap of row numbers by the comparator: the worst kept row at 0; after the sort, the output order. */
    private int[] heap = new int[0];
    private int heapSize;
    private int nextRow;
    private int compactions;
    private boolean finishing;
    private boolean sorted;
    private boolean closed;

    /**
     * @param keys the key expressions over the input, most significant first
     * @param orders the order of each key
     * @param limit the most rows to keep, at least 0
     * @param batchRows the most rows of an output batch
     */
    public TopNOperator(OperatorContext context, List<VectorExpr> keys, List<SortOrder> orders, long limit,
            int batchRows) {
        this.context = requireNonNull(context, "context is null");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        this.limit = limit;
        this.batchRows = batchRows;
        this.heapMemory = new HeapMemory(context.allocator());
        this.keys = new SortKeys(keys, orders, heapMemory);
        this.comparator = this.keys.comparator();
        this.rows = new RowBuffer(context.allocator());
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finishing && !closed && limit > 0;
    }

    /**
     * Takes ownership of {@code batch}: its buffers move into this operator's allocator, and are
     * freed at once unless one of its rows is among the best so far.
     *
     * @throws OutOfMemoryException when what it holds exceeds the memory limit
     */
    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            if (!needsInput()) {
                throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
            }
            int count = batch.getRowCount();
            if (count == 0) {
                return;
            }
            if ((long) rows.rowCount() + count > MAX_ROWS) {
                throw new OutOfMemoryException("executor '" + context.executorId() + "' cannot hold more than "
                        + MAX_ROWS + " rows in memory");
            }
            int first = rows.rowCount();
            rows.add(BatchTransfer.transfer(batch, context.allocator()));
            try {
                BatchTransfer.checkLimit(context.allocator(), context.executorId());
                keys.append(rows.lastBatch(), context.allocator());
            } catch (RuntimeException | Error e) {
                rows.removeLast();
                throw e;
            }
            if (!offer(first, first + count)) {
                keys.truncate(first);
                rows.removeLast();
            } else if (rows.rowCount() - heapSize > Math.max(heapSize, MIN_GARBAGE_ROWS)) {
                compact();
            }
        }
    }

    /** Offers rows {@code from .. to - 1} to the heap; whether any got in. */
    private boolean offer(int from, int to) {
        boolean taken = false;
        for (int row = from; row < to; row++) {
            if (heapSize < limit) {
                push(row);
                taken = true;
            } else if (comparator.compare(row, heap[0]) < 0) {
                heap[0] = row;
                siftDown(0);
                taken = true;
            }
        }
        return taken;
    }

    private void push(int row) {
        if (heapSize == heap.length) {
            int grown = (int) Math.min(Math.min(limit, MAX_ROWS), Math.max(16, heap.length + (heap.length >> 1)));
            heapMemory.reserve(4L * grown);
            heap = Arrays.copyOf(heap, grown);
            heapMemory.release(4L * heapSize);
        }
        int index = heapSize++;
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            if (comparator.compare(row, heap[parent]) <= 0) {
                break;
            }
            heap[index] = heap[parent];
            index = parent;
        }
        heap[index] = row;
    }

    private void siftDown(int index) {
        int row = heap[index];
        int half = heapSize >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            int right = child + 1;
            if (right < heapSize && comparator.compare(heap[right], heap[child]) > 0) {
                child = right;
            }
            if (comparator.compare(row, heap[child]) >= 0) {
                break;
            }
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = row;
    }

    /**
     * Keeps only the heap's rows: they become rows 0 .. heapSize-1, in row-number order, of one
     * batch. Renumbering keeps their order, so the heap stays a heap.
     */
    private void compact() {
        heapMemory.reserve(4L * heapSize);
        try {
            int[] kept = Arrays.copyOf(heap, heapSize);
            Arrays.sort(kept);
            for (int i = 0; i < heapSize; i++) {
                heap[i] = Arrays.binarySearch(kept, heap[i]);
            }
            keys.retain(kept, heapSize);
            rows.retainAscending(kept, heapSize);
        } finally {
            heapMemory.release(4L * heapSize);
        }
        compactions++;
    }

    /**
     * Sorts the rows kept (on the first call; later calls do nothing).
     *
     * @throws OutOfMemoryException when the last compaction exceeds the memory limit
     */
    @Override
    public void finish() {
        if (finishing || closed) {
            finishing = true;
            return;
        }
        finishing = true;
        if (heapSize > 0) {
            if (rows.rowCount() != heapSize || rows.batchCount() > 1) {
                compact();
            }
            // The heap now holds 0 .. heapSize-1: sorted, it is the output order.
            int scratchLength = IndexSort.scratchLength(heapSize);
            heapMemory.reserve(4L * scratchLength);
            IndexSort.sort(heap, heapSize, new int[scratchLength], comparator);
            heapMemory.release(4L * scratchLength);
            keys.close();
        } else {
            release();
        }
        sorted = true;
    }

    /** The next batch of the first rows, in this operator's allocator, or null; it belongs to the caller. */
    @Override
    public VectorSchemaRoot getOutput() {
        if (!sorted || closed || nextRow >= heapSize) {
            return null;
        }
        int count = Math.min(batchRows, heapSize - nextRow);
        VectorSchemaRoot output = rows.gather(heap, nextRow, count);
        nextRow += count;
        if (nextRow == heapSize) {
            release();
        }
        return output;
    }

    @Override
    public boolean isFinished() {
        return closed || limit == 0 || (sorted && nextRow >= heapSize);
    }

    /** How often the kept rows were compacted (for tests of the memory bound). */
    int compactions() {
        return compactions;
    }

    @Override
    public void close() {
        closed = true;
        release();
    }

    private void release() {
        keys.close();
        rows.close();
        heap = new int[0];
        heapMemory.close();
    }
}
