package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.Value;
import io.mppnode.proto.plan.TypeKind;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * How one upstream table becomes a node table: its columns ({@link ColumnMapping}), its rows
 * from binlog row images and from a snapshot {@code SELECT}, and the handle its primary key
 * gives each row.
 *
 * <h2>Handles</h2>
 * The node cuts the int64 handle space into equal regions across nodes, so handles must spread
 * evenly over it whatever the keys look like (sequential ids included).
 * <ul>
 *   <li>A primary key of one integer column (node type int32 or int64): the handle is murmur3's
 *       64-bit finalizer ({@code fmix64}) of the value. It is a bijection on 64-bit values, so
 *       two keys never share a handle.
 *   <li>Any other key (several columns, strings, decimals, dates, BIGINT UNSIGNED): the handle is
 *       the first 64 bits of murmur3 x64 128 (seed 0) of a canonical encoding of the key's
 *       values: per value its kind's tag byte ({@link Value.KindCase} number), then int32,
 *       int64, date and timestamp values as 8 big-endian bytes of the value widened to a long,
 *       float64 as the 8 bytes of its IEEE bits, decimal and string values as a 4-byte
 *       big-endian length and their UTF-8 bytes. Two distinct keys share a handle with
 *       probability 2^-64 per pair, about n^2 / 2^65 over n rows (one in 37 million for a
 *       billion rows); two keys that collide would overwrite each other in the node.
 * </ul>
 * Handles are stored: this definition must never change.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TableMapping {
    private final SourceTable source;
    private final TableInfo nodeTable;
    private final List<ColumnMapping> columns;
    private final int[] primaryKey;
    private final boolean integerKey;

    private TableMapping(SourceTable source, TableInfo nodeTable, List<ColumnMapping> columns, int[] primaryKey) {
        this.source = source;
        this.nodeTable = nodeTable;
        this.columns = columns;
        this.primaryKey = primaryKey;
        TypeKind firstKind = columns.get(primaryKey[0]).nodeType().getKind();
        this.integerKey = primaryKey.length == 1 && (firstKind == TypeKind.INT32 || firstKind == TypeKind.INT64);
    }

    /**
     * The mapping of upstream {@code table} to node table {@code tableId} named {@code nodeName}.
     *
     * @throws UnsupportedColumnException when a column's type cannot be replicated
     * @throws IllegalArgumentException when the table has no primary key
     */
    public static TableMapping of(SourceTable table, long tableId, String nodeName) {
        requireNonNull(table, "table is null");
        requireNonNull(nodeName, "nodeName is null");
        if (table.primaryKey().isEmpty()) {
            throw new IllegalArgumentException("table " + table.qualifiedName() + " has no primary key; the node needs "
                    + "one to find rows for updates and deletes; add one or leave the table out of replicate-tables");
        }
        List<ColumnMapping> columns = new ArrayList<>();
        List<ColumnSchema> nodeColumns = new ArrayList<>();
        for (SourceColumn column : table.columns()) {
            ColumnMapping mapping = ColumnMapping.of(table.qualifiedName(), column);
            columns.add(mapping);
            nodeColumns.add(mapping.nodeColumn());
        }
        int[] primaryKey = table.primaryKey().stream().mapToInt(Integer::intValue).toArray();
        return new TableMapping(table, new TableInfo(tableId, nodeName, nodeColumns), List.copyOf(columns), primaryKey);
    }

    /** The upstream table. */
    public SourceTable sourceTable() {
        return source;
    }

    /** The node table: its id, name and columns (the upstream columns in their order). */
    public TableInfo nodeTable() {
        return nodeTable;
    }

    /** One mapping per upstream column, in column order. */
    public List<ColumnMapping> columns() {
        return columns;
    }

    /**
     * The node row of a binlog row image (a WRITE_ROWS row, an UPDATE_ROWS before or after image,
     * a DELETE_ROWS row) deserialized by {@link BinlogValues#deserializer()}, with the image's
     * included-columns bit set. An image with fewer columns than the node table (written before
     * columns were added at the end) reads NULL in the missing ones.
     *
     * @throws IllegalArgumentException when the image leaves out a column (the server logs
     *     partial images: binlog_row_image is not FULL), has more columns than the node table,
     *     or holds a cell of another type than the column's
     */
    public Row row(Serializable[] binlogRow, BitSet includedColumns) {
        requireNonNull(binlogRow, "binlogRow is null");
        requireNonNull(includedColumns, "includedColumns is null");
        int present = binlogRow.length;
        if (includedColumns.nextClearBit(0) < present || includedColumns.cardinality() != present) {
            throw new IllegalArgumentException("a row image of upstream table " + source.qualifiedName()
                    + " leaves out columns (it has columns " + includedColumns + "): the server logs partial row images; "
                    + "set binlog_row_image=FULL on it (SET GLOBAL binlog_row_image='FULL' and in its config file)");
        }
        if (present > columns.size()) {
            throw new IllegalArgumentException("a row image of upstream table " + source.qualifiedName() + " has "
                    + present + " columns, this replica knows " + columns.size()
                    + ": the table changed without a DDL this replica saw");
        }
        Row.Builder row = Row.newBuilder();
        for (int i = 0; i < columns.size(); i++) {
            row.addValues(i < present ? columns.get(i).fromBinlog(binlogRow[i]) : Value.getDefaultInstance());
        }
        return row.setHandle(handle(row)).build();
    }

    /**
     * The node row of the current row of a snapshot result set whose columns are
     * {@link #selectList()}, in that order.
     *
     * @throws SQLException when the result set cannot be read
     */
    public Row row(ResultSet rows) throws SQLException {
        requireNonNull(rows, "rows is null");
        Row.Builder row = Row.newBuilder();
        for (int i = 0; i < columns.size(); i++) {
            row.addValues(columns.get(i).fromJdbc(rows, i + 1));
        }
        return row.setHandle(handle(row)).build();
    }

    /** The snapshot's select list: every column, in order, through {@link ColumnMapping#selectExpression}. */
    public String selectList() {
        List<String> expressions = new ArrayList<>();
        for (ColumnMapping column : columns) {
            String quoted = quote(column.sourceColumn().name());
            expressions.add(column.selectExpression(quoted) + " AS " + quoted);
        }
        return String.join(", ", expressions);
    }

    /** {@code SELECT <selectList()> FROM `database`.`table`}: the snapshot's query, without order or filter. */
    public String selectStatement() {
        return "SELECT " + selectList() + " FROM " + quote(source.database()) + "." + quote(source.name());
    }

    /**
     * The handle of the row whose primary key holds {@code primaryKeyValues} (in key order, as
     * node values); see the class comment.
     *
     * @throws IllegalArgumentException when the count of values is not the key's, or a key value is NULL
     */
    public long handle(Value... primaryKeyValues) {
        if (primaryKeyValues.length != primaryKey.length) {
            throw new IllegalArgumentException("the primary key of " + source.qualifiedName() + " has "
                    + primaryKey.length + " columns, not " + primaryKeyValues.length);
        }
        if (integerKey) {
            Value value = primaryKeyValues[0];
            return switch (value.getKindCase()) {
                case INT32_VALUE -> fmix64(value.getInt32Value());
                case INT64_VALUE -> fmix64(value.getInt64Value());
                default -> throw new IllegalArgumentException("the primary key of " + source.qualifiedName()
                        + " is an integer, not " + value.getKindCase());
            };
        }
        ByteArrayOutputStream key = new ByteArrayOutputStream(64);
        for (Value value : primaryKeyValues) {
            key.write(value.getKindCase().getNumber());
            switch (value.getKindCase()) {
                case BOOL_VALUE -> writeLong(key, value.getBoolValue() ? 1 : 0);
                case INT32_VALUE -> writeLong(key, value.getInt32Value());
                case INT64_VALUE -> writeLong(key, value.getInt64Value());
                case FLOAT64_VALUE -> writeLong(key, Double.doubleToLongBits(value.getFloat64Value()));
                case DECIMAL_VALUE -> writeBytes(key, value.getDecimalValue().getBytes(StandardCharsets.UTF_8));
                case STRING_VALUE -> writeBytes(key, value.getStringValueBytes().toByteArray());
                case DATE_VALUE -> writeLong(key, value.getDateValue());
                case TIMESTAMP_VALUE -> writeLong(key, value.getTimestampValue());
                case KIND_NOT_SET -> throw new IllegalArgumentException("a primary key value of "
                        + source.qualifiedName() + " is NULL");
            }
        }
        return murmur3x64Low(key.toByteArray());
    }

    /**
     * Null when the columns of a TABLE_MAP event for this table (their count and binlog types)
     * fit this mapping; else what changed, naming the table and the first mismatch. A TABLE_MAP
     * with fewer columns than the node table fits: the missing ones were added at the end since
     * and read NULL. With {@code binlog_row_metadata=FULL} the event also names its columns, and
     * a renamed column is a mismatch too.
     */
    public String tableMapProblem(TableMapEventData data) {
        requireNonNull(data, "data is null");
        byte[] types = data.getColumnTypes();
        int[] metadata = data.getColumnMetadata();
        String prefix = "upstream table " + source.qualifiedName() + " changed without a DDL this replica saw: ";
        if (types.length > columns.size()) {
            return prefix + "it has " + types.length + " columns, this replica knows " + columns.size();
        }
        List<String> names = data.getEventMetadata() == null ? null : data.getEventMetadata().getColumnNames();
        for (int i = 0; i < types.length; i++) {
            ColumnMapping column = columns.get(i);
            String now = column.binlogTypeMismatch(types[i] & 0xFF, metadata[i]);
            if (now != null) {
                return prefix + "column " + (i + 1) + " (" + column.sourceColumn().name() + ") is now " + now
                        + ", was " + column.upstreamTypeName();
            }
            if (names != null && i < names.size() && !names.get(i).equalsIgnoreCase(column.sourceColumn().name())) {
                return prefix + "column " + (i + 1) + " is now named " + names.get(i) + ", was "
                        + column.sourceColumn().name();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return source.qualifiedName() + " -> " + nodeTable.name() + " (" + nodeTable.id() + ")";
    }

    private long handle(Row.Builder row) {
        Value[] key = new Value[primaryKey.length];
        for (int i = 0; i < primaryKey.length; i++) {
            key[i] = row.getValues(primaryKey[i]);
        }
        return handle(key);
    }

    /** Backticked, as MySQL quotes identifiers. */
    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    private static void writeLong(ByteArrayOutputStream out, long value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift));
        }
    }

    private static void writeBytes(ByteArrayOutputStream out, byte[] bytes) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write(bytes.length >>> shift);
        }
        out.write(bytes, 0, bytes.length);
    }

    /** murmur3's 64-bit finalizer: a bijection that spreads neighbouring values over all 64 bits. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    /** The first 64 bits (h1) of MurmurHash3_x64_128 with seed 0. */
    static long murmur3x64Low(byte[] data) {
        final long c1 = 0x87c37b91114253d5L;
        final long c2 = 0x4cf5ad432745937fL;
        long h1 = 0;
        long h2 = 0;
        int blocks = data.length / 16;
        for (int i = 0; i < blocks; i++) {
            long k1 = littleEndianLong(data, i * 16);
            long k2 = littleEndianLong(data, i * 16 + 8);
            k1 *= c1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= c2;
            h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            k2 *= c2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= c1;
            h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int tail = blocks * 16;
        int rest = data.length - tail;
        long k1 = 0;
        long k2 = 0;
        for (int i = rest - 1; i >= 8; i--) {
            k2 ^= (data[tail + i] & 0xFFL) << ((i - 8) * 8);
        }
        if (rest > 8) {
            k2 *= c2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= c1;
            h2 ^= k2;
        }
        for (int i = Math.min(rest, 8) - 1; i >= 0; i--) {
            k1 ^= (data[tail + i] & 0xFFL) << (i * 8);
        }
        if (rest > 0) {
            k1 *= c1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= c2;
            h1 ^= k1;
        }
        h1 ^= data.length;
        h2 ^= data.length;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        return h1;
    }

    private static long littleEndianLong(byte[] data, int offset) {
        long value = 0;
        for (int i = 7; i >= 0; i--) {
            value = (value << 8) | (data[offset + i] & 0xFFL);
        }
        return value;
    }
}
