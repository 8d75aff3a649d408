package io.mppnode.exec.operator.aggregation;

import java.math.BigDecimal;
import java.math.BigInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.DecimalVector;

/**
 * Signed 128-bit integers as (high, low) longs, in Arrow's decimal layout (16 bytes, little
 * endian, two's complement): the exact sums of decimal aggregates.
 */
final class Int128 {
    /** 10^38 - 1, the largest unscaled value of a decimal(38, s). */
    static final long MAX_HIGH = 0x4b3b4ca85a86c47aL;
    static final long MAX_LOW = 0x098a223fffffffffL;

    private Int128() {}

    static long low(ArrowBuf data, int row) {
        return data.getLong((long) row << 4);
    }

    static long high(ArrowBuf data, int row) {
        return data.getLong(((long) row << 4) + 8);
    }

    /** Whether (high, low) lies within +-(10^38 - 1). */
    static boolean fitsDecimal38(long high, long low) {
        if (high >= 0) {
            return high < MAX_HIGH || (high == MAX_HIGH && Long.compareUnsigned(low, MAX_LOW) <= 0);
        }
        // -v = (~high, ~low) + 1
        long negatedLow = -low;
        long negatedHigh = ~high + (low == 0 ? 1 : 0);
        return negatedHigh >= 0 && (negatedHigh < MAX_HIGH
                || (negatedHigh == MAX_HIGH && Long.compareUnsigned(negatedLow, MAX_LOW) <= 0));
    }

    static int compare(long highA, long lowA, long highB, long lowB) {
        int byHigh = Long.compare(highA, highB);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(lowA, lowB);
    }

    static void write(DecimalVector vector, int row, long high, long low) {
        ArrowBuf data = vector.getDataBuffer();
        data.setLong((long) row << 4, low);
        data.setLong(((long) row << 4) + 8, high);
        BitVectorHelper.setBit(vector.getValidityBuffer(), row);
    }

    static BigDecimal toBigDecimal(long high, long low, int scale) {
        BigInteger value = BigInteger.valueOf(high).shiftLeft(64).add(new BigInteger(Long.toUnsignedString(low)));
        return new BigDecimal(value, scale);
    }
}
