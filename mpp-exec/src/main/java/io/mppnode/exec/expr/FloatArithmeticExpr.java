package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.proto.plan.DataType;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * float64 plus, minus, multiply, divide, modulo and negate, IEEE except that division and
 * modulo by zero give NULL (MySQL's rule, as TiFlash). The arguments are float64 (the compiler
 * casts others first).
 */
record FloatArithmeticExpr(Function function, List<VectorExpr> args) implements VectorExpr {
    FloatArithmeticExpr {
        requireNonNull(function, "function is null");
        args = List.copyOf(args);
        for (VectorExpr arg : args) {
            if (arg.type().getKind() != TypeKind.FLOAT64) {
                throw new IllegalArgumentException(function.wireName() + " takes float64 arguments, found " + ColumnTypes.describe(arg.type()));
            }
        }
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.FLOAT64);
    }

    /** @return a new vector from {@code allocator}, owned by the caller */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(args, type(), batch, allocator, (values, out, rows) -> {
            Float8Vector left = (Float8Vector) values[0];
            Float8Vector right = values.length > 1 ? (Float8Vector) values[1] : null;
            Float8Vector result = (Float8Vector) out;
            switch (function) {
                case NEGATE -> {
                    for (int row = 0; row < rows; row++) {
                        if (!left.isNull(row)) {
                            result.set(row, -left.get(row));
                        }
                    }
                }
                case PLUS, MINUS, MULTIPLY, DIVIDE, MODULO -> binary(left, right, result, rows);
                default -> throw new IllegalStateException("not float arithmetic: " + function);
            }
        });
    }

    private void binary(Float8Vector left, Float8Vector right, Float8Vector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right.isNull(row)) {
                continue;
            }
            double x = left.get(row);
            double y = right.get(row);
            double result;
            switch (function) {
                case PLUS -> result = x + y;
                case MINUS -> result = x - y;
                case MULTIPLY -> result = x * y;
                case DIVIDE, MODULO -> {
                    if (y == 0) {
                        continue;
                    }
                    result = function == Function.DIVIDE ? x / y : x % y;
                }
                default -> throw new IllegalStateException("not float arithmetic: " + function);
            }
            out.set(row, result);
        }
    }
}
