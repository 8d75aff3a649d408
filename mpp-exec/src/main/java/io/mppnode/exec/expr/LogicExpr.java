package io.mppnode.exec.expr;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * AND / OR over two or more booleans with SQL's three-valued logic: false AND NULL is false,
 * true OR NULL is true, otherwise NULL wins over the neutral value. An argument counts only for
 * the rows the earlier ones left undecided ({@link SelectedValues}), so
 * {@code s <> '' and cast(s as int) > 3} does not fail on the empty strings.
 */
record LogicExpr(boolean and, List<VectorExpr> args) implements VectorExpr {
    LogicExpr {
        args = List.copyOf(args);
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.BOOLEAN);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        int rows = batch.getRowCount();
        BitVector out = (BitVector) Vectors.newVector(type(), allocator, rows);
        try {
            int[] undecided = new int[rows];
            for (int row = 0; row < rows; row++) {
                undecided[row] = row;
            }
            int count = rows;
            boolean[] sawNull = new boolean[rows];
            // false decides an AND, true decides an OR, whatever the other arguments are.
            int deciding = and ? 0 : 1;
            for (VectorExpr arg : args) {
                if (count == 0) {
                    break;
                }
                try (SelectedValues values = SelectedValues.of(arg, batch, undecided, count, allocator)) {
                    BitVector bits = (BitVector) values.vector();
                    int next = 0;
                    for (int index = 0; index < count; index++) {
                        int row = undecided[index];
                        int position = values.position(index, row);
                        if (bits.isNull(position)) {
                            sawNull[row] = true;
                            undecided[next++] = row;
                        } else if (bits.get(position) == deciding) {
                            out.set(row, deciding);
                        } else {
                            undecided[next++] = row;
                        }
                    }
                    count = next;
                }
            }
            for (int index = 0; index < count; index++) {
                int row = undecided[index];
                if (!sawNull[row]) {
                    out.set(row, 1 - deciding);
                }
            }
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }
}
