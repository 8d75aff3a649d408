package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.partition.RowGather;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An expression's values for some rows of a batch, as {@code case}, {@code coalesce},
 * {@code and} and {@code or} need them: SQL evaluates a branch only for the rows that reach it,
 * so {@code case when s <> '' then cast(s as int) end} must not fail on the empty strings.
 *
 * <p>{@link #of} evaluates over the whole batch first, which costs nothing extra when no row
 * fails (the usual case). Only when that throws a DATA_ERROR, which may come from a row that
 * was not selected, does it evaluate again over a batch of the selected rows alone (gathered
 * with {@link RowGather}); an error there is a selected row's and propagates. The values are then
 * compact: the value of the {@code index}-th selected row is at {@code index} instead of at its
 * row number ({@link #position}).
 *
 * @param vector the values, owned by this object until {@link #close}
 * @param compact whether the vector holds the selected rows only, in selection order
 */
record SelectedValues(FieldVector vector, boolean compact) implements AutoCloseable {
    SelectedValues {
        requireNonNull(vector, "vector is null");
    }

    /**
     * Evaluates {@code expr} for {@code rows[0 .. count)} (increasing row numbers of {@code batch}).
     * The result's vector comes from {@code allocator} and belongs to the caller (close it).
     */
    static SelectedValues of(VectorExpr expr, VectorSchemaRoot batch, int[] rows, int count, BufferAllocator allocator) {
        try {
            return new SelectedValues(expr.evaluate(batch, allocator), false);
        } catch (MppException e) {
            if (e.code() != ErrorCode.DATA_ERROR || count == batch.getRowCount()) {
                throw e;
            }
        }
        try (VectorSchemaRoot selected = gather(batch, rows, count, allocator)) {
            return new SelectedValues(expr.evaluate(selected, allocator), true);
        }
    }

    private static VectorSchemaRoot gather(VectorSchemaRoot batch, int[] rows, int count, BufferAllocator allocator) {
        VectorSchemaRoot selected = VectorSchemaRoot.create(batch.getSchema(), allocator);
        try {
            for (int column = 0; column < batch.getFieldVectors().size(); column++) {
                RowGather.gather(batch.getVector(column), rows, 0, count, selected.getVector(column));
            }
            selected.setRowCount(count);
            return selected;
        } catch (RuntimeException | Error e) {
            selected.close();
            throw e;
        }
    }

    /** Where the value of the {@code index}-th selected row, row number {@code row}, is in {@link #vector}. */
    int position(int index, int row) {
        return compact ? index : row;
    }

    @Override
    public void close() {
        vector.close();
    }
}
