package io.mppnode.exec.storage;

import java.util.Arrays;

/**
 * Handle to the location of its newest stored version: an open-addressing hash table of
 * primitive longs (linear probing, at most 3/4 full), so that a million handles cost two
 * arrays and no object per entry. A location is {@code chunk position << 32 | row}
 * ({@link #location}); {@link #ABSENT} means no entry. Not thread-safe: its region guards it.
 */
final class VersionIndex {
    static final long ABSENT = -1;
    private static final int MIN_CAPACITY = 16;

    private long[] keys;
    private long[] values;
    private int size;
    private int shift;

    VersionIndex(int expected) {
        int capacity = MIN_CAPACITY;
        while (capacity * 3L / 4 < expected) {
            capacity <<= 1;
        }
        allocate(capacity);
    }

    static long location(int chunk, int row) {
        return (long) chunk << 32 | row;
    }

    static int chunkOf(long location) {
        return (int) (location >>> 32);
    }

    static int rowOf(long location) {
        return (int) location;
    }

    int size() {
        return size;
    }

    /** The location of {@code handle}'s newest version, or {@link #ABSENT}. */
    long get(long handle) {
        int mask = keys.length - 1;
        for (int slot = slot(handle); ; slot = (slot + 1) & mask) {
            long value = values[slot];
            if (value == ABSENT) {
                return ABSENT;
            }
            if (keys[slot] == handle) {
                return value;
            }
        }
    }

    /** Sets the location of {@code handle} (not {@link #ABSENT}). */
    void put(long handle, long location) {
        if (location < 0) {
            throw new IllegalArgumentException("not a location: " + location);
        }
        int mask = keys.length - 1;
        for (int slot = slot(handle); ; slot = (slot + 1) & mask) {
            if (values[slot] == ABSENT) {
                keys[slot] = handle;
                values[slot] = location;
                if (++size > keys.length * 3L / 4) {
                    grow();
                }
                return;
            }
            if (keys[slot] == handle) {
                values[slot] = location;
                return;
            }
        }
    }

    /** Calls {@code action} for every entry, in no particular order. */
    void forEach(Entry action) {
        for (int slot = 0; slot < keys.length; slot++) {
            if (values[slot] != ABSENT) {
                action.accept(keys[slot], values[slot]);
            }
        }
    }

    /** The heap bytes of the table. */
    long bytes() {
        return 16L * keys.length;
    }

    private int slot(long handle) {
        // Fibonacci hashing: the multiply spreads consecutive handles over the whole table.
        return (int) ((handle * 0x9E3779B97F4A7C15L) >>> shift);
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        allocate(keys.length * 2);
        for (int slot = 0; slot < oldKeys.length; slot++) {
            if (oldValues[slot] != ABSENT) {
                put(oldKeys[slot], oldValues[slot]);
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(values, ABSENT);
        size = 0;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }

    /** An entry visitor. */
    @FunctionalInterface
    interface Entry {
        void accept(long handle, long location);
    }
}
