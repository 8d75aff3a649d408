package io.mppnode.exec.operator.sort;

import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.SortOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;

/**
 * A key whose values map to 64-bit integers that compare like the values: integers, dates,
 * timestamps and booleans as they are, decimals of up to 18 digits by their unscaled value, and
 * doubles by their bits reordered so that signed comparison gives -inf < ... < -0.0 = 0.0 < ...
 * < +inf < NaN (NaN above every number, as DuckDB and PostgreSQL sort). A descending key stores
 * the complement ({@code ~v}, which reverses the order without overflow), so every comparison is
 * ascending.
 *
 * <p>A NULL is stored as {@link Long#MIN_VALUE} when NULLs go first and {@link Long#MAX_VALUE}
 * when they go last. No normalized value of a narrow type (32-bit integers, dates, booleans,
 * doubles, decimals of up to 18 digits) is either extreme, so there a comparison is one
 * {@code Long.compare}. Only INT64 and TIMESTAMP can meet the extreme as a value: they also keep
 * a null flag per row, read only when both values equal the extreme.
 */
final class LongKeyColumn extends KeyColumn {
    static final int MAX_LONG_DECIMAL_PRECISION = 18;

    private final boolean descending;
    private final long nullValue;
    private final int nullRank;
    private final boolean wide;
    private long[] values = new long[0];
    /** Only for wide types: whether each row is NULL. */
    private boolean[] nulls;

    LongKeyColumn(SortOrder order, boolean wide, HeapMemory memory) {
        super(memory);
        this.descending = order.descending();
        this.nullValue = order.nullsFirst() ? Long.MIN_VALUE : Long.MAX_VALUE;
        this.nullRank = order.nullsFirst() ? -1 : 1;
        this.wide = wide;
        this.nulls = wide ? new boolean[0] : null;
    }

    @Override
    public int compare(int left, int right) {
        long a = values[left];
        long b = values[right];
        if (a != b) {
            return a < b ? -1 : 1;
        }
        if (nulls == null || a != nullValue) {
            return 0;
        }
        return rank(left) - rank(right);
    }

    private int rank(int row) {
        return nulls[row] ? nullRank : 0;
    }

    @Override
    void append(FieldVector vector, int rows) {
        ensureCapacity((long) rowCount + rows);
        int base = rowCount;
        ArrowBuf data = vector.getDataBuffer();
        switch (vector) {
            case IntVector ints -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, ints.isNull(i), data.getInt((long) i << 2));
                }
            }
            case DateDayVector days -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, days.isNull(i), data.getInt((long) i << 2));
                }
            }
            case BigIntVector longs -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, longs.isNull(i), data.getLong((long) i << 3));
                }
            }
            case TimeStampMicroVector micros -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, micros.isNull(i), data.getLong((long) i << 3));
                }
            }
            case Float8Vector doubles -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, doubles.isNull(i), orderedBits(data.getDouble((long) i << 3)));
                }
            }
            case BitVector bits -> {
                for (int i = 0; i < rows; i++) {
                    put(base + i, bits.isNull(i), (data.getByte(i >>> 3) >>> (i & 7)) & 1);
                }
            }
            case DecimalVector decimals -> {
                // Little-endian 128-bit two's complement: up to 18 digits the low word is the value.
                for (int i = 0; i < rows; i++) {
                    put(base + i, decimals.isNull(i), data.getLong((long) i * DecimalVector.TYPE_WIDTH));
                }
            }
            default -> throw new IllegalArgumentException("not a 64-bit sort key: " + vector.getField());
        }
        rowCount = base + rows;
    }

    private void put(int row, boolean isNull, long value) {
        if (isNull) {
            values[row] = nullValue;
        } else {
            values[row] = descending ? ~value : value;
        }
        if (wide) {
            nulls[row] = isNull;
        }
    }

    /** The bits of a double as a long whose signed order is the SQL order of the doubles. */
    static long orderedBits(double value) {
        // doubleToLongBits makes every NaN the one canonical NaN; + 0.0 turns -0.0 into 0.0.
        long bits = Double.doubleToLongBits(value + 0.0);
        return bits < 0 ? bits ^ Long.MAX_VALUE : bits;
    }

    private void ensureCapacity(long needed) {
        if (needed <= capacity) {
            return;
        }
        int grown = grownCapacity(capacity, needed);
        long[] newValues = allocate(8L * grown, () -> java.util.Arrays.copyOf(values, grown));
        boolean[] newNulls = null;
        if (wide) {
            try {
                newNulls = allocate(grown, () -> java.util.Arrays.copyOf(nulls, grown));
            } catch (RuntimeException e) {
                memory.release(8L * grown);
                throw e;
            }
        }
        release();
        values = newValues;
        nulls = newNulls;
        capacity = grown;
    }

    @Override
    void retain(int[] rows, int count) {
        long[] newValues = allocate(8L * count, () -> new long[count]);
        boolean[] newNulls = null;
        if (wide) {
            try {
                newNulls = allocate(count, () -> new boolean[count]);
            } catch (RuntimeException e) {
                memory.release(8L * count);
                throw e;
            }
        }
        for (int i = 0; i < count; i++) {
            newValues[i] = values[rows[i]];
        }
        if (wide) {
            for (int i = 0; i < count; i++) {
                newNulls[i] = nulls[rows[i]];
            }
        }
        release();
        values = newValues;
        nulls = newNulls;
        capacity = count;
        rowCount = count;
    }

    private void release() {
        memory.release((wide ? 9L : 8L) * capacity);
    }

    @Override
    void close() {
        release();
        capacity = 0;
        rowCount = 0;
        values = new long[0];
        nulls = wide ? new boolean[0] : null;
    }
}
