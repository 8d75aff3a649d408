package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.DataType;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code coalesce(a, b, ...)}: each row's first non-NULL argument, else NULL. An argument is
 * evaluated for the rows the earlier ones left NULL ({@link SelectedValues}). The arguments have
 * the call's type (the compiler casts them).
 */
record CoalesceExpr(DataType type, List<VectorExpr> args) implements VectorExpr {
    CoalesceExpr {
        requireNonNull(type, "type is null");
        args = List.copyOf(args);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        if (args.size() == 1) {
            return args.getFirst().evaluate(batch, allocator);
        }
        int rows = batch.getRowCount();
        try (RowSources sources = new RowSources(rows)) {
            int[] pending = new int[rows];
            for (int row = 0; row < rows; row++) {
                pending[row] = row;
            }
            int count = rows;
            for (int arg = 0; arg < args.size() && count > 0; arg++) {
                SelectedValues values = SelectedValues.of(args.get(arg), batch, pending, count, allocator);
                int index = sources.add(values);
                FieldVector vector = values.vector();
                int next = 0;
                for (int i = 0; i < count; i++) {
                    int row = pending[i];
                    int position = values.position(i, row);
                    if (vector.isNull(position)) {
                        pending[next++] = row;
                    } else {
                        sources.take(row, index, position);
                    }
                }
                count = next;
            }
            return sources.assemble(type, allocator, rows);
        }
    }
}
