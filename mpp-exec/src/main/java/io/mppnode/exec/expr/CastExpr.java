package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.Decimal128.SLOW;
import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
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

/**
 * Converts a value to another type, for an explicit {@code cast} and for the compiler's implicit
 * conversions to a common type. The conversion is chosen once per batch; each is one loop.
 * <ul>
 *   <li>Between numbers: exact, rounding half away from zero (HALF_UP) when digits are dropped
 *       (decimal to a smaller scale or to an integer). float64 to an integer rounds the double
 *       half to even (as DuckDB, MySQL and TiDB). float64 to a decimal rounds HALF_UP the
 *       shortest decimal text of the double (what it prints as), as MySQL and TiDB: 2.675 and
 *       1.005 give 2.68 and 1.01 at scale 2 although both are a little below in binary (DuckDB
 *       rounds the double product {@code value * 10^scale} instead, and gives 2.68 and 1.00). A
 *       value outside the target (int32 range, the decimal's precision, NaN or an infinity to
 *       an exact type) is a DATA_ERROR naming the value and the type.
 *   <li>BOOLEAN to an integer is 1 or 0; an integer to BOOLEAN is whether it is not zero.
 *   <li>DATE to TIMESTAMP is its midnight; TIMESTAMP to DATE drops the time of day.
 *   <li>To STRING: see {@link TextFormat}. From STRING: see {@link TextParser}; text that does
 *       not parse, or parses out of range, is a DATA_ERROR quoting the text and naming the type.
 * </ul>
 * NULL stays NULL.
 */
record CastExpr(VectorExpr arg, DataType type, String executorId) implements VectorExpr {
    private static final double TWO_TO_63 = 0x1p63;
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    CastExpr {
        requireNonNull(arg, "arg is null");
        requireNonNull(type, "type is null");
        requireNonNull(executorId, "executorId is null");
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        DataType from = arg.type();
        if (from.equals(type)) {
            return arg.evaluate(batch, allocator);
        }
        if (from.getKind() == TypeKind.DECIMAL && type.getKind() == TypeKind.DECIMAL && from.getScale() == type.getScale()
                && from.getPrecision() <= type.getPrecision()) {
            return relabel(arg.evaluate(batch, allocator), allocator);
        }
        return Vectors.compute(List.of(arg), type, batch, allocator, (values, out, rows) -> convert(values[0], out, rows));
    }

    /** The same unscaled values under a wider precision: the buffers move, nothing is copied. */
    private FieldVector relabel(FieldVector value, BufferAllocator allocator) {
        try (value) {
            FieldVector out = ColumnTypes.toArrowField("", type).createVector(allocator);
            try {
                value.makeTransferPair(out).transfer();
                return out;
            } catch (RuntimeException | Error e) {
                out.close();
                throw e;
            }
        }
    }

    private void convert(FieldVector in, FieldVector out, int rows) {
        TypeKind from = arg.type().getKind();
        if (type.getKind() == TypeKind.STRING) {
            toText(in, (VarCharVector) out, rows);
            return;
        }
        if (from == TypeKind.STRING) {
            fromText((VarCharVector) in, out, rows);
            return;
        }
        switch (type.getKind()) {
            case BOOLEAN -> integerToBoolean(Vectors.longs(in), in, (BitVector) out, rows);
            case INT32, INT64 -> {
                switch (from) {
                    case BOOLEAN -> booleanToInteger((BitVector) in, out, rows);
                    case INT32, INT64 -> integerToInteger(Vectors.longs(in), in, out, rows);
                    case FLOAT64 -> doubleToInteger((Float8Vector) in, out, rows);
                    case DECIMAL -> decimalToInteger((DecimalVector) in, out, rows);
                    default -> throw unexpected();
                }
            }
            case FLOAT64 -> {
                switch (from) {
                    case INT32, INT64 -> integerToDouble(Vectors.longs(in), in, (Float8Vector) out, rows);
                    case DECIMAL -> decimalToDouble((DecimalVector) in, (Float8Vector) out, rows);
                    default -> throw unexpected();
                }
            }
            case DECIMAL -> {
                switch (from) {
                    case INT32, INT64 -> integerToDecimal(Vectors.longs(in), in, (DecimalVector) out, rows);
                    case FLOAT64 -> doubleToDecimal((Float8Vector) in, (DecimalVector) out, rows);
                    case DECIMAL -> decimalToDecimal((DecimalVector) in, (DecimalVector) out, rows);
                    default -> throw unexpected();
                }
            }
            case DATE -> timestampToDate((TimeStampMicroVector) in, (DateDayVector) out, rows);
            case TIMESTAMP -> dateToTimestamp((DateDayVector) in, (TimeStampMicroVector) out, rows);
            default -> throw unexpected();
        }
    }

    // ----- numbers, booleans, dates -----

    private static void integerToBoolean(Vectors.LongReader values, FieldVector in, BitVector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (!in.isNull(row)) {
                out.set(row, values.get(row) != 0 ? 1 : 0);
            }
        }
    }

    private static void booleanToInteger(BitVector in, FieldVector out, int rows) {
        IntVector ints = out instanceof IntVector vector ? vector : null;
        BigIntVector longs = out instanceof BigIntVector vector ? vector : null;
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            if (ints != null) {
                ints.set(row, in.get(row));
            } else {
                longs.set(row, in.get(row));
            }
        }
    }

    private void integerToInteger(Vectors.LongReader values, FieldVector in, FieldVector out, int rows) {
        if (out instanceof BigIntVector longs) {
            for (int row = 0; row < rows; row++) {
                if (!in.isNull(row)) {
                    longs.set(row, values.get(row));
                }
            }
            return;
        }
        IntVector ints = (IntVector) out;
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            long value = values.get(row);
            if (value != (int) value) {
                throw overflow(Long.toString(value));
            }
            ints.set(row, (int) value);
        }
    }

    private void doubleToInteger(Float8Vector in, FieldVector out, int rows) {
        IntVector ints = out instanceof IntVector vector ? vector : null;
        BigIntVector longs = out instanceof BigIntVector vector ? vector : null;
        double min = ints != null ? Integer.MIN_VALUE : -TWO_TO_63;
        // Exclusive: int64's largest value has no double; 2^63 is the first double above it.
        double maxExclusive = ints != null ? Integer.MAX_VALUE + 1.0 : TWO_TO_63;
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            double value = in.get(row);
            double rounded = Math.rint(value);
            if (!(rounded >= min && rounded < maxExclusive)) {
                throw Double.isNaN(value) || Double.isInfinite(value) ? cannotCast(TextFormat.float64(value))
                        : overflow(TextFormat.float64(value));
            }
            if (ints != null) {
                ints.set(row, (int) rounded);
            } else {
                longs.set(row, (long) rounded);
            }
        }
    }

    private void decimalToInteger(DecimalVector in, FieldVector out, int rows) {
        IntVector ints = out instanceof IntVector vector ? vector : null;
        BigIntVector longs = out instanceof BigIntVector vector ? vector : null;
        int scale = in.getScale();
        ArrowBuf data = in.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            long low = Decimal128.low(data, row);
            long value;
            if (Decimal128.isLong(low, Decimal128.high(data, row))) {
                value = Decimal128.scaleDownHalfUp(low, scale);
            } else {
                BigInteger rounded = Decimal128.scaleDownHalfUp(Decimal128.unscaled(in, row), scale);
                if (rounded.bitLength() > 63) {
                    throw overflow(Decimal128.toBigDecimal(in, row).toPlainString());
                }
                value = rounded.longValue();
            }
            if (ints != null) {
                if (value != (int) value) {
                    throw overflow(Decimal128.toBigDecimal(in, row).toPlainString());
                }
                ints.set(row, (int) value);
            } else {
                longs.set(row, value);
            }
        }
    }

    private static void integerToDouble(Vectors.LongReader values, FieldVector in, Float8Vector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (!in.isNull(row)) {
                out.set(row, (double) values.get(row));
            }
        }
    }

    private static void decimalToDouble(DecimalVector in, Float8Vector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (!in.isNull(row)) {
                out.set(row, Decimal128.toDouble(in, row));
            }
        }
    }

    private void integerToDecimal(Vectors.LongReader values, FieldVector in, DecimalVector out, int rows) {
        int scale = out.getScale();
        int precision = out.getPrecision();
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            long value = values.get(row);
            long unscaled = Decimal128.scaleUp(value, scale);
            if (unscaled != SLOW && Decimal128.fits(unscaled, precision)) {
                Decimal128.set(out, row, unscaled);
            } else {
                setChecked(out, row, BigInteger.valueOf(value).multiply(Decimal128.bigPowerOfTen(scale)), Long.toString(value));
            }
        }
    }

    private void doubleToDecimal(Float8Vector in, DecimalVector out, int rows) {
        int scale = out.getScale();
        int precision = out.getPrecision();
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            double value = in.get(row);
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                throw cannotCast(TextFormat.float64(value));
            }
            // 1e39 has more integer digits than any decimal: refuse before building a huge BigDecimal.
            if (Math.abs(value) >= 1e39) {
                throw overflow(TextFormat.float64(value));
            }
            // The double's shortest decimal text, as MySQL and TiDB take it: 2.675 is 2.68 at scale 2
            // although its binary value is a little below.
            BigInteger unscaled = BigDecimal.valueOf(value).setScale(scale, RoundingMode.HALF_UP).unscaledValue();
            if (!Decimal128.fits(unscaled, precision)) {
                throw overflow(TextFormat.float64(value));
            }
            Decimal128.set(out, row, unscaled);
        }
    }

    private void decimalToDecimal(DecimalVector in, DecimalVector out, int rows) {
        int shift = out.getScale() - in.getScale();
        int precision = out.getPrecision();
        ArrowBuf data = in.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            long low = Decimal128.low(data, row);
            if (Decimal128.isLong(low, Decimal128.high(data, row))) {
                long unscaled = shift >= 0 ? Decimal128.scaleUp(low, shift) : Decimal128.scaleDownHalfUp(low, -shift);
                if (unscaled != SLOW && Decimal128.fits(unscaled, precision)) {
                    Decimal128.set(out, row, unscaled);
                    continue;
                }
            }
            BigInteger value = Decimal128.unscaled(in, row);
            BigInteger unscaled = shift >= 0 ? value.multiply(Decimal128.bigPowerOfTen(shift)) : Decimal128.scaleDownHalfUp(value, -shift);
            setChecked(out, row, unscaled, Decimal128.toBigDecimal(in, row).toPlainString());
        }
    }

    private static void timestampToDate(TimeStampMicroVector in, DateDayVector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (!in.isNull(row)) {
                // At most 2^63 / 86400e6 days: always an int.
                out.set(row, (int) CivilCalendar.daysOfMicros(in.get(row)));
            }
        }
    }

    private void dateToTimestamp(DateDayVector in, TimeStampMicroVector out, int rows) {
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            long days = in.get(row);
            long micros = days * CivilCalendar.MICROS_PER_DAY;
            if (Math.multiplyHigh(days, CivilCalendar.MICROS_PER_DAY) != micros >> 63) {
                throw overflow(TextFormat.date(days));
            }
            out.set(row, micros);
        }
    }

    // ----- text -----

    private void toText(FieldVector in, VarCharVector out, int rows) {
        switch (in) {
            case BitVector bits -> {
                for (int row = 0; row < rows; row++) {
                    if (!bits.isNull(row)) {
                        out.setSafe(row, bits.get(row) == 1 ? TRUE : FALSE);
                    }
                }
            }
            case IntVector ints -> {
                for (int row = 0; row < rows; row++) {
                    if (!ints.isNull(row)) {
                        out.setSafe(row, ascii(Integer.toString(ints.get(row))));
                    }
                }
            }
            case BigIntVector longs -> {
                for (int row = 0; row < rows; row++) {
                    if (!longs.isNull(row)) {
                        out.setSafe(row, ascii(Long.toString(longs.get(row))));
                    }
                }
            }
            case Float8Vector doubles -> {
                for (int row = 0; row < rows; row++) {
                    if (!doubles.isNull(row)) {
                        out.setSafe(row, ascii(TextFormat.float64(doubles.get(row))));
                    }
                }
            }
            case DecimalVector decimals -> {
                int scale = decimals.getScale();
                ArrowBuf data = decimals.getDataBuffer();
                for (int row = 0; row < rows; row++) {
                    if (decimals.isNull(row)) {
                        continue;
                    }
                    long low = Decimal128.low(data, row);
                    long high = Decimal128.high(data, row);
                    out.setSafe(row, ascii(Decimal128.isLong(low, high) ? TextFormat.decimal(low, scale)
                            : TextFormat.decimal(Decimal128.toBigInteger(low, high), scale)));
                }
            }
            case DateDayVector days -> {
                for (int row = 0; row < rows; row++) {
                    if (!days.isNull(row)) {
                        out.setSafe(row, ascii(TextFormat.date(days.get(row))));
                    }
                }
            }
            case TimeStampMicroVector micros -> {
                for (int row = 0; row < rows; row++) {
                    if (!micros.isNull(row)) {
                        out.setSafe(row, ascii(TextFormat.timestamp(micros.get(row))));
                    }
                }
            }
            default -> throw unexpected();
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses one row's text and sets the row of the result; answers a {@link TextParser} status. */
    @FunctionalInterface
    private interface RowParser {
        int parse(byte[] text, int length, int row);
    }

    private void fromText(VarCharVector in, FieldVector out, int rows) {
        TextParser parser = new TextParser();
        RowParser rowParser = switch (out) {
            case BitVector bits -> (text, length, row) -> {
                int status = parser.parseBoolean(text, length);
                if (status == TextParser.OK) {
                    bits.set(row, parser.booleanValue ? 1 : 0);
                }
                return status;
            };
            case IntVector ints -> (text, length, row) -> {
                int status = parser.parseInteger(text, length, Integer.MIN_VALUE, Integer.MAX_VALUE);
                if (status == TextParser.OK) {
                    ints.set(row, (int) parser.longValue);
                }
                return status;
            };
            case BigIntVector longs -> (text, length, row) -> {
                int status = parser.parseInteger(text, length, Long.MIN_VALUE, Long.MAX_VALUE);
                if (status == TextParser.OK) {
                    longs.set(row, parser.longValue);
                }
                return status;
            };
            case Float8Vector doubles -> (text, length, row) -> {
                int status = parser.parseDouble(text, length);
                if (status == TextParser.OK) {
                    doubles.set(row, parser.doubleValue);
                }
                return status;
            };
            case DecimalVector decimals -> (text, length, row) -> {
                int status = parser.parseDecimal(text, length, decimals.getScale(), decimals.getPrecision());
                if (status == TextParser.OK) {
                    Decimal128.set(decimals, row, parser.unscaledValue);
                }
                return status;
            };
            case DateDayVector days -> (text, length, row) -> {
                int status = parser.parseDate(text, length);
                if (status == TextParser.OK) {
                    days.set(row, (int) parser.longValue);
                }
                return status;
            };
            case TimeStampMicroVector micros -> (text, length, row) -> {
                int status = parser.parseTimestamp(text, length);
                if (status == TextParser.OK) {
                    micros.set(row, parser.longValue);
                }
                return status;
            };
            default -> throw unexpected();
        };
        Vectors.ByteScratch scratch = new Vectors.ByteScratch();
        for (int row = 0; row < rows; row++) {
            if (in.isNull(row)) {
                continue;
            }
            byte[] text = scratch.load(in, row);
            int status = rowParser.parse(text, scratch.length(), row);
            if (status != TextParser.OK) {
                String value = TextFormat.quoted(new String(text, 0, scratch.length(), StandardCharsets.UTF_8));
                throw status == TextParser.OUT_OF_RANGE ? overflow(value) : cannotCast(value);
            }
        }
    }

    // ----- errors -----

    private void setChecked(DecimalVector out, int row, BigInteger unscaled, String value) {
        if (!Decimal128.fits(unscaled, out.getPrecision())) {
            throw overflow(value);
        }
        Decimal128.set(out, row, unscaled);
    }

    private RuntimeException overflow(String value) {
        return Vectors.dataError(executorId, "cast overflows " + ColumnTypes.describe(type) + ": " + value);
    }

    private RuntimeException cannotCast(String value) {
        return Vectors.dataError(executorId, "cannot cast " + value + " to " + ColumnTypes.describe(type));
    }

    private IllegalStateException unexpected() {
        return new IllegalStateException("no cast from " + ColumnTypes.describe(arg.type()) + " to " + ColumnTypes.describe(type));
    }
}
