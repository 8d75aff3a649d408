package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * int32 or int64 plus, minus, multiply, modulo and negate; the arguments have the result's type
 * (the compiler widens an int32 argument first). Overflow is a DATA_ERROR naming the function
 * and the operands, never a wrapped value; modulo by zero gives NULL. (Integer divide gives a
 * decimal: {@link DecimalArithmeticExpr}.)
 */
record IntegerArithmeticExpr(Function function, DataType type, List<VectorExpr> args, String executorId) implements VectorExpr {
    IntegerArithmeticExpr {
        requireNonNull(function, "function is null");
        requireNonNull(type, "type is null");
        args = List.copyOf(args);
        requireNonNull(executorId, "executorId is null");
        for (VectorExpr arg : args) {
            if (arg.type().getKind() != type.getKind()) {
                throw new IllegalArgumentException(function.wireName() + " giving " + ColumnTypes.describe(type) + " takes "
                        + ColumnTypes.describe(type) + " arguments, found " + ColumnTypes.describe(arg.type()));
            }
        }
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(args, type, batch, allocator, (values, out, rows) -> {
            if (type.getKind() == TypeKind.INT32) {
                computeInts((IntVector) values[0], values.length > 1 ? (IntVector) values[1] : null, (IntVector) out, rows);
            } else {
                computeLongs((BigIntVector) values[0], values.length > 1 ? (BigIntVector) values[1] : null, (BigIntVector) out, rows);
            }
        });
    }

    private void computeInts(IntVector left, IntVector right, IntVector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right != null && right.isNull(row)) {
                continue;
            }
            long x = left.get(row);
            long y = right == null ? 0 : right.get(row);
            // Exact in a long for any two ints; the int range is checked once.
            long result;
            switch (function) {
                case PLUS -> result = x + y;
                case MINUS -> result = x - y;
                case MULTIPLY -> result = x * y;
                case NEGATE -> result = -x;
                case MODULO -> {
                    if (y == 0) {
                        continue;
                    }
                    result = x % y;
                }
                default -> throw new IllegalStateException("not integer arithmetic: " + function);
            }
            if (result != (int) result) {
                throw overflow(x, y, right != null);
            }
            out.set(row, (int) result);
        }
    }

    private void computeLongs(BigIntVector left, BigIntVector right, BigIntVector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right != null && right.isNull(row)) {
                continue;
            }
            long x = left.get(row);
            long y = right == null ? 0 : right.get(row);
            long result;
            try {
                switch (function) {
                    case PLUS -> result = Math.addExact(x, y);
                    case MINUS -> result = Math.subtractExact(x, y);
                    case MULTIPLY -> result = Math.multiplyExact(x, y);
                    case NEGATE -> result = Math.negateExact(x);
                    case MODULO -> {
                        if (y == 0) {
                            continue;
                        }
                        result = x % y;
                    }
                    default -> throw new IllegalStateException("not integer arithmetic: " + function);
                }
            } catch (ArithmeticException e) {
                throw overflow(x, y, right != null);
            }
            out.set(row, result);
        }
    }

    private RuntimeException overflow(long x, long y, boolean binary) {
        return Vectors.dataError(executorId, function.wireName() + " overflows " + ColumnTypes.describe(type) + ": " + x
                + (binary ? ", " + y : ""));
    }
}
