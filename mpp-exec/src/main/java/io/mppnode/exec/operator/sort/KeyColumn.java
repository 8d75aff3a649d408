package io.mppnode.exec.operator.sort;

import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.SortOrder;
import io.mppnode.proto.plan.DataType;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;

/**
 * The values of one sort key for every buffered row, in Java arrays indexed by row number, in
 * a form chosen once per key type (see the subclasses) so that comparing two rows is a few
 * array reads with no type switch and no allocation. The arrays are counted in the operator's
 * {@link HeapMemory}; {@link #close()} gives them back.
 */
abstract sealed class KeyColumn implements RowComparator permits LongKeyColumn, WideDecimalKeyColumn, StringKeyColumn {
    /** The longest Java array we make (a little under Integer.MAX_VALUE, as the JDK's own). */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    final HeapMemory memory;
    int rowCount;
    int capacity;

    KeyColumn(HeapMemory memory) {
        this.memory = memory;
    }

    /**
     * The column for a key of {@code type}: INT32, DATE, BOOLEAN, FLOAT64 and decimals of up to
     * 18 digits, INT64 and TIMESTAMP as 64-bit normalized values; wider decimals as 128-bit
     * values; strings as byte arenas with an 8-byte prefix.
     */
    static KeyColumn create(DataType type, SortOrder order, HeapMemory memory) {
        return switch (type.getKind()) {
            case BOOLEAN, INT32, DATE, FLOAT64 -> new LongKeyColumn(order, false, memory);
            case INT64, TIMESTAMP -> new LongKeyColumn(order, true, memory);
            case DECIMAL -> type.getPrecision() <= LongKeyColumn.MAX_LONG_DECIMAL_PRECISION
                    ? new LongKeyColumn(order, false, memory)
                    : new WideDecimalKeyColumn(order, memory);
            case STRING -> new StringKeyColumn(order, memory);
            default -> throw new IllegalArgumentException("cannot sort by a key of type " + type.getKind());
        };
    }

    /**
     * Appends the first {@code rows} values of {@code values} (a vector of this key's type) as
     * rows {@code rowCount() .. rowCount() + rows - 1}. The vector stays the caller's.
     *
     * @throws OutOfMemoryException when the heap memory cannot be counted; nothing is appended then
     */
    abstract void append(FieldVector values, int rows);

    /** Forgets the rows from {@code rows} on (their memory stays counted, for the next rows). */
    void truncate(int rows) {
        if (rows < 0 || rows > rowCount) {
            throw new IllegalArgumentException("cannot truncate " + rowCount + " rows to " + rows);
        }
        rowCount = rows;
    }

    /** Keeps only the rows {@code rows[0 .. count)}, which become rows 0 .. count-1 in that order. */
    abstract void retain(int[] rows, int count);

    /** Frees the arrays (gives their bytes back to the heap memory); safe to call more than once. */
    abstract void close();

    final int rowCount() {
        return rowCount;
    }

    /** The capacity to grow to for {@code needed} rows: 1.5 times, at least 16. */
    static int grownCapacity(int current, long needed) {
        if (needed > MAX_ARRAY_LENGTH) {
            throw new OutOfMemoryException("cannot hold sort keys of more than " + MAX_ARRAY_LENGTH + " rows");
        }
        long grown = Math.max(16, current + (current >> 1));
        return (int) Math.min(MAX_ARRAY_LENGTH, Math.max(needed, grown));
    }

    /** Counts an array of {@code bytes} before it is made; gives them back if making it fails. */
    final <T> T allocate(long bytes, java.util.function.Supplier<T> make) {
        memory.reserve(bytes);
        try {
            return make.get();
        } catch (OutOfMemoryError e) {
            memory.release(bytes);
            throw new OutOfMemoryException("the Java heap has no room for " + bytes + " bytes of sort keys", e);
        }
    }
}
