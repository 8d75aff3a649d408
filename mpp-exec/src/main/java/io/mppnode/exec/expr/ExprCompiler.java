package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * Compiles a {@link BoundExpr} into a {@link VectorExpr}: every function of {@link Function}.
 * Each node evaluates its arguments to vectors and runs one loop over the batch, its types'
 * conversions chosen once per batch, not per row. Where the binder decided a common type
 * (arithmetic, case and coalesce results), the compiler inserts the conversions
 * ({@link CastExpr}; folded into the literal when the argument is one), so every kernel reads
 * vectors of one type.
 *
 * <p>Semantics, per family (each class's comment has the details):
 * <ul>
 *   <li><b>NULL</b> in gives NULL out, except: {@code is_null}/{@code is_not_null}; and/or with
 *       SQL's three-valued logic; {@code in} (NULL when nothing matches and a candidate is
 *       NULL); {@code case} (a NULL condition is not true) and {@code coalesce}.
 *   <li><b>Arithmetic</b> is exact for integers and decimals ({@link IntegerArithmeticExpr},
 *       {@link DecimalArithmeticExpr}): a result that does not fit its type (int32, int64, the
 *       decimal's precision) is a DATA_ERROR naming the executor, the function and the
 *       operands, never a wrapped or rounded value. Decimal divide rounds half away from zero
 *       (HALF_UP) at the result scale. Division and modulo by zero give NULL, for float64 too
 *       ({@link FloatArithmeticExpr}). Modulo takes the dividend's sign.
 *   <li><b>cast</b> ({@link CastExpr}): rescaling rounds HALF_UP (float64 to an integer rounds
 *       half to even); a value out of the target's range, and text that does not parse, is a
 *       DATA_ERROR naming the value and the target type.
 *   <li><b>Strings</b> are UTF-8 and compare by their bytes; {@code like} ({@link LikePattern})
 *       and {@code substring} ({@link SubstringExpr}) count characters (code points);
 *       {@code concat} is NULL when any argument is.
 *   <li><b>Dates</b>: {@code year}/{@code month}/{@code day} and {@code date_add}/{@code date_sub}
 *       ({@link DateAddExpr}) on the proleptic Gregorian calendar; adding months clamps to the
 *       month's end; leaving the type's range is a DATA_ERROR.
 *   <li><b>Lazy branches</b>: {@code case}, {@code coalesce}, {@code and} and {@code or} evaluate
 *       an argument only for the rows that need it ({@link SelectedValues}), so a branch's
 *       errors on rows it does not decide are not raised.
 * </ul>
 * Every vector an evaluation allocates comes from the allocator it is given; on any failure
 * every intermediate vector is freed before the exception leaves. Stateless and thread-safe;
 * so are the compiled expressions.
 */
public final class ExprCompiler {
    private final String executorId;

    /** @param executorId named in errors */
    public ExprCompiler(String executorId) {
        this.executorId = requireNonNull(executorId, "executorId is null");
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
        DataType type = call.type();
        return switch (call.function()) {
            case EQ, NE, LT, LE, GT, GE -> new CompareExpr(call.function(), alignLiteral(call.args().get(0), args.get(0), args.get(1).type()),
                    alignLiteral(call.args().get(1), args.get(1), args.get(0).type()));
            case AND, OR -> new LogicExpr(call.function() == Function.AND, args);
            case NOT -> new NotExpr(args.getFirst());
            case IS_NULL, IS_NOT_NULL -> new NullTestExpr(call.function() == Function.IS_NULL, args.getFirst());
            case PLUS, MINUS, MULTIPLY, MODULO, DIVIDE, NEGATE -> arithmetic(call, args);
            case IN -> InExpr.of(call, args);
            case LIKE -> LikeExpr.of(call, args, executorId);
            case CASE -> {
                List<VectorExpr> branches = new ArrayList<>(args);
                for (int i = 1; i < args.size(); i += 2) {
                    branches.set(i, convert(call.args().get(i), args.get(i), type));
                }
                if (args.size() % 2 == 1) {
                    branches.set(args.size() - 1, convert(call.args().getLast(), args.getLast(), type));
                }
                yield new CaseExpr(type, branches);
            }
            case COALESCE -> new CoalesceExpr(type, convertAll(call.args(), args, type));
            case CAST -> new CastExpr(args.getFirst(), type, executorId);
            case SUBSTRING -> new SubstringExpr(args);
            case CONCAT -> new ConcatExpr(args);
            case YEAR, MONTH, DAY -> new DatePartExpr(call.function(), args.getFirst());
            case DATE_ADD, DATE_SUB -> new DateAddExpr(call.function() == Function.DATE_SUB, type, args.get(0), args.get(1),
                    DateAddExpr.Unit.of((String) ((BoundExpr.Constant) call.args().get(2)).value()), executorId);
        };
    }

    private VectorExpr arithmetic(BoundExpr.Call call, List<VectorExpr> args) {
        DataType type = call.type();
        return switch (type.getKind()) {
            case FLOAT64 -> new FloatArithmeticExpr(call.function(), convertAll(call.args(), args, type));
            case INT32, INT64 -> new IntegerArithmeticExpr(call.function(), type, convertAll(call.args(), args, type), executorId);
            case DECIMAL -> {
                List<VectorExpr> decimals = new ArrayList<>();
                for (int i = 0; i < args.size(); i++) {
                    decimals.add(convert(call.args().get(i), args.get(i), asDecimal(args.get(i).type())));
                }
                yield new DecimalArithmeticExpr(call.function(), type, decimals, executorId);
            }
            default -> throw new IllegalStateException("arithmetic giving " + ColumnTypes.describe(type));
        };
    }

    /**
     * An exact literal compared with a decimal of another scale, as a decimal of that scale when
     * it is one exactly ({@code price > 100} on decimal(15, 2) compares with 100.00), so the
     * comparison runs on the unscaled values instead of BigDecimals. Anything else as it is.
     */
    private static VectorExpr alignLiteral(BoundExpr bound, VectorExpr compiled, DataType other) {
        if (!(bound instanceof BoundExpr.Constant constant) || constant.isNull() || other.getKind() != TypeKind.DECIMAL
                || constant.type().equals(other)) {
            return compiled;
        }
        BigDecimal value = switch (constant.value()) {
            case Integer number when constant.type().getKind() == TypeKind.INT32 -> BigDecimal.valueOf(number);
            case Long number when constant.type().getKind() == TypeKind.INT64 -> BigDecimal.valueOf(number);
            case BigDecimal number -> number;
            default -> null;
        };
        if (value == null) {
            return compiled;
        }
        try {
            BigDecimal aligned = value.setScale(other.getScale(), RoundingMode.UNNECESSARY);
            return aligned.precision() <= ColumnTypes.MAX_DECIMAL_PRECISION
                    ? new ConstantExpr(new BoundExpr.Constant(aligned, ColumnTypes.decimal(ColumnTypes.MAX_DECIMAL_PRECISION, other.getScale())))
                    : compiled;
        } catch (ArithmeticException e) {
            return compiled; // more decimals than the other side has: compared exactly as it is
        }
    }

    /** An exact number as the decimal that holds every value of it (the binder's rule). */
    private static DataType asDecimal(DataType type) {
        return switch (type.getKind()) {
            case INT32 -> ColumnTypes.decimal(10, 0);
            case INT64 -> ColumnTypes.decimal(19, 0);
            case DECIMAL -> type;
            default -> throw new IllegalStateException("not an exact number: " + ColumnTypes.describe(type));
        };
    }

    private List<VectorExpr> convertAll(List<BoundExpr> bound, List<VectorExpr> compiled, DataType target) {
        List<VectorExpr> converted = new ArrayList<>(compiled.size());
        for (int i = 0; i < compiled.size(); i++) {
            converted.add(convert(bound.get(i), compiled.get(i), target));
        }
        return converted;
    }

    /** {@code compiled} as {@code target}: itself, a literal converted now, or a cast at run time. */
    private VectorExpr convert(BoundExpr bound, VectorExpr compiled, DataType target) {
        if (compiled.type().equals(target)) {
            return compiled;
        }
        if (bound instanceof BoundExpr.Constant constant) {
            Object value = convertLiteral(constant, target);
            if (value != null || constant.isNull()) {
                return new ConstantExpr(new BoundExpr.Constant(value, target));
            }
        }
        return new CastExpr(compiled, target, executorId);
    }

    /** The literal's value as {@code target}, for the exact conversions; null when it is NULL or left to run time (errors included). */
    private static Object convertLiteral(BoundExpr.Constant constant, DataType target) {
        Object value = constant.value();
        TypeKind to = target.getKind();
        return switch (value) {
            case null -> null;
            case Integer number when to == TypeKind.INT64 && constant.type().getKind() == TypeKind.INT32 -> (long) number;
            case Integer number when to == TypeKind.FLOAT64 -> (double) number;
            case Long number when to == TypeKind.FLOAT64 && constant.type().getKind() == TypeKind.INT64 -> (double) number;
            case Integer number when to == TypeKind.DECIMAL && constant.type().getKind() == TypeKind.INT32 ->
                    fitDecimal(BigDecimal.valueOf(number), target);
            case Long number when to == TypeKind.DECIMAL -> fitDecimal(BigDecimal.valueOf(number), target);
            case BigDecimal number when to == TypeKind.DECIMAL -> fitDecimal(number, target);
            case BigDecimal number when to == TypeKind.FLOAT64 -> number.doubleValue();
            default -> null;
        };
    }

    private static BigDecimal fitDecimal(BigDecimal value, DataType target) {
        BigDecimal scaled = value.setScale(target.getScale(), RoundingMode.HALF_UP);
        return Decimal128.fits(scaled.unscaledValue(), target.getPrecision()) ? scaled : null;
    }

    /** A column as the caller's vector: slices of the input's buffers, no copy. */
    private record ColumnExpr(int index, DataType type) implements VectorExpr {
        /** @return a vector that shares the batch's memory, accounted to {@code allocator}; the caller closes it */
        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            FieldVector source = batch.getVector(index);
            TransferPair pair = source.getTransferPair(allocator);
            pair.splitAndTransfer(0, batch.getRowCount());
            return (FieldVector) pair.getTo();
        }
    }

    /** A literal, repeated for every row. */
    private record ConstantExpr(BoundExpr.Constant constant) implements VectorExpr {
        @Override
        public DataType type() {
            return constant.type();
        }

        /** @return a new vector from {@code allocator}, owned by the caller */
        @Override
        public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
            int rows = batch.getRowCount();
            Object value = constant.value();
            if (value instanceof String text) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                VarCharVector strings = Vectors.newStringVector(allocator, rows, (long) bytes.length * rows);
                try {
                    for (int row = 0; row < rows; row++) {
                        strings.setSafe(row, bytes);
                    }
                    strings.setValueCount(rows);
                    return strings;
                } catch (RuntimeException | Error e) {
                    strings.close();
                    throw e;
                }
            }
            FieldVector vector = Vectors.newVector(constant.type(), allocator, rows);
            if (value == null) {
                return vector;
            }
            switch (vector) {
                case BitVector bits -> {
                    int bit = (Boolean) value ? 1 : 0;
                    for (int row = 0; row < rows; row++) {
                        bits.set(row, bit);
                    }
                }
                case IntVector ints -> {
                    int number = (Integer) value;
                    for (int row = 0; row < rows; row++) {
                        ints.set(row, number);
                    }
                }
                case DateDayVector days -> {
                    int number = (Integer) value;
                    for (int row = 0; row < rows; row++) {
                        days.set(row, number);
                    }
                }
                case BigIntVector longs -> {
                    long number = (Long) value;
                    for (int row = 0; row < rows; row++) {
                        longs.set(row, number);
                    }
                }
                case TimeStampMicroVector micros -> {
                    long number = (Long) value;
                    for (int row = 0; row < rows; row++) {
                        micros.set(row, number);
                    }
                }
                case Float8Vector doubles -> {
                    double number = (Double) value;
                    for (int row = 0; row < rows; row++) {
                        doubles.set(row, number);
                    }
                }
                case DecimalVector decimals -> {
                    BigInteger unscaled = ((BigDecimal) value).setScale(decimals.getScale(), RoundingMode.UNNECESSARY).unscaledValue();
                    long low = unscaled.longValue();
                    long high = unscaled.shiftRight(64).longValue();
                    for (int row = 0; row < rows; row++) {
                        Decimal128.set(decimals, row, low, high);
                    }
                }
                default -> {
                    vector.close();
                    throw new IllegalStateException("no constant for " + vector.getField());
                }
            }
            return vector;
        }
    }
}
