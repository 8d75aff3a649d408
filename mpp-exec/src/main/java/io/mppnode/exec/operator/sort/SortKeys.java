package io.mppnode.exec.operator.sort;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.SortOrder;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The sort keys of every row an operator buffers, rows numbered 0, 1, 2, ... in the order their
 * batches were appended. Each key is evaluated once per batch and its values copied into Java
 * arrays of a layout chosen once for the key's type, with its direction and NULL placement
 * folded in; {@link #comparator()} compares two rows key by key. The arrays are counted in the
 * given {@link HeapMemory}. Not thread-safe.
 */
public final class SortKeys implements AutoCloseable {
    private final List<VectorExpr> expressions;
    private final KeyColumn[] columns;
    private final RowComparator comparator;
    private int rowCount;

    /**
     * @param keys the key expressions, over the operator's input
     * @param orders the order of each key, one per key
     * @param memory where the key arrays are counted (the operator's)
     */
    public SortKeys(List<VectorExpr> keys, List<SortOrder> orders, HeapMemory memory) {
        this.expressions = List.copyOf(keys);
        requireNonNull(memory, "memory is null");
        if (expressions.isEmpty()) {
            throw new IllegalArgumentException("a sort needs at least one key");
        }
        if (orders.size() != expressions.size()) {
            throw new IllegalArgumentException(expressions.size() + " sort keys with " + orders.size() + " orders");
        }
        this.columns = new KeyColumn[expressions.size()];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = KeyColumn.create(expressions.get(i).type(), requireNonNull(orders.get(i), "order is null"), memory);
        }
        this.comparator = switch (columns.length) {
            case 1 -> columns[0];
            case 2 -> new TwoKeys(columns[0], columns[1]);
            default -> new ManyKeys(columns);
        };
    }

    /**
     * Evaluates every key over {@code batch} and appends the values as the next rows. The key
     * vectors are made in {@code allocator} and freed before returning; the batch stays the
     * caller's. On a failure nothing is appended.
     *
     * @throws OutOfMemoryException when the key arrays do not fit the memory limit
     * @throws io.mppnode.error.MppException when a key expression fails (DATA_ERROR)
     */
    public void append(VectorSchemaRoot batch, BufferAllocator allocator) {
        int rows = batch.getRowCount();
        try {
            for (int i = 0; i < columns.length; i++) {
                try (FieldVector values = expressions.get(i).evaluate(batch, allocator)) {
                    columns[i].append(values, rows);
                }
            }
        } catch (RuntimeException | Error e) {
            for (KeyColumn column : columns) {
                if (column.rowCount() > rowCount) {
                    column.truncate(rowCount);
                }
            }
            throw e;
        }
        rowCount += rows;
    }

    public int rowCount() {
        return rowCount;
    }

    /** Compares two rows by every key in turn. Valid until the rows are truncated or retained. */
    public RowComparator comparator() {
        return comparator;
    }

    /** Forgets the rows from {@code rows} on (a batch appended, then not kept). */
    public void truncate(int rows) {
        for (KeyColumn column : columns) {
            column.truncate(rows);
        }
        rowCount = rows;
    }

    /**
     * Keeps only the rows {@code rows[0 .. count)}, which become rows 0 .. count-1 in that order.
     *
     * @throws OutOfMemoryException when the new arrays do not fit; the keys are unusable then
     */
    public void retain(int[] rows, int count) {
        for (KeyColumn column : columns) {
            column.retain(rows, count);
        }
        rowCount = count;
    }

    /** Frees every key array; safe to call more than once. */
    @Override
    public void close() {
        for (KeyColumn column : columns) {
            column.close();
        }
        rowCount = 0;
    }

    private static final class TwoKeys implements RowComparator {
        private final KeyColumn first;
        private final KeyColumn second;

        TwoKeys(KeyColumn first, KeyColumn second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public int compare(int left, int right) {
            int order = first.compare(left, right);
            return order != 0 ? order : second.compare(left, right);
        }
    }

    private static final class ManyKeys implements RowComparator {
        private final KeyColumn[] keys;

        ManyKeys(KeyColumn[] keys) {
            this.keys = keys;
        }

        @Override
        public int compare(int left, int right) {
            for (KeyColumn key : keys) {
                int order = key.compare(left, right);
                if (order != 0) {
                    return order;
                }
            }
            return 0;
        }
    }
}
