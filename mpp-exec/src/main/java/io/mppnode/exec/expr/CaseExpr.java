package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.DataType;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code case(when1, then1, ..., [else])}: each row takes the result of the first condition that
 * is true (a NULL condition is not), else the else value, else NULL. A condition is evaluated for
 * the rows no earlier condition took and a result for the rows its condition took
 * ({@link SelectedValues}), so a branch's errors only count for its own rows. The results have
 * the call's type (the compiler casts them).
 */
record CaseExpr(DataType type, List<VectorExpr> args) implements VectorExpr {
    CaseExpr {
        requireNonNull(type, "type is null");
        args = List.copyOf(args);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        int rows = batch.getRowCount();
        try (RowSources sources = new RowSources(rows)) {
            int[] pending = new int[rows];
            for (int row = 0; row < rows; row++) {
                pending[row] = row;
            }
            int count = rows;
            int[] taken = new int[rows];
            int branch = 0;
            for (; branch + 1 < args.size() && count > 0; branch += 2) {
                int takenCount = 0;
                int next = 0;
                try (SelectedValues condition = SelectedValues.of(args.get(branch), batch, pending, count, allocator)) {
                    BitVector bits = (BitVector) condition.vector();
                    for (int index = 0; index < count; index++) {
                        int row = pending[index];
                        int position = condition.position(index, row);
                        if (!bits.isNull(position) && bits.get(position) == 1) {
                            taken[takenCount++] = row;
                        } else {
                            pending[next++] = row;
                        }
                    }
                }
                count = next;
                if (takenCount > 0) {
                    take(sources, args.get(branch + 1), batch, taken, takenCount, allocator);
                }
            }
            if (args.size() % 2 == 1 && count > 0) {
                take(sources, args.getLast(), batch, pending, count, allocator);
            }
            return sources.assemble(type, allocator, rows);
        }
    }

    private static void take(RowSources sources, VectorExpr result, VectorSchemaRoot batch, int[] rows, int count,
            BufferAllocator allocator) {
        SelectedValues values = SelectedValues.of(result, batch, rows, count, allocator);
        int index = sources.add(values);
        for (int i = 0; i < count; i++) {
            sources.take(rows[i], index, values.position(i, rows[i]));
        }
    }
}
