package io.mppnode.exec.expr;

import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.ByteFunctionHelpers;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * The order of two vectors' values row by row, built once per batch for the pair's types, so
 * the row loop does no type dispatch. Values compare in one of four domains: strings by their
 * UTF-8 bytes (unsigned); anything with a float64 as doubles (-0.0 equals 0.0, NaN equals NaN
 * and is above every number, as DuckDB); anything else with a decimal exactly as decimals; the
 * rest (integers, booleans, dates, timestamps) as longs, a date against a timestamp as its
 * midnight.
 */
@FunctionalInterface
interface RowOrder {
    /** Negative, zero or positive as the left value of {@code row} is below, equal to or above the right one (neither NULL). */
    int compare(int row);

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

    static RowOrder of(FieldVector left, DataType leftType, FieldVector right, DataType rightType) {
        return switch (domain(leftType, rightType)) {
            case BYTES -> {
                VarCharVector a = (VarCharVector) left;
                VarCharVector b = (VarCharVector) right;
                ArrowBuf aData = a.getDataBuffer();
                ArrowBuf bData = b.getDataBuffer();
                yield row -> ByteFunctionHelpers.compare(aData, a.getStartOffset(row), a.getEndOffset(row),
                        bData, b.getStartOffset(row), b.getEndOffset(row));
            }
            case DOUBLE -> {
                DoubleReader a = doubles(left);
                DoubleReader b = doubles(right);
                yield row -> compareDoubles(a.get(row), b.get(row));
            }
            case DECIMAL -> {
                if (left instanceof DecimalVector a && right instanceof DecimalVector b && a.getScale() == b.getScale()) {
                    ArrowBuf aData = a.getDataBuffer();
                    ArrowBuf bData = b.getDataBuffer();
                    yield row -> {
                        int order = Long.compare(Decimal128.high(aData, row), Decimal128.high(bData, row));
                        return order != 0 ? order : Long.compareUnsigned(Decimal128.low(aData, row), Decimal128.low(bData, row));
                    };
                }
                DecimalReader a = decimals(left);
                DecimalReader b = decimals(right);
                yield row -> a.get(row).compareTo(b.get(row));
            }
            case LONG -> {
                boolean datesAsMicros = leftType.getKind() != rightType.getKind();
                Vectors.LongReader a = longs(left, datesAsMicros);
                Vectors.LongReader b = longs(right, datesAsMicros);
                yield row -> Long.compare(a.get(row), b.get(row));
            }
        };
    }

    /** Equal for -0.0 and 0.0; NaN equals NaN and sorts above everything. */
    static int compareDoubles(double a, double b) {
        return a == b ? 0 : Double.compare(a, b);
    }

    @FunctionalInterface
    interface DoubleReader {
        double get(int row);
    }

    @FunctionalInterface
    interface DecimalReader {
        BigDecimal get(int row);
    }

    /** Numbers as doubles (a decimal rounded correctly). */
    static DoubleReader doubles(FieldVector vector) {
        return switch (vector) {
            case Float8Vector doubles -> row -> doubles.get(row);
            case IntVector ints -> row -> ints.get(row);
            case BigIntVector longs -> row -> longs.get(row);
            case DecimalVector decimals -> row -> Decimal128.toDouble(decimals, row);
            default -> throw new IllegalStateException("not a number: " + vector.getField());
        };
    }

    /** Exact numbers as BigDecimals. */
    static DecimalReader decimals(FieldVector vector) {
        return switch (vector) {
            case DecimalVector decimals -> row -> Decimal128.toBigDecimal(decimals, row);
            case IntVector ints -> row -> BigDecimal.valueOf(ints.get(row));
            case BigIntVector longs -> row -> BigDecimal.valueOf(longs.get(row));
            default -> throw new IllegalStateException("not an exact number: " + vector.getField());
        };
    }

    /** Integers, booleans (0, 1), timestamps, and dates as days or, with {@code datesAsMicros}, as their midnight. */
    static Vectors.LongReader longs(FieldVector vector, boolean datesAsMicros) {
        return switch (vector) {
            case BitVector bits -> row -> bits.get(row);
            case DateDayVector days when datesAsMicros -> row -> midnight(days.get(row));
            case IntVector ints -> row -> ints.get(row);
            case BigIntVector longs -> row -> longs.get(row);
            case DateDayVector days -> row -> days.get(row);
            case TimeStampMicroVector micros -> row -> micros.get(row);
            default -> throw new IllegalStateException("not an integer-like vector: " + vector.getField());
        };
    }

    /** A day's midnight in microseconds, saturated for days beyond any timestamp (they still order correctly). */
    static long midnight(long days) {
        long micros = days * CivilCalendar.MICROS_PER_DAY;
        return Math.multiplyHigh(days, CivilCalendar.MICROS_PER_DAY) == micros >> 63 ? micros : days < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
}
