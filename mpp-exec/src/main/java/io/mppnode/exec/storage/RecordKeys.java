package io.mppnode.exec.storage;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * TiDB's record keys: {@code 't' + int64(table_id) + "_r" + int64(handle)}, each int64
 * big-endian with the sign bit flipped, so that byte order equals numeric order. A region's key
 * range {@code [start, end)} maps to a handle range of one table: a start key of just
 * {@code 't' + int64(table_id)} (or {@code ... + "_r"}) means from the first handle, an end key
 * that is empty or past the table's records means to the last.
 */
public final class RecordKeys {
    public static final int RECORD_KEY_LENGTH = 19;
    private static final int TABLE_PREFIX_LENGTH = 9;

    private RecordKeys() {}

    /** The record key of a row. */
    public static byte[] encode(long tableId, long handle) {
        return ByteBuffer.allocate(RECORD_KEY_LENGTH)
                .put((byte) 't').putLong(tableId ^ Long.MIN_VALUE)
                .put((byte) '_').put((byte) 'r').putLong(handle ^ Long.MIN_VALUE)
                .array();
    }

    /** The prefix of every key of a table: {@code 't' + int64(table_id)}. */
    public static byte[] tablePrefix(long tableId) {
        return ByteBuffer.allocate(TABLE_PREFIX_LENGTH).put((byte) 't').putLong(tableId ^ Long.MIN_VALUE).array();
    }

    /** The start key of a handle range of a table (unbounded: the table prefix). */
    public static byte[] startKey(long tableId, HandleRange range) {
        return range.start() == Long.MIN_VALUE ? tablePrefix(tableId) : encode(tableId, range.start());
    }

    /** The end key of a handle range of a table (unbounded: the next table's prefix). */
    public static byte[] endKey(long tableId, HandleRange range) {
        return range.end() == Long.MAX_VALUE ? tablePrefix(tableId + 1) : encode(tableId, range.end());
    }

    /**
     * The handles of table {@code tableId} that the key range {@code [start, end)} covers.
     *
     * @throws IllegalArgumentException naming the key when a key is not of that table's records
     */
    public static HandleRange handleRange(long tableId, byte[] start, byte[] end) {
        long from = boundary(tableId, start, true);
        long to = boundary(tableId, end, false);
        if (from != Long.MIN_VALUE && to != Long.MAX_VALUE && to < from) {
            throw new IllegalArgumentException("key range [" + hex(start) + ", " + hex(end) + ") of table " + tableId + " ends before it starts");
        }
        return new HandleRange(from, Math.max(from, to));
    }

    private static long boundary(long tableId, byte[] key, boolean isStart) {
        byte[] prefix = tablePrefix(tableId);
        if (key.length == 0) {
            if (isStart) {
                return Long.MIN_VALUE;
            }
            return Long.MAX_VALUE;
        }
        int compared = Arrays.compareUnsigned(key, 0, Math.min(key.length, TABLE_PREFIX_LENGTH), prefix, 0, Math.min(key.length, TABLE_PREFIX_LENGTH));
        if (compared < 0 || (compared == 0 && key.length < TABLE_PREFIX_LENGTH)) {
            if (isStart) {
                return Long.MIN_VALUE;
            }
            throw new IllegalArgumentException("key " + hex(key) + " ends a range before table " + tableId);
        }
        if (compared > 0) {
            if (!isStart) {
                return Long.MAX_VALUE;
            }
            throw new IllegalArgumentException("key " + hex(key) + " starts a range after table " + tableId);
        }
        if (key.length == TABLE_PREFIX_LENGTH || (key.length == TABLE_PREFIX_LENGTH + 2 && key[9] == '_' && key[10] == 'r')) {
            return isStart ? Long.MIN_VALUE : failEnd(key, tableId);
        }
        if (key.length == RECORD_KEY_LENGTH && key[9] == '_' && key[10] == 'r') {
            return ByteBuffer.wrap(key, 11, 8).getLong() ^ Long.MIN_VALUE;
        }
        throw new IllegalArgumentException("key " + hex(key) + " is not a record key of table " + tableId
                + " ('t' + int64 table id + \"_r\" + int64 handle)");
    }

    private static long failEnd(byte[] key, long tableId) {
        throw new IllegalArgumentException("key " + hex(key) + " ends a range at the start of table " + tableId);
    }

    public static String hex(byte[] key) {
        return key.length == 0 ? "\"\"" : HexFormat.of().formatHex(key);
    }
}
