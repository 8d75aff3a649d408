package io.mppnode.exec.expr;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Compiles a {@link BoundExpr} into a {@link VectorExpr}. Implemented so far: column
 * references, literals, comparison of any two comparable values, and/or/not with SQL's
 * three-valued logic, is_null, is_not_null, and integer and float64 arithmetic (plus, minus,
 * multiply, modulo, negate; divide of float64). Integer overflow is a DATA_ERROR naming the
 * function; division and modulo by zero give NULL. Every other function (decimal arithmetic,
 * integer division, which gives a decimal, strings, dates, case, cast, in, like, coalesce) is
 * refused with NOT_SUPPORTED_YET naming it, at compile time, so a plan that uses one is
 * refused at dispatch.
 */
public final class ExprCompiler {
    private final String executorId;

    /** @param executorId named in errors */
    public ExprCompiler(String executorId) {
        this.executorId = executorId;
    }

    public VectorExpr compile(BoundExpr expr) {
        return switch (expr) {
            case BoundExpr.Column column -> new ColumnExpr(column.index(), column.type());
            case BoundExpr.Constant constant -> new ConstantExpr(constant);
            case BoundExpr.Call call -> compileCall(call);
        };
    }

    private VectorExpr compileCall(BoundExpr.Call call) {
        List<VectorExpr> args = new ArrayList<>();
        for (BoundExpr arg : call.args()) {
            args.add(compile(arg));
        }
        return switch (call.function()) {
            case EQ, NE, LT, LE, GT, GE -> new CompareExpr(call.function(), args.get(0), args.get(1));
            case AND, OR -> new LogicExpr(call.function() == Function.AND, args);
            case NOT -> new NotExpr(args.getFirst());
            case IS_NULL, IS_NOT_NULL -> new NullTestExpr(call.function() == Function.IS_NULL, args.getFirst());
            case PLUS, MINUS, MULTIPLY, MODULO, DIVIDE, NEGATE -> arithmetic(call, args);
            default -> throw notYet(call);
        };
    }

    private VectorExpr arithmetic(BoundExpr.Call call, List<VectorExpr> args) {
        TypeKind kind = call.type().getKind();
        if (kind == TypeKind.FLOAT64 || kind == TypeKind.INT32 || kind == TypeKind.INT64) {
            return new ArithmeticExpr(call.function(), call.type(), args, executorId);
        }
        throw notYet(call);
    }

    private MppException notYet(BoundExpr.Call call) {
        return new MppException(ErrorCode.NOT_SUPPORTED_YET, "executor '" + executorId + "': not supported yet: "
                + call.function().wireName() + " giving " + ColumnTypes.describe(call.type()));
    }

    // ----- shared helpers -----

    static FieldVector newVector(DataType type, BufferAllocator allocator, int rows) {
        FieldVector vector = ColumnTypes.toArrowField("", type).createVector(allocator);
        try {
            vector.setInitialCapacity(rows);
            vector.allocateNew();
            vector.setValueCount(rows);
        } catch (RuntimeException | Error e) {
            vector.close();
            throw e;
        }
        return vector;
    }

    /** Evaluates every argument; on a failure closes what was evaluated. */
    static FieldVector[] evaluateAll(List<VectorExpr> args, VectorSchemaRoot batch, BufferAllocator allocator) {
        FieldVector[] values = new FieldVector[args.size()];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = args.get(i).evaluate(batch, allocator);
            }
        } catch (RuntimeException | Error e) {
            closeAll(values);
            throw e;
        }
        return values;
    }

    static void closeAll(FieldVector... vectors) {
        for (FieldVector vector : vectors) {
            if (vector != null) {
                vector.close();
            }
        }
    }

    /** A column as the caller's vector: slices of the input's buffers, no copy. */
    private record ColumnExpr(int index, DataType type) implements VectorExpr {
        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            FieldVector source = batch.getVector(index);
            TransferPair pair = source.getTransferPair(allocator);
            pair.splitAndTransfer(0, batch.getRowCount());
            return (FieldVector) pair.getTo();
        }
    }

    private record ConstantExpr(BoundExpr.Constant constant) implements VectorExpr {
        @Override
        public DataType type() {
            return constant.type();
        }

        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            int rows = batch.getRowCount();
            FieldVector vector = newVector(constant.type(), allocator, rows);
            if (constant.isNull()) {
                return vector;
            }
            try {
                Object value = constant.value();
                switch (vector) {
                    case BitVector bits -> fill(rows, i -> bits.set(i, (Boolean) value ? 1 : 0));
                    case IntVector ints -> fill(rows, i -> ints.set(i, (Integer) value));
                    case DateDayVector days -> fill(rows, i -> days.set(i, (Integer) value));
                    case BigIntVector longs -> fill(rows, i -> longs.set(i, (Long) value));
                    case TimeStampMicroVector micros -> fill(rows, i -> micros.set(i, (Long) value));
                    case Float8Vector doubles -> fill(rows, i -> doubles.set(i, (Double) value));
                    case DecimalVector decimals -> fill(rows, i -> decimals.set(i, (BigDecimal) value));
                    case VarCharVector strings -> {
                        byte[] bytes = ((String) value).getBytes(StandardCharsets.UTF_8);
                        strings.allocateNew((long) bytes.length * rows, rows);
                        fill(rows, i -> strings.setSafe(i, bytes));
                        strings.setValueCount(rows);
                    }
                    default -> throw new IllegalStateException("no constant for " + vector.getField());
                }
            } catch (RuntimeException | Error e) {
                vector.close();
                throw e;
            }
            return vector;
        }

        private static void fill(int rows, java.util.function.IntConsumer set) {
            for (int i = 0; i < rows; i++) {
                set.accept(i);
            }
        }
    }

    /** Reads any comparable vector as one of four domains: long, double, decimal, bytes. */
    enum Domain { LONG, DOUBLE, DECIMAL, BYTES }

    static Domain domain(DataType left, DataType right) {
        TypeKind a = left.getKind();
        TypeKind b = right.getKind();
        if (a == TypeKind.STRING) {
            return Domain.BYTES;
        }
        if (a == TypeKind.FLOAT64 || b == TypeKind.FLOAT64) {
            return Domain.DOUBLE;
        }
        if (a == TypeKind.DECIMAL || b == TypeKind.DECIMAL) {
            return Domain.DECIMAL;
        }
        return Domain.LONG;
    }

    /** A value as a long: integers, booleans (0/1), dates as microseconds when compared with a timestamp, else days. */
    static long longAt(FieldVector vector, int row, boolean datesAsMicros) {
        return switch (vector) {
            case IntVector ints -> ints.get(row);
            case BigIntVector longs -> longs.get(row);
            case BitVector bits -> bits.get(row);
            case DateDayVector days -> datesAsMicros ? Math.multiplyExact((long) days.get(row), 86_400_000_000L) : days.get(row);
            case TimeStampMicroVector micros -> micros.get(row);
            default -> throw new IllegalStateException("not a long: " + vector.getField());
        };
    }

    static double doubleAt(FieldVector vector, int row) {
        return switch (vector) {
            case Float8Vector doubles -> doubles.get(row);
            case DecimalVector decimals -> decimals.getObjectNotNull(row).doubleValue();
            default -> longAt(vector, row, false);
        };
    }

    static BigDecimal decimalAt(FieldVector vector, int row) {
        return vector instanceof DecimalVector decimals ? decimals.getObjectNotNull(row) : BigDecimal.valueOf(longAt(vector, row, false));
    }

    private record CompareExpr(Function function, VectorExpr left, VectorExpr right) implements VectorExpr {
        @Override
        public DataType type() {
            return ColumnTypes.of(TypeKind.BOOLEAN);
        }

        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            FieldVector[] values = evaluateAll(List.of(left, right), batch, allocator);
            try {
                FieldVector a = values[0];
                FieldVector b = values[1];
                int rows = batch.getRowCount();
                BitVector out = (BitVector) newVector(type(), allocator, rows);
                Domain domain = domain(left.type(), right.type());
                boolean micros = left.type().getKind() != right.type().getKind();
                for (int i = 0; i < rows; i++) {
                    if (a.isNull(i) || b.isNull(i)) {
                        continue;
                    }
                    int order = switch (domain) {
                        case LONG -> Long.compare(longAt(a, i, micros), longAt(b, i, micros));
                        case DOUBLE -> Double.compare(doubleAt(a, i), doubleAt(b, i));
                        case DECIMAL -> decimalAt(a, i).compareTo(decimalAt(b, i));
                        case BYTES -> Arrays.compareUnsigned(((VarCharVector) a).get(i), ((VarCharVector) b).get(i));
                    };
                    out.set(i, holds(order) ? 1 : 0);
                }
                return out;
            } finally {
                closeAll(values);
            }
        }

        private boolean holds(int order) {
            return switch (function) {
                case EQ -> order == 0;
                case NE -> order != 0;
                case LT -> order < 0;
                case LE -> order <= 0;
                case GT -> order > 0;
                case GE -> order >= 0;
                default -> throw new IllegalStateException("not a comparison: " + function);
            };
        }
    }

    /** AND / OR over two or more booleans, SQL three-valued: false AND null = false, true OR null = true. */
    private record LogicExpr(boolean and, List<VectorExpr> args) implements VectorExpr {
        @Override
        public DataType type() {
            return ColumnTypes.of(TypeKind.BOOLEAN);
        }

        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            FieldVector[] values = evaluateAll(args, batch, allocator);
            try {
                int rows = batch.getRowCount();
                BitVector out = (BitVector) newVector(type(), allocator, rows);
                for (int i = 0; i < rows; i++) {
                    boolean sawNull = false;
                    boolean decided = false;
                    for (FieldVector value : values) {
                        BitVector bits = (BitVector) value;
                        if (bits.isNull(i)) {
                            sawNull = true;
                        } else if ((bits.get(i) == 1) != and) {
                            // false decides an AND, true decides an OR, whatever else is NULL.
                            decided = true;
                            break;
                        }
                    }
                    if (decided) {
                        out.set(i, and ? 0 : 1);
                    } else if (!sawNull) {
                        out.set(i, and ? 1 : 0);
                    }
                }
                return out;
            } finally {
                closeAll(values);
            }
        }
    }

    private record NotExpr(VectorExpr arg) implements VectorExpr {
        @Override
        public DataType type() {
            return ColumnTypes.of(TypeKind.BOOLEAN);
        }

        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            try (FieldVector value = arg.evaluate(batch, allocator)) {
                BitVector bits = (BitVector) value;
                int rows = batch.getRowCount();
                BitVector out = (BitVector) newVector(type(), allocator, rows);
                for (int i = 0; i < rows; i++) {
                    if (!bits.isNull(i)) {
                        out.set(i, 1 - bits.get(i));
                    }
                }
                return out;
            }
        }
    }

    private record NullTestExpr(boolean isNull, VectorExpr arg) implements VectorExpr {
        @Override
        public DataType type() {
            return ColumnTypes.of(TypeKind.BOOLEAN);
        }

        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            try (FieldVector value = arg.evaluate(batch, allocator)) {
                int rows = batch.getRowCount();
                BitVector out = (BitVector) newVector(type(), allocator, rows);
                for (int i = 0; i < rows; i++) {
                    out.set(i, value.isNull(i) == isNull ? 1 : 0);
                }
                return out;
            }
        }
    }

    /** Integer (exact, overflow is an error) and float64 arithmetic. */
    private record ArithmeticExpr(Function function, DataType type, List<VectorExpr> args, String executorId) implements VectorExpr {
        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            FieldVector[] values = evaluateAll(args, batch, allocator);
            FieldVector out = newVector(type, allocator, batch.getRowCount());
            try {
                int rows = batch.getRowCount();
                FieldVector a = values[0];
                FieldVector b = values.length > 1 ? values[1] : null;
                for (int i = 0; i < rows; i++) {
                    if (a.isNull(i) || b != null && b.isNull(i)) {
                        continue;
                    }
                    switch (out) {
                        case Float8Vector doubles -> {
                            double x = doubleAt(a, i);
                            double y = b == null ? 0 : doubleAt(b, i);
                            double result;
                            switch (function) {
                                case PLUS -> result = x + y;
                                case MINUS -> result = x - y;
                                case MULTIPLY -> result = x * y;
                                case NEGATE -> result = -x;
                                case DIVIDE, MODULO -> {
                                    if (y == 0) {
                                        continue;
                                    }
                                    result = function == Function.DIVIDE ? x / y : x % y;
                                }
                                default -> throw new IllegalStateException("not arithmetic: " + function);
                            }
                            doubles.set(i, result);
                        }
                        default -> {
                            long x = longAt(a, i, false);
                            long y = b == null ? 0 : longAt(b, i, false);
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
                                if (out instanceof IntVector ints) {
                                    ints.set(i, Math.toIntExact(result));
                                } else {
                                    ((BigIntVector) out).set(i, result);
                                }
                            } catch (ArithmeticException e) {
                                throw new MppException(ErrorCode.DATA_ERROR, "executor '" + executorId + "': " + function.wireName()
                                        + " overflows " + ColumnTypes.describe(type) + ": " + x
                                        + (b == null ? "" : ", " + y));
                            }
                        }
                    }
                }
                return out;
            } catch (RuntimeException | Error e) {
                out.close();
                throw e;
            } finally {
                closeAll(values);
            }
        }
    }
}
