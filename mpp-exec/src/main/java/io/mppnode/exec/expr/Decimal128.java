package io.mppnode.exec.expr;

import java.math.BigDecimal;
import java.math.BigInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.DecimalVector;

/**
 * Arrow's decimal128 values as their unscaled 128-bit two's complement integers, little-endian:
 * a low and a high long. A value whose high half is its low half's sign extension is a plain
 * long, which is where the arithmetic's fast path runs; the rest goes through BigInteger.
 */
final class Decimal128 {
    /** 10^0 .. 10^18, every power of ten a long holds. */
    private static final long[] POWERS_OF_TEN = new long[19];
    /** 10^0 .. 10^77 (a product or a rescale of two 38-digit values stays below). */
    private static final BigInteger[] BIG_POWERS_OF_TEN = new BigInteger[78];
    /** 10^0 .. 10^22, the powers of ten a double holds exactly. */
    private static final double[] DOUBLE_POWERS_OF_TEN = new double[23];
    /** What the long helpers answer when the result is not a long: the caller redoes the row in BigInteger. */
    static final long SLOW = Long.MIN_VALUE;
    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    static {
        long power = 1;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = power;
            power *= 10;
        }
        for (int i = 0; i < DOUBLE_POWERS_OF_TEN.length; i++) {
            DOUBLE_POWERS_OF_TEN[i] = Double.parseDouble("1e" + i);
        }
        for (int i = 0; i < BIG_POWERS_OF_TEN.length; i++) {
            BIG_POWERS_OF_TEN[i] = BigInteger.TEN.pow(i);
        }
    }

    private Decimal128() {}

    static long low(ArrowBuf data, int row) {
        return data.getLong((long) row << 4);
    }

    static long high(ArrowBuf data, int row) {
        return data.getLong(((long) row << 4) + 8);
    }

    /** Whether the 128-bit value is a long (its high half only repeats the low half's sign). */
    static boolean isLong(long low, long high) {
        return high == low >> 63;
    }

    /**
     * The double nearest to the value: an exact long of at most 2^53 divided by an exact power of
     * ten is one correctly rounded IEEE division; anything else goes through BigDecimal.
     */
    static double toDouble(DecimalVector vector, int row) {
        ArrowBuf data = vector.getDataBuffer();
        long low = low(data, row);
        int scale = vector.getScale();
        if (isLong(low, high(data, row)) && Math.abs(low) <= 1L << 53 && scale < DOUBLE_POWERS_OF_TEN.length) {
            return low / DOUBLE_POWERS_OF_TEN[scale];
        }
        return toBigDecimal(vector, row).doubleValue();
    }

    static BigInteger toBigInteger(long low, long high) {
        BigInteger value = BigInteger.valueOf(high).shiftLeft(64);
        return value.add(low >= 0 ? BigInteger.valueOf(low) : BigInteger.valueOf(low).add(TWO_TO_64));
    }

    static BigInteger unscaled(DecimalVector vector, int row) {
        ArrowBuf data = vector.getDataBuffer();
        return toBigInteger(low(data, row), high(data, row));
    }

    /** Row {@code row} (not NULL) as a BigDecimal of the vector's scale: for error messages and slow paths. */
    static BigDecimal toBigDecimal(DecimalVector vector, int row) {
        return new BigDecimal(unscaled(vector, row), vector.getScale());
    }

    /** Sets row {@code row} (within the vector's capacity) to the unscaled value, and marks it non-NULL. */
    static void set(DecimalVector out, int row, long unscaled) {
        ArrowBuf data = out.getDataBuffer();
        data.setLong((long) row << 4, unscaled);
        data.setLong(((long) row << 4) + 8, unscaled >> 63);
        BitVectorHelper.setBit(out.getValidityBuffer(), row);
    }

    /** Sets row {@code row} to the 128-bit value {@code high:low}, and marks it non-NULL. */
    static void set(DecimalVector out, int row, long low, long high) {
        ArrowBuf data = out.getDataBuffer();
        data.setLong((long) row << 4, low);
        data.setLong(((long) row << 4) + 8, high);
        BitVectorHelper.setBit(out.getValidityBuffer(), row);
    }

    /** As {@link #set(DecimalVector, int, long)}; the value must fit 128 bits (any 38-digit value does). */
    static void set(DecimalVector out, int row, BigInteger unscaled) {
        ArrowBuf data = out.getDataBuffer();
        data.setLong((long) row << 4, unscaled.longValue());
        data.setLong(((long) row << 4) + 8, unscaled.shiftRight(64).longValue());
        BitVectorHelper.setBit(out.getValidityBuffer(), row);
    }

    /** Whether the unscaled value has at most {@code precision} digits. */
    static boolean fits(long unscaled, int precision) {
        return precision >= 19 || unscaled > -POWERS_OF_TEN[precision] && unscaled < POWERS_OF_TEN[precision];
    }

    static boolean fits(BigInteger unscaled, int precision) {
        return unscaled.abs().compareTo(BIG_POWERS_OF_TEN[precision]) < 0;
    }

    static BigInteger bigPowerOfTen(int exponent) {
        return BIG_POWERS_OF_TEN[exponent];
    }

    /**
     * {@code value * 10^exponent}, or {@link #SLOW} when that is not a long. (SLOW is Long.MIN_VALUE,
     * which is also returned for that value itself: callers take the slow path on it either way.)
     */
    static long scaleUp(long value, int exponent) {
        if (exponent >= POWERS_OF_TEN.length) {
            return value == 0 ? 0 : SLOW;
        }
        long factor = POWERS_OF_TEN[exponent];
        long product = value * factor;
        return Math.multiplyHigh(value, factor) == product >> 63 ? product : SLOW;
    }

    /** {@code value / 10^exponent} rounded half away from zero (HALF_UP). */
    static long scaleDownHalfUp(long value, int exponent) {
        if (exponent >= POWERS_OF_TEN.length) {
            return 0; // |value| < 10^19 <= 10^exponent / 2
        }
        long divisor = POWERS_OF_TEN[exponent];
        long quotient = value / divisor;
        long remainder = value % divisor;
        // |remainder| < divisor <= 10^18, so twice it cannot overflow.
        if (2 * Math.abs(remainder) >= divisor) {
            quotient += value < 0 ? -1 : 1;
        }
        return quotient;
    }

    /** {@code value / 10^exponent} rounded HALF_UP, on any integer. */
    static BigInteger scaleDownHalfUp(BigInteger value, int exponent) {
        return divideHalfUp(value, bigPowerOfTen(exponent));
    }

    /** {@code dividend / divisor} (not zero) rounded half away from zero. */
    static BigInteger divideHalfUp(BigInteger dividend, BigInteger divisor) {
        BigInteger[] quotientAndRemainder = dividend.divideAndRemainder(divisor);
        BigInteger quotient = quotientAndRemainder[0];
        if (quotientAndRemainder[1].abs().shiftLeft(1).compareTo(divisor.abs()) >= 0) {
            quotient = dividend.signum() == divisor.signum() ? quotient.add(BigInteger.ONE) : quotient.subtract(BigInteger.ONE);
        }
        return quotient;
    }
}
