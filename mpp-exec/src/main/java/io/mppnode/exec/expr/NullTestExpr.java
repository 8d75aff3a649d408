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

/** is_null (or, with {@code isNull} false, is_not_null) of any value; never NULL itself. */
record NullTestExpr(boolean isNull, VectorExpr arg) implements VectorExpr {
    NullTestExpr {
        requireNonNull(arg, "arg is null");
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.BOOLEAN);
    }

    /** @return a new vector from {@code allocator}, owned by the caller */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(List.of(arg), type(), batch, allocator, (values, out, rows) -> {
            FieldVector value = values[0];
            BitVector result = (BitVector) out;
            for (int row = 0; row < rows; row++) {
                result.set(row, value.isNull(row) == isNull ? 1 : 0);
            }
        });
    }
}
