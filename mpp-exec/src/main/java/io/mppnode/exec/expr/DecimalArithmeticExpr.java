package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.Decimal128.SLOW;
import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigInteger;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Exact decimal arithmetic: plus, minus, multiply, divide, modulo and negate of decimal
 * arguments (the compiler casts integer arguments to decimal(10, 0) or decimal(19, 0) first),
 * giving the binder's result type. Each row runs on unscaled longs when its operands and
 * intermediate values fit one (overflow is detected, not wrapped), else on BigInteger. Divide
 * rounds half away from zero (HALF_UP) at the result scale, as MySQL and TiFlash do; division
 * and modulo by zero give NULL; a result with more digits than the result precision is a
 * DATA_ERROR naming the function and the operands.
 */
record DecimalArithmeticExpr(Function function, DataType type, List<VectorExpr> args, String executorId) implements VectorExpr {
    DecimalArithmeticExpr {
        requireNonNull(function, "function is null");
        requireNonNull(type, "type is null");
        args = List.copyOf(args);
        requireNonNull(executorId, "executorId is null");
        for (VectorExpr arg : args) {
            if (arg.type().getKind() != TypeKind.DECIMAL) {
                throw new IllegalArgumentException(function.wireName() + " takes decimal arguments, found " + ColumnTypes.describe(arg.type()));
            }
        }
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(args, type, batch, allocator, (values, out, rows) -> {
            DecimalVector result = (DecimalVector) out;
            DecimalVector left = (DecimalVector) values[0];
            switch (function) {
                case PLUS, MINUS -> addOrSubtract(left, (DecimalVector) values[1], result, rows, function == Function.MINUS);
                case MULTIPLY -> multiply(left, (DecimalVector) values[1], result, rows);
                case DIVIDE -> divide(left, (DecimalVector) values[1], result, rows);
                case MODULO -> modulo(left, (DecimalVector) values[1], result, rows);
                case NEGATE -> negate(left, result, rows);
                default -> throw new IllegalStateException("not decimal arithmetic: " + function);
            }
        });
    }

    private void addOrSubtract(DecimalVector left, DecimalVector right, DecimalVector out, int rows, boolean subtract) {
        int scale = type.getScale();
        int precision = type.getPrecision();
        int leftShift = scale - left.getScale();
        int rightShift = scale - right.getScale();
        ArrowBuf a = left.getDataBuffer();
        ArrowBuf b = right.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right.isNull(row)) {
                continue;
            }
            long aLow = Decimal128.low(a, row);
            long bLow = Decimal128.low(b, row);
            if (Decimal128.isLong(aLow, Decimal128.high(a, row)) && Decimal128.isLong(bLow, Decimal128.high(b, row))) {
                long x = Decimal128.scaleUp(aLow, leftShift);
                long y = Decimal128.scaleUp(bLow, rightShift);
                if (x != SLOW && y != SLOW) {
                    long result = subtract ? x - y : x + y;
                    boolean overflow = subtract ? ((x ^ y) & (x ^ result)) < 0 : ((x ^ result) & (y ^ result)) < 0;
                    if (!overflow && result != SLOW && Decimal128.fits(result, precision)) {
                        Decimal128.set(out, row, result);
                        continue;
                    }
                }
            }
            BigInteger x = Decimal128.unscaled(left, row).multiply(Decimal128.bigPowerOfTen(leftShift));
            BigInteger y = Decimal128.unscaled(right, row).multiply(Decimal128.bigPowerOfTen(rightShift));
            setChecked(out, row, subtract ? x.subtract(y) : x.add(y), left, right);
        }
    }

    private void multiply(DecimalVector left, DecimalVector right, DecimalVector out, int rows) {
        int precision = type.getPrecision();
        ArrowBuf a = left.getDataBuffer();
        ArrowBuf b = right.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right.isNull(row)) {
                continue;
            }
            long x = Decimal128.low(a, row);
            long y = Decimal128.low(b, row);
            if (Decimal128.isLong(x, Decimal128.high(a, row)) && Decimal128.isLong(y, Decimal128.high(b, row))) {
                long product = x * y;
                if (Math.multiplyHigh(x, y) == product >> 63 && product != SLOW && Decimal128.fits(product, precision)) {
                    Decimal128.set(out, row, product);
                    continue;
                }
            }
            setChecked(out, row, Decimal128.unscaled(left, row).multiply(Decimal128.unscaled(right, row)), left, right);
        }
    }

    /** {@code a / b} at the result scale S: {@code round(a * 10^(S - s1 + s2) / b)}, unscaled. */
    private void divide(DecimalVector left, DecimalVector right, DecimalVector out, int rows) {
        int precision = type.getPrecision();
        int shift = type.getScale() - left.getScale() + right.getScale();
        ArrowBuf a = left.getDataBuffer();
        ArrowBuf b = right.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right.isNull(row)) {
                continue;
            }
            long aLow = Decimal128.low(a, row);
            long y = Decimal128.low(b, row);
            boolean rightIsLong = Decimal128.isLong(y, Decimal128.high(b, row));
            if (rightIsLong && y == 0) {
                continue; // division by zero: NULL
            }
            if (rightIsLong && y != SLOW && Decimal128.isLong(aLow, Decimal128.high(a, row))) {
                long x = Decimal128.scaleUp(aLow, shift);
                if (x != SLOW) {
                    long quotient = x / y;
                    long remainder = Math.abs(x % y);
                    if (remainder >= Math.abs(y) - remainder) {
                        quotient += (x ^ y) < 0 ? -1 : 1;
                    }
                    if (Decimal128.fits(quotient, precision)) {
                        Decimal128.set(out, row, quotient);
                        continue;
                    }
                }
            }
            BigInteger x = Decimal128.unscaled(left, row).multiply(Decimal128.bigPowerOfTen(shift));
            setChecked(out, row, Decimal128.divideHalfUp(x, Decimal128.unscaled(right, row)), left, right);
        }
    }

    /** Truncated remainder (the sign of the dividend) at the common scale, as MySQL, DuckDB and Java's %. */
    private void modulo(DecimalVector left, DecimalVector right, DecimalVector out, int rows) {
        int scale = type.getScale();
        int precision = type.getPrecision();
        int leftShift = scale - left.getScale();
        int rightShift = scale - right.getScale();
        ArrowBuf a = left.getDataBuffer();
        ArrowBuf b = right.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (left.isNull(row) || right.isNull(row)) {
                continue;
            }
            long aLow = Decimal128.low(a, row);
            long bLow = Decimal128.low(b, row);
            boolean rightIsLong = Decimal128.isLong(bLow, Decimal128.high(b, row));
            if (rightIsLong && bLow == 0) {
                continue; // modulo by zero: NULL
            }
            if (rightIsLong && Decimal128.isLong(aLow, Decimal128.high(a, row))) {
                long x = Decimal128.scaleUp(aLow, leftShift);
                long y = Decimal128.scaleUp(bLow, rightShift);
                if (x != SLOW && y != SLOW) {
                    long remainder = x % y;
                    if (Decimal128.fits(remainder, precision)) {
                        Decimal128.set(out, row, remainder);
                        continue;
                    }
                }
            }
            BigInteger x = Decimal128.unscaled(left, row).multiply(Decimal128.bigPowerOfTen(leftShift));
            BigInteger y = Decimal128.unscaled(right, row).multiply(Decimal128.bigPowerOfTen(rightShift));
            setChecked(out, row, x.remainder(y), left, right);
        }
    }

    private void negate(DecimalVector value, DecimalVector out, int rows) {
        ArrowBuf a = value.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (value.isNull(row)) {
                continue;
            }
            long x = Decimal128.low(a, row);
            if (Decimal128.isLong(x, Decimal128.high(a, row)) && x != SLOW) {
                Decimal128.set(out, row, -x);
            } else {
                setChecked(out, row, Decimal128.unscaled(value, row).negate(), value, null);
            }
        }
    }

    private void setChecked(DecimalVector out, int row, BigInteger unscaled, DecimalVector left, DecimalVector right) {
        if (!Decimal128.fits(unscaled, type.getPrecision())) {
            throw Vectors.dataError(executorId, function.wireName() + " overflows " + ColumnTypes.describe(type) + ": "
                    + Decimal128.toBigDecimal(left, row).toPlainString()
                    + (right == null ? "" : ", " + Decimal128.toBigDecimal(right, row).toPlainString()));
        }
        Decimal128.set(out, row, unscaled);
    }
}
