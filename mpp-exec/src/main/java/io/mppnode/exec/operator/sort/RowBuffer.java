package io.mppnode.exec.operator.sort;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.partition.RowGather;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.VectorAppender;

/**
 * The batches an operator buffers (a Sort's whole input, a TopN's candidate rows), with their
 * rows numbered 0, 1, 2, ... across the batches in the order they were added (the numbering of
 * {@link SortKeys}). The buffer owns its batches, which live in the operator's allocator, and
 * frees them on {@link #close()}. Not thread-safe.
 *
 * <p>Sorted output is gathered from one batch with the exchange's bulk {@link RowGather}: a Sort
 * first {@link #merge}s its batches into one, a column at a time, freeing each input column
 * as it is copied, so the peak is the input plus its largest column. A TopN {@link
 * #retainAscending compacts} its candidates the same way, copying only the rows it keeps.
 */
public final class RowBuffer implements AutoCloseable {
    private final BufferAllocator allocator;
    private final List<VectorSchemaRoot> batches = new ArrayList<>();
    /** starts[i]: the number of the first row of batch i; starts[batches.size()] == rowCount. */
    private int[] starts = new int[9];
    private int rowCount;

    /** @param allocator the operator's allocator, which holds the batches and makes the copies */
    public RowBuffer(BufferAllocator allocator) {
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /**
     * Adds a batch as the next rows. Takes ownership of {@code batch}, which must have rows, the
     * schema of the batches before it, and memory in this buffer's allocator.
     */
    public void add(VectorSchemaRoot batch) {
        if (batch.getRowCount() == 0) {
            batch.close();
            throw new IllegalArgumentException("a batch without rows is not buffered");
        }
        if (batches.size() + 1 >= starts.length) {
            starts = Arrays.copyOf(starts, starts.length * 2);
        }
        batches.add(batch);
        rowCount += batch.getRowCount();
        starts[batches.size()] = rowCount;
    }

    /** Frees the last batch added, and forgets its rows. */
    public void removeLast() {
        VectorSchemaRoot last = batches.removeLast();
        rowCount -= last.getRowCount();
        last.close();
    }

    /** The batch added last, still owned by this buffer. */
    public VectorSchemaRoot lastBatch() {
        return batches.getLast();
    }

    public int rowCount() {
        return rowCount;
    }

    public int batchCount() {
        return batches.size();
    }

    /**
     * Copies everything into one batch, a column at a time, freeing each copied column of the
     * buffered batches before the next column is copied.
     *
     * @return the one batch left (null when there are no rows), still owned by this buffer
     * @throws org.apache.arrow.memory.OutOfMemoryException when the copy does not fit; close
     *     the buffer then
     */
    public VectorSchemaRoot merge() {
        if (batches.size() > 1) {
            VectorSchemaRoot merged = concatenate(batches, rowCount, allocator);
            batches.forEach(VectorSchemaRoot::close);
            batches.clear();
            batches.add(merged);
            starts[1] = rowCount;
        }
        return batches.isEmpty() ? null : batches.getFirst();
    }

    /**
     * Keeps only the rows {@code rows[0 .. count)}, given in ascending order, which become rows
     * 0 .. count-1 of one new batch: each buffered batch's kept rows are gathered, the buffered
     * batches freed, and the gathered rows concatenated. {@code rows} is used as scratch: it
     * holds numbers within each batch afterwards.
     *
     * @throws org.apache.arrow.memory.OutOfMemoryException when the copy does not fit; close
     *     the buffer then
     */
    public void retainAscending(int[] rows, int count) {
        List<VectorSchemaRoot> parts = new ArrayList<>();
        try {
            int next = 0;
            for (int batch = 0; batch < batches.size() && next < count; batch++) {
                int from = next;
                int start = starts[batch];
                int end = starts[batch + 1];
                while (next < count && rows[next] < end) {
                    if (rows[next] < start) {
                        throw new IllegalArgumentException("rows to retain are not in ascending order");
                    }
                    rows[next] -= start;
                    next++;
                }
                if (next > from) {
                    parts.add(gather(batches.get(batch), rows, from, next - from, allocator));
                }
            }
            if (next != count) {
                throw new IllegalArgumentException("rows to retain are not ascending row numbers below " + rowCount);
            }
            batches.forEach(VectorSchemaRoot::close);
            batches.clear();
            rowCount = count;
            if (!parts.isEmpty()) {
                // The finally closes the parts, whose columns the concatenation already freed.
                batches.add(parts.size() == 1 ? parts.removeFirst() : concatenate(parts, count, allocator));
            }
            starts[batches.size()] = rowCount;
        } finally {
            parts.forEach(VectorSchemaRoot::close);
        }
    }

    /**
     * The rows {@code rows[from .. from + count)} of the merged batch (see {@link #merge}), in
     * that order, as a new batch in this buffer's allocator that belongs to the caller.
     */
    public VectorSchemaRoot gather(int[] rows, int from, int count) {
        if (batches.size() != 1) {
            throw new IllegalStateException("gather needs one merged batch, there are " + batches.size());
        }
        return gather(batches.getFirst(), rows, from, count, allocator);
    }

    private static VectorSchemaRoot gather(VectorSchemaRoot source, int[] rows, int from, int count,
            BufferAllocator allocator) {
        VectorSchemaRoot output = VectorSchemaRoot.create(source.getSchema(), allocator);
        try {
            for (int column = 0; column < source.getFieldVectors().size(); column++) {
                RowGather.gather(source.getVector(column), rows, from, count, output.getVector(column));
            }
            output.setRowCount(count);
        } catch (RuntimeException | Error e) {
            output.close();
            throw e;
        }
        return output;
    }

    /**
     * One batch of the rows of {@code parts}, in order. Frees each column of the parts once it
     * is copied; the parts stay the caller's to close (closing them again is harmless).
     */
    private static VectorSchemaRoot concatenate(List<VectorSchemaRoot> parts, int rows, BufferAllocator allocator) {
        List<Field> fields = parts.getFirst().getSchema().getFields();
        List<FieldVector> columns = new ArrayList<>(fields.size());
        try {
            for (int column = 0; column < fields.size(); column++) {
                FieldVector target = fields.get(column).createVector(allocator);
                columns.add(target);
                allocateExactly(target, parts, column, rows);
                VectorAppender appender = new VectorAppender(target);
                for (VectorSchemaRoot part : parts) {
                    part.getVector(column).accept(appender, null);
                }
                for (VectorSchemaRoot part : parts) {
                    part.getVector(column).close();
                }
            }
        } catch (RuntimeException | Error e) {
            columns.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(fields, columns, rows);
    }

    /** Sizes the target once for all the parts, so that appending never reallocates. */
    private static void allocateExactly(FieldVector target, List<VectorSchemaRoot> parts, int column, int rows) {
        if (target instanceof BaseVariableWidthVector variable) {
            long bytes = 0;
            for (VectorSchemaRoot part : parts) {
                BaseVariableWidthVector source = (BaseVariableWidthVector) part.getVector(column);
                bytes += source.getValueCount() == 0 ? 0 : source.getOffsetBuffer().getInt((long) source.getValueCount() << 2);
            }
            variable.allocateNew(Math.max(1, bytes), rows);
        } else {
            target.setInitialCapacity(rows);
            target.allocateNew();
        }
    }

    /** Frees every batch; safe to call more than once. */
    @Override
    public void close() {
        batches.forEach(VectorSchemaRoot::close);
        batches.clear();
        rowCount = 0;
    }
}
