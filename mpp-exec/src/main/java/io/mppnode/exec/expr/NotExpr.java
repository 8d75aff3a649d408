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

/** NOT of a boolean; NULL stays NULL. */
record NotExpr(VectorExpr arg) implements VectorExpr {
    NotExpr {
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
            BitVector bits = (BitVector) values[0];
            BitVector result = (BitVector) out;
            for (int row = 0; row < rows; row++) {
                if (!bits.isNull(row)) {
                    result.set(row, 1 - bits.get(row));
                }
            }
        });
    }
}
