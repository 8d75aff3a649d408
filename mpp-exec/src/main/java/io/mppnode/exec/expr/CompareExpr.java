package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** eq, ne, lt, le, gt, ge of two comparable values ({@link RowOrder}); NULL when either is. */
record CompareExpr(Function function, VectorExpr left, VectorExpr right) implements VectorExpr {
    CompareExpr {
        requireNonNull(function, "function is null");
        requireNonNull(left, "left is null");
        requireNonNull(right, "right is null");
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.BOOLEAN);
    }

    /** @return a new vector from {@code allocator}, owned by the caller */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(List.of(left, right), type(), batch, allocator, (values, out, rows) -> {
            FieldVector a = values[0];
            FieldVector b = values[1];
            BitVector bits = (BitVector) out;
            RowOrder order = RowOrder.of(a, left.type(), b, right.type());
            int holds = holds(function);
            for (int row = 0; row < rows; row++) {
                if (!a.isNull(row) && !b.isNull(row)) {
                    bits.set(row, holds >> (Integer.signum(order.compare(row)) + 1) & 1);
                }
            }
        });
    }

    /** Bit 0, 1, 2: whether the comparison holds when the left value is below, equal to, above the right one. */
    private static int holds(Function function) {
        return switch (function) {
            case EQ -> 0b010;
            case NE -> 0b101;
            case LT -> 0b001;
            case LE -> 0b011;
            case GT -> 0b100;
            case GE -> 0b110;
            default -> throw new IllegalStateException("not a comparison: " + function);
        };
    }
}
