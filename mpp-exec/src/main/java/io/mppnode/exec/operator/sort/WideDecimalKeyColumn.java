package io.mppnode.exec.operator.sort;

import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.SortOrder;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;

/**
 * A decimal key of more than 18 digits, as its 128-bit unscaled value in two words: the high
 * word compares signed, the low word unsigned. Every value of a key has the key's scale, so the
 * unscaled values compare like the decimals. A descending key stores the complement of both
 * words (the 128-bit {@code ~v}, which reverses the order). A NULL is a high word of
 * {@link Long#MIN_VALUE} (NULLs first) or {@link Long#MAX_VALUE} (last): with at most 38 digits
 * the high word of a value stays within about 2^62 of zero, so it never meets either.
 */
final class WideDecimalKeyColumn extends KeyColumn {
    private static final long BYTES_PER_ROW = 16;

    private final boolean descending;
    private final long nullHigh;
    private long[] high = new long[0];
    private long[] low = new long[0];

    WideDecimalKeyColumn(SortOrder order, HeapMemory memory) {
        super(memory);
        this.descending = order.descending();
        this.nullHigh = order.nullsFirst() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    @Override
    public int compare(int left, int right) {
        long a = high[left];
        long b = high[right];
        if (a != b) {
            return a < b ? -1 : 1;
        }
        return Long.compareUnsigned(low[left], low[right]);
    }

    @Override
    void append(FieldVector vector, int rows) {
        if (!(vector instanceof DecimalVector decimals)) {
            throw new IllegalArgumentException("not a decimal sort key: " + vector.getField());
        }
        ensureCapacity((long) rowCount + rows);
        ArrowBuf data = decimals.getDataBuffer();
        long flip = descending ? -1L : 0L;
        for (int i = 0; i < rows; i++) {
            int row = rowCount + i;
            if (decimals.isNull(i)) {
                high[row] = nullHigh;
                low[row] = 0;
            } else {
                long offset = (long) i * DecimalVector.TYPE_WIDTH;
                low[row] = data.getLong(offset) ^ flip;
                high[row] = data.getLong(offset + 8) ^ flip;
            }
        }
        rowCount += rows;
    }

    private void ensureCapacity(long needed) {
        if (needed <= capacity) {
            return;
        }
        int grown = grownCapacity(capacity, needed);
        replace(allocate(BYTES_PER_ROW * grown, () -> new long[][] {Arrays.copyOf(high, grown), Arrays.copyOf(low, grown)}),
                grown);
    }

    @Override
    void retain(int[] rows, int count) {
        long[][] words = allocate(BYTES_PER_ROW * count, () -> new long[][] {new long[count], new long[count]});
        for (int i = 0; i < count; i++) {
            words[0][i] = high[rows[i]];
            words[1][i] = low[rows[i]];
        }
        replace(words, count);
        rowCount = count;
    }

    private void replace(long[][] words, int newCapacity) {
        memory.release(BYTES_PER_ROW * capacity);
        high = words[0];
        low = words[1];
        capacity = newCapacity;
    }

    @Override
    void close() {
        replace(new long[][] {new long[0], new long[0]}, 0);
        rowCount = 0;
    }
}
