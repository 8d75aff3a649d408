package io.mppnode.exec.operator.sort;

import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.SortOrder;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * A string key, compared by its UTF-8 bytes as unsigned values (as comparisons in expressions
 * do; for UTF-8 that is code point order). The bytes of every row sit in one arena; each row
 * also keeps its first 8 bytes as a big-endian prefix (zero-padded), so that most comparisons
 * are decided by one unsigned long comparison and only rows with equal prefixes read the arena.
 */
final class StringKeyColumn extends KeyColumn {
    /** Per row: the prefix (8), the offset (4), the null flag (1). */
    private static final long BYTES_PER_ROW = 13;
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final int sign;
    private final int nullRank;
    private long[] prefixes = new long[0];
    /** Row r's bytes are arena[offsets[r] .. offsets[r + 1]). */
    private int[] offsets = new int[1];
    private boolean[] nulls = new boolean[0];
    private byte[] arena = new byte[0];

    StringKeyColumn(SortOrder order, HeapMemory memory) {
        super(memory);
        this.sign = order.descending() ? -1 : 1;
        this.nullRank = order.nullsFirst() ? -1 : 1;
    }

    @Override
    public int compare(int left, int right) {
        boolean leftNull = nulls[left];
        boolean rightNull = nulls[right];
        if (leftNull || rightNull) {
            return leftNull == rightNull ? 0 : leftNull ? nullRank : -nullRank;
        }
        int order = Long.compareUnsigned(prefixes[left], prefixes[right]);
        if (order == 0) {
            // The prefixes cover the first min(8, length) bytes of each: compare what follows.
            int leftStart = offsets[left];
            int leftEnd = offsets[left + 1];
            int rightStart = offsets[right];
            int rightEnd = offsets[right + 1];
            int skip = Math.min(8, Math.min(leftEnd - leftStart, rightEnd - rightStart));
            order = Arrays.compareUnsigned(arena, leftStart + skip, leftEnd, arena, rightStart + skip, rightEnd);
        }
        return sign * Integer.signum(order);
    }

    @Override
    void append(FieldVector vector, int rows) {
        if (!(vector instanceof VarCharVector strings)) {
            throw new IllegalArgumentException("not a string sort key: " + vector.getField());
        }
        if (rows == 0) {
            return;
        }
        ArrowBuf inOffsets = strings.getOffsetBuffer();
        int first = inOffsets.getInt(0);
        int last = inOffsets.getInt((long) rows << 2);
        int arenaEnd = offsets[rowCount];
        ensureArena((long) arenaEnd + (last - first));
        ensureCapacity((long) rowCount + rows);
        // One copy of the batch's bytes; the offsets of rows are contiguous, so they map over as a shift.
        strings.getDataBuffer().getBytes(first, arena, arenaEnd, last - first);
        int shift = arenaEnd - first;
        for (int i = 0; i < rows; i++) {
            int row = rowCount + i;
            int start = inOffsets.getInt((long) i << 2) + shift;
            int end = inOffsets.getInt((long) (i + 1) << 2) + shift;
            offsets[row + 1] = end;
            boolean isNull = strings.isNull(i);
            nulls[row] = isNull;
            prefixes[row] = isNull ? 0 : prefix(arena, start, end - start);
        }
        rowCount += rows;
    }

    private static long prefix(byte[] bytes, int start, int length) {
        if (length >= 8) {
            return (long) BIG_ENDIAN_LONG.get(bytes, start);
        }
        long prefix = 0;
        for (int i = 0; i < length; i++) {
            prefix |= (bytes[start + i] & 0xFFL) << (56 - 8 * i);
        }
        return prefix;
    }

    private void ensureCapacity(long needed) {
        if (needed <= capacity) {
            return;
        }
        int grown = grownCapacity(capacity, needed);
        long[] newPrefixes = allocate(8L * grown, () -> Arrays.copyOf(prefixes, grown));
        int[] newOffsets;
        boolean[] newNulls;
        try {
            newOffsets = allocate(4L * grown, () -> Arrays.copyOf(offsets, grown + 1));
            try {
                newNulls = allocate(grown, () -> Arrays.copyOf(nulls, grown));
            } catch (RuntimeException e) {
                memory.release(4L * grown);
                throw e;
            }
        } catch (RuntimeException e) {
            memory.release(8L * grown);
            throw e;
        }
        memory.release(BYTES_PER_ROW * capacity);
        prefixes = newPrefixes;
        offsets = newOffsets;
        nulls = newNulls;
        capacity = grown;
    }

    private void ensureArena(long needed) {
        if (needed <= arena.length) {
            return;
        }
        if (needed > MAX_ARRAY_LENGTH) {
            throw new OutOfMemoryException("cannot hold more than " + MAX_ARRAY_LENGTH + " bytes of string sort keys");
        }
        int grown = (int) Math.min(MAX_ARRAY_LENGTH, Math.max(needed, Math.max(64, arena.length + (arena.length >> 1))));
        byte[] newArena = allocate(grown, () -> Arrays.copyOf(arena, grown));
        memory.release(arena.length);
        arena = newArena;
    }

    @Override
    void retain(int[] rows, int count) {
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            bytes += offsets[rows[i] + 1] - offsets[rows[i]];
        }
        long arenaBytes = bytes;
        byte[] newArena = allocate(arenaBytes, () -> new byte[(int) arenaBytes]);
        long[] newPrefixes;
        int[] newOffsets;
        boolean[] newNulls;
        try {
            newPrefixes = allocate(8L * count, () -> new long[count]);
            try {
                newOffsets = allocate(4L * count, () -> new int[count + 1]);
                try {
                    newNulls = allocate(count, () -> new boolean[count]);
                } catch (RuntimeException e) {
                    memory.release(4L * count);
                    throw e;
                }
            } catch (RuntimeException e) {
                memory.release(8L * count);
                throw e;
            }
        } catch (RuntimeException e) {
            memory.release(arenaBytes);
            throw e;
        }
        int position = 0;
        for (int i = 0; i < count; i++) {
            int row = rows[i];
            int length = offsets[row + 1] - offsets[row];
            System.arraycopy(arena, offsets[row], newArena, position, length);
            position += length;
            newOffsets[i + 1] = position;
            newPrefixes[i] = prefixes[row];
            newNulls[i] = nulls[row];
        }
        memory.release(BYTES_PER_ROW * capacity + arena.length);
        arena = newArena;
        prefixes = newPrefixes;
        offsets = newOffsets;
        nulls = newNulls;
        capacity = count;
        rowCount = count;
    }

    @Override
    void close() {
        memory.release(BYTES_PER_ROW * capacity + arena.length);
        capacity = 0;
        rowCount = 0;
        arena = new byte[0];
        prefixes = new long[0];
        offsets = new int[1];
        nulls = new boolean[0];
    }
}
