package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import com.github.shyiko.mysql.binlog.event.deserialization.ColumnType;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.binlog.Value;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * How one upstream MySQL/MariaDB column becomes a node column, and how its values read from the
 * binlog (as {@link BinlogValues#deserializer()} deserializes them) and from a snapshot
 * {@code SELECT} (through {@link #selectExpression}) become the same {@link Value}.
 *
 * <h2>Types</h2>
 * <pre>
 * upstream type                                  node type       value
 * ---------------------------------------------  --------------  --------------------------------------------
 * TINYINT, SMALLINT, MEDIUMINT, INT (signed)     int32
 * TINYINT/SMALLINT/MEDIUMINT UNSIGNED            int32           0..16777215
 * INT UNSIGNED                                   int64           0..4294967295
 * BIGINT                                         int64
 * BIGINT UNSIGNED                                decimal(20, 0)  0..18446744073709551615
 * BOOLEAN (= TINYINT(1))                         int32           0 / 1 (as MySQL stores it)
 * DECIMAL(p, s), NUMERIC(p, s); p &lt;= 38         decimal(p, s)   exact
 * FLOAT                                          float64         the stored single-precision value, widened
 *                                                                exactly (1.1 reads 1.100000023841858, as
 *                                                                MySQL computes with it: SELECT f + 0e0)
 * DOUBLE, REAL                                   float64
 * CHAR, VARCHAR, TINYTEXT, TEXT, MEDIUMTEXT,     string          decoded from the column's character set
 *   LONGTEXT (and MariaDB's JSON, a LONGTEXT)                    (below); CHAR loses trailing spaces, as
 *                                                                MySQL returns it
 * ENUM                                           string          the member's name ('' for the error value)
 * SET                                            string          member names, comma separated, in
 *                                                                definition order ('' for the empty set)
 * YEAR                                           int32           1901..2155, and 0 for YEAR 0000
 * BIT(n)                                         int64           the bits as an unsigned number; BIT(64)
 *                                                                with its top bit set reads negative
 * DATE                                           date            days since 1970-01-01 (proleptic Gregorian)
 * DATETIME(fsp)                                  timestamp       the wall-clock value read as if it were
 *                                                                UTC: DATETIME has no zone, so
 *                                                                '2024-02-29 13:14:15.123456' is
 *                                                                2024-02-29T13:14:15.123456Z in micros
 * TIMESTAMP(fsp)                                 timestamp       the instant, in micros since the epoch UTC
 *                                                                (MySQL stores epoch seconds; the session
 *                                                                time zone of the writer does not matter)
 * </pre>
 * Zero and partly zero dates ({@code '0000-00-00'}, {@code '2024-00-10'}, the zero DATETIME and
 * the zero TIMESTAMP, which MySQL stores as 0 seconds) read as NULL. Invalid dates that
 * {@code ALLOW_INVALID_DATES} lets in ({@code '2024-02-30'}) roll over into the next month.
 *
 * <p>Refused, with an {@link UnsupportedColumnException}: TIME (the node has no time-of-day
 * type), BINARY, VARBINARY, the BLOBs and any CHAR/VARCHAR/TEXT with character set
 * {@code binary} (the node's strings are text), MySQL's JSON (binary JSON in the binlog),
 * the spatial types, VECTOR, MariaDB's INET4/INET6/UUID, DECIMAL with more than 38 digits,
 * YEAR(2), a string column whose character set has no decoder here, and any type not listed.
 *
 * <h2>Character sets</h2>
 * utf8mb4, utf8mb3 and utf8 as UTF-8; latin1 as MySQL's latin1 (windows-1252, with the five
 * bytes windows-1252 leaves undefined read as the Unicode code points of the same number, as
 * MySQL does); ascii; latin2, latin5, latin7, greek, hebrew (ISO-8859-2, -9, -13, -7, -8);
 * cp1250, cp1251, cp1256, cp1257; cp850, cp852, cp866; koi8r, koi8u; macroman, macce; sjis,
 * cp932, ujis, eucjpms; gbk, gb2312, gb18030; big5; euckr; tis620; ucs2, utf16 (big endian),
 * utf16le, utf32. Both the binlog and the snapshot read the column's bytes and decode them with
 * the same Java decoder, so both give the same string even where Java's table and the server's
 * differ on a rare code point.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ColumnMapping {
    private static final String WHAT_TO_DO_TYPES =
            "the node holds integers, decimals, floats, text, dates and timestamps";

    /** MySQL character set names and the Java charsets that decode them. */
    private static final Map<String, String> JAVA_CHARSETS = Map.ofEntries(
            Map.entry("utf8mb4", "UTF-8"),
            Map.entry("utf8mb3", "UTF-8"),
            Map.entry("utf8", "UTF-8"),
            Map.entry("ascii", "US-ASCII"),
            Map.entry("latin2", "ISO-8859-2"),
            Map.entry("latin5", "ISO-8859-9"),
            Map.entry("latin7", "ISO-8859-13"),
            Map.entry("greek", "ISO-8859-7"),
            Map.entry("hebrew", "ISO-8859-8"),
            Map.entry("cp1250", "windows-1250"),
            Map.entry("cp1251", "windows-1251"),
            Map.entry("cp1256", "windows-1256"),
            Map.entry("cp1257", "windows-1257"),
            Map.entry("cp850", "IBM850"),
            Map.entry("cp852", "IBM852"),
            Map.entry("cp866", "IBM866"),
            Map.entry("koi8r", "KOI8-R"),
            Map.entry("koi8u", "KOI8-U"),
            Map.entry("macroman", "x-MacRoman"),
            Map.entry("macce", "x-MacCentralEurope"),
            Map.entry("sjis", "Shift_JIS"),
            Map.entry("cp932", "windows-31j"),
            Map.entry("ujis", "EUC-JP"),
            Map.entry("eucjpms", "x-eucJP-Open"),
            Map.entry("gbk", "GBK"),
            Map.entry("gb2312", "GB2312"),
            Map.entry("gb18030", "GB18030"),
            Map.entry("big5", "Big5"),
            Map.entry("euckr", "EUC-KR"),
            Map.entry("tis620", "TIS-620"),
            Map.entry("ucs2", "UTF-16BE"),
            Map.entry("utf16", "UTF-16BE"),
            Map.entry("utf16le", "UTF-16LE"),
            Map.entry("utf32", "UTF-32BE"));

    /** MySQL's latin1: windows-1252, where the five bytes it leaves undefined map to U+0081, ... */
    private static final char[] MYSQL_LATIN1 = mysqlLatin1();

    /** How values travel; decides the binlog representation, the JDBC read and the node value. */
    private enum Kind {
        INT32, UINT8, UINT16, UINT24, UINT32, INT64, UINT64, DECIMAL, FLOAT, DOUBLE,
        CHAR, STRING, ENUM, SET, YEAR, BIT, DATE, DATETIME, TIMESTAMP
    }

    private final String table;
    private final SourceColumn column;
    private final Kind kind;
    private final DataType nodeType;
    private final Function<byte[], String> decoder;
    private final List<String> members;

    private ColumnMapping(String table, SourceColumn column, Kind kind, DataType nodeType,
            Function<byte[], String> decoder, List<String> members) {
        this.table = table;
        this.column = column;
        this.kind = kind;
        this.nodeType = nodeType;
        this.decoder = decoder;
        this.members = members;
    }

    /**
     * The mapping of {@code column} of upstream table {@code table} ({@code database.table}, for
     * messages).
     *
     * @throws UnsupportedColumnException when the node cannot hold the column's type
     */
    public static ColumnMapping of(String table, SourceColumn column) {
        requireNonNull(table, "table is null");
        requireNonNull(column, "column is null");
        String type = column.dataType();
        boolean unsigned = column.unsigned();
        return switch (type) {
            case "tinyint" -> simple(table, column, unsigned ? Kind.UINT8 : Kind.INT32, TypeKind.INT32);
            case "smallint" -> simple(table, column, unsigned ? Kind.UINT16 : Kind.INT32, TypeKind.INT32);
            case "mediumint" -> simple(table, column, unsigned ? Kind.UINT24 : Kind.INT32, TypeKind.INT32);
            case "int" -> simple(table, column, unsigned ? Kind.UINT32 : Kind.INT32,
                    unsigned ? TypeKind.INT64 : TypeKind.INT32);
            case "bigint" -> unsigned
                    ? new ColumnMapping(table, column, Kind.UINT64, ColumnTypes.decimal(20, 0), null, List.of())
                    : simple(table, column, Kind.INT64, TypeKind.INT64);
            case "decimal" -> decimal(table, column);
            case "float" -> simple(table, column, Kind.FLOAT, TypeKind.FLOAT64);
            case "double" -> simple(table, column, Kind.DOUBLE, TypeKind.FLOAT64);
            case "char" -> text(table, column, Kind.CHAR);
            case "varchar", "tinytext", "text", "mediumtext", "longtext" -> text(table, column, Kind.STRING);
            case "enum", "set" -> new ColumnMapping(table, column, type.equals("enum") ? Kind.ENUM : Kind.SET,
                    ColumnTypes.of(TypeKind.STRING), null, members(table, column));
            case "year" -> {
                if (column.columnType().toLowerCase(Locale.ROOT).startsWith("year(2)")) {
                    throw unsupported(table, column, "YEAR(2) is deprecated and ambiguous; ALTER it to YEAR");
                }
                yield simple(table, column, Kind.YEAR, TypeKind.INT32);
            }
            case "bit" -> simple(table, column, Kind.BIT, TypeKind.INT64);
            case "date" -> simple(table, column, Kind.DATE, TypeKind.DATE);
            case "datetime" -> simple(table, column, Kind.DATETIME, TypeKind.TIMESTAMP);
            case "timestamp" -> simple(table, column, Kind.TIMESTAMP, TypeKind.TIMESTAMP);
            case "time" -> throw unsupported(table, column,
                    "the node has no time-of-day type (a DATETIME, or an INT of seconds, would do)");
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> throw unsupported(table,
                    column, "binary strings have no node type (the node's strings are text)");
            case "json" -> throw unsupported(table, column,
                    "MySQL's JSON is binary in the binlog (MariaDB's JSON is a LONGTEXT and replicates as a string)");
            case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                    "geometrycollection", "geomcollection" -> throw unsupported(table, column,
                    "spatial types have no node type");
            case "vector" -> throw unsupported(table, column, "vectors have no node type");
            default -> throw unsupported(table, column, "the type is unknown to the replicator; " + WHAT_TO_DO_TYPES);
        };
    }

    /** The node column's type. */
    public DataType nodeType() {
        return nodeType;
    }

    /** The node column: the upstream name and {@link #nodeType()}. */
    public ColumnSchema nodeColumn() {
        return new ColumnSchema(column.name(), nodeType);
    }

    /** The upstream column. */
    public SourceColumn sourceColumn() {
        return column;
    }

    /**
     * The node value of a binlog row image's cell, as the deserializer of
     * {@link BinlogValues#deserializer()} gives it; null (a NULL cell) gives a NULL value.
     *
     * @throws IllegalArgumentException when the cell is not of the Java type that deserializer
     *     gives for this column (another deserializer, or a column changed behind our back)
     */
    public Value fromBinlog(Serializable value) {
        if (value == null) {
            return Value.getDefaultInstance();
        }
        try {
            return switch (kind) {
                case INT32 -> int32((Integer) value);
                case UINT8 -> int32((Integer) value & 0xFF);
                case UINT16 -> int32((Integer) value & 0xFFFF);
                case UINT24 -> int32((Integer) value & 0xFFFFFF);
                case UINT32 -> int64(Integer.toUnsignedLong((Integer) value));
                case INT64 -> int64((Long) value);
                case UINT64 -> decimal(Long.toUnsignedString((Long) value));
                case DECIMAL -> decimal((BigDecimal) value);
                case FLOAT -> float64(((Float) value).doubleValue());
                case DOUBLE -> float64((Double) value);
                case CHAR -> string(stripTrailingSpaces(decoder.apply((byte[]) value)));
                case STRING -> string(decoder.apply((byte[]) value));
                case ENUM -> string(enumMember((Integer) value));
                case SET -> string(setMembers((Long) value));
                // The binlog stores YEAR as the year minus 1900, and 0 for YEAR 0000.
                case YEAR -> int32((Integer) value == 1900 ? 0 : (Integer) value);
                case BIT -> int64(bits((BitSet) value));
                case DATE -> Value.newBuilder().setDateValue(
                        Math.toIntExact(Math.floorDiv((Long) value, BinlogValues.MICROS_PER_DAY))).build();
                case DATETIME -> timestamp((Long) value);
                case TIMESTAMP -> (Long) value == 0 ? Value.getDefaultInstance() : timestamp((Long) value);
            };
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("column " + qualifiedName() + " (" + column.columnType()
                    + "): the binlog gave a " + value.getClass().getName() + ", not what "
                    + "BinlogValues.deserializer() gives for it", e);
        }
    }

    /**
     * The node value of the column in the current row of a snapshot result set, at 1-based
     * {@code index}, selected with {@link #selectExpression}: the same value
     * {@link #fromBinlog} gives for the same stored value.
     *
     * @throws SQLException when the result set cannot be read
     */
    public Value fromJdbc(ResultSet rows, int index) throws SQLException {
        return switch (kind) {
            case INT32, UINT8, UINT16, UINT24, YEAR -> {
                int value = rows.getInt(index);
                yield rows.wasNull() ? Value.getDefaultInstance() : int32(value);
            }
            case UINT32, INT64 -> {
                long value = rows.getLong(index);
                yield rows.wasNull() ? Value.getDefaultInstance() : int64(value);
            }
            case UINT64, DECIMAL -> {
                BigDecimal value = rows.getBigDecimal(index);
                yield value == null ? Value.getDefaultInstance() : decimal(value);
            }
            case FLOAT, DOUBLE -> {
                double value = rows.getDouble(index);
                yield rows.wasNull() ? Value.getDefaultInstance() : float64(value);
            }
            case CHAR, STRING -> {
                byte[] bytes = rows.getBytes(index);
                yield bytes == null ? Value.getDefaultInstance() : fromBinlog(bytes);
            }
            case ENUM -> {
                String number = rows.getString(index);
                yield number == null ? Value.getDefaultInstance() : string(enumMember(Integer.parseInt(number)));
            }
            case SET, BIT -> {
                String number = rows.getString(index);
                yield number == null ? Value.getDefaultInstance() : fromBinlog(unsignedNumber(number));
            }
            case DATE, DATETIME -> {
                String text = rows.getString(index);
                Long micros = text == null ? null : BinlogValues.parseDateTimeMicros(text);
                yield micros == null ? Value.getDefaultInstance() : fromBinlog(micros);
            }
            case TIMESTAMP -> {
                BigDecimal seconds = rows.getBigDecimal(index);
                yield seconds == null ? Value.getDefaultInstance()
                        : fromBinlog(seconds.movePointRight(6).setScale(0, RoundingMode.UNNECESSARY).longValueExact());
            }
        };
    }

    /**
     * The expression a snapshot {@code SELECT} reads this column with, given its quoted name:
     * one whose text the server prints exactly, whatever the session's time zone and character
     * set. Strings are read as their bytes, ENUM and SET as their number, dates and datetimes as
     * text, timestamps as {@code UNIX_TIMESTAMP}, floats widened to double.
     */
    public String selectExpression(String quotedColumnName) {
        requireNonNull(quotedColumnName, "quotedColumnName is null");
        return switch (kind) {
            case INT32, UINT8, UINT16, UINT24, UINT32, INT64, UINT64, DECIMAL -> quotedColumnName;
            // A FLOAT column prints 6 digits; widened to double it prints every digit it has. A
            // DOUBLE column prints within its display width; as an expression it does not.
            case FLOAT, DOUBLE -> quotedColumnName + " + 0e0";
            case CHAR, STRING -> "CAST(" + quotedColumnName + " AS BINARY)";
            case ENUM, SET, YEAR, BIT -> quotedColumnName + " + 0";
            case DATE, DATETIME -> "CAST(" + quotedColumnName + " AS CHAR)";
            case TIMESTAMP -> "UNIX_TIMESTAMP(" + quotedColumnName + ")";
        };
    }

    /** The column as {@code database.table.column}. */
    String qualifiedName() {
        return table + "." + column.name();
    }

    /**
     * Null when a TABLE_MAP column of binlog type {@code typeCode} with metadata {@code meta}
     * (as {@code TableMapEventData} holds them) fits this mapping; else what it is now, as
     * {@code "VARCHAR"} or {@code "DECIMAL(12,4)"}.
     */
    String binlogTypeMismatch(int typeCode, int meta) {
        int real = realTypeCode(typeCode, meta);
        ColumnType type = ColumnType.byCode(real);
        boolean fits = type != null && switch (column.dataType()) {
            case "tinyint" -> type == ColumnType.TINY;
            case "smallint" -> type == ColumnType.SHORT;
            case "mediumint" -> type == ColumnType.INT24;
            case "int" -> type == ColumnType.LONG;
            case "bigint" -> type == ColumnType.LONGLONG;
            case "decimal" -> type == ColumnType.NEWDECIMAL
                    && (meta & 0xFF) == column.numericPrecision() && (meta >> 8) == column.numericScale();
            case "float" -> type == ColumnType.FLOAT;
            case "double" -> type == ColumnType.DOUBLE;
            case "char" -> type == ColumnType.STRING;
            case "varchar" -> type == ColumnType.VARCHAR || type == ColumnType.VAR_STRING;
            case "tinytext", "text", "mediumtext", "longtext" -> type == ColumnType.BLOB;
            case "enum" -> type == ColumnType.ENUM;
            case "set" -> type == ColumnType.SET;
            case "year" -> type == ColumnType.YEAR;
            case "bit" -> type == ColumnType.BIT;
            case "date" -> type == ColumnType.DATE || type == ColumnType.NEWDATE;
            case "datetime" -> type == ColumnType.DATETIME_V2 || type == ColumnType.DATETIME;
            case "timestamp" -> type == ColumnType.TIMESTAMP_V2 || type == ColumnType.TIMESTAMP;
            default -> false;
        };
        return fits ? null : binlogTypeName(type, meta, typeCode);
    }

    /** The upstream type as messages name it: {@code INT}, {@code DECIMAL(10,2)}, ... */
    String upstreamTypeName() {
        String name = column.dataType().toUpperCase(Locale.ROOT);
        return switch (kind) {
            case DECIMAL -> name + "(" + column.numericPrecision() + "," + column.numericScale() + ")";
            default -> name;
        };
    }

    private static int realTypeCode(int typeCode, int meta) {
        // A CHAR, ENUM or SET column is STRING in the TABLE_MAP; its metadata says which (as
        // AbstractRowsEventDataDeserializer reads it).
        if (typeCode == ColumnType.STRING.getCode() && meta >= 256) {
            int meta0 = meta >> 8;
            if ((meta0 & 0x30) != 0x30) {
                return meta0 | 0x30;
            }
            if (meta0 == ColumnType.ENUM.getCode() || meta0 == ColumnType.SET.getCode()) {
                return meta0;
            }
        }
        return typeCode;
    }

    private static String binlogTypeName(ColumnType type, int meta, int typeCode) {
        if (type == null) {
            return "binlog type " + typeCode;
        }
        return switch (type) {
            case TINY -> "TINYINT";
            case SHORT -> "SMALLINT";
            case INT24 -> "MEDIUMINT";
            case LONG -> "INT";
            case LONGLONG -> "BIGINT";
            case NEWDECIMAL -> "DECIMAL(" + (meta & 0xFF) + "," + (meta >> 8) + ")";
            case STRING -> "CHAR or BINARY";
            case VARCHAR, VAR_STRING -> "VARCHAR or VARBINARY";
            case BLOB, TINY_BLOB, MEDIUM_BLOB, LONG_BLOB -> "TEXT or BLOB";
            case DATETIME_V2 -> "DATETIME";
            case TIMESTAMP_V2 -> "TIMESTAMP";
            case TIME_V2 -> "TIME";
            case NEWDATE -> "DATE";
            default -> type.name();
        };
    }

    private static ColumnMapping simple(String table, SourceColumn column, Kind kind, TypeKind nodeKind) {
        return new ColumnMapping(table, column, kind, ColumnTypes.of(nodeKind), null, List.of());
    }

    private static ColumnMapping decimal(String table, SourceColumn column) {
        int precision = column.numericPrecision();
        int scale = column.numericScale();
        if (precision > ColumnTypes.MAX_DECIMAL_PRECISION) {
            throw unsupported(table, column, "the node's decimals have at most " + ColumnTypes.MAX_DECIMAL_PRECISION
                    + " digits");
        }
        if (precision < 1 || scale < 0 || scale > precision) {
            throw unsupported(table, column, "information_schema gives precision " + precision + " and scale " + scale);
        }
        return new ColumnMapping(table, column, Kind.DECIMAL, ColumnTypes.decimal(precision, scale), null, List.of());
    }

    private static ColumnMapping text(String table, SourceColumn column, Kind kind) {
        String charset = column.charset();
        if (charset == null || charset.equals("binary")) {
            throw unsupported(table, column, "binary strings (character set binary) have no node type "
                    + "(the node's strings are text)");
        }
        Function<byte[], String> decoder = decoder(charset);
        if (decoder == null) {
            throw unsupported(table, column, "character set " + charset + " has no decoder in the replicator "
                    + "(convert the column to utf8mb4)");
        }
        return new ColumnMapping(table, column, kind, ColumnTypes.of(TypeKind.STRING), decoder, List.of());
    }

    private static Function<byte[], String> decoder(String charset) {
        if (charset.equals("latin1")) {
            return ColumnMapping::mysqlLatin1;
        }
        String javaName = JAVA_CHARSETS.get(charset);
        if (javaName == null || !Charset.isSupported(javaName)) {
            return null;
        }
        Charset javaCharset = Charset.forName(javaName);
        if (javaCharset.equals(StandardCharsets.UTF_8)) {
            return bytes -> new String(bytes, StandardCharsets.UTF_8);
        }
        return bytes -> new String(bytes, javaCharset);
    }

    private static UnsupportedColumnException unsupported(String table, SourceColumn column, String reason) {
        return new UnsupportedColumnException(table, column.name(), column.columnType(), reason);
    }

    /** ENUM and SET members from COLUMN_TYPE: {@code enum('a','it''s','b\\c')}. */
    private static List<String> members(String table, SourceColumn column) {
        String type = column.columnType();
        int open = type.indexOf('(');
        List<String> members = new ArrayList<>();
        int i = open + 1;
        while (open >= 0 && i < type.length() && type.charAt(i) == '\'') {
            StringBuilder member = new StringBuilder();
            i++;
            while (true) {
                if (i >= type.length()) {
                    throw unsupported(table, column, "its member list cannot be read");
                }
                char c = type.charAt(i);
                if (c == '\'') {
                    if (i + 1 < type.length() && type.charAt(i + 1) == '\'') {
                        member.append('\'');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (c == '\\' && i + 1 < type.length()) {
                    char escaped = type.charAt(i + 1);
                    member.append(switch (escaped) {
                        case '0' -> '\0';
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        case 'Z' -> '\032';
                        default -> escaped;
                    });
                    i += 2;
                    continue;
                }
                member.append(c);
                i++;
            }
            members.add(member.toString());
            if (i < type.length() && type.charAt(i) == ',') {
                i++;
            }
        }
        if (members.isEmpty() || i >= type.length() || type.charAt(i) != ')') {
            throw unsupported(table, column, "its member list cannot be read");
        }
        return List.copyOf(members);
    }

    private String enumMember(int index) {
        // 0 is the error value ('') that a non-strict INSERT of an unknown member stores.
        if (index == 0) {
            return "";
        }
        if (index < 0 || index > members.size()) {
            throw new IllegalArgumentException("column " + qualifiedName() + " (" + column.columnType()
                    + ") has no member number " + index);
        }
        return members.get(index - 1);
    }

    private String setMembers(long mask) {
        StringBuilder names = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((mask & (1L << bit)) == 0) {
                continue;
            }
            if (bit >= members.size()) {
                throw new IllegalArgumentException("column " + qualifiedName() + " (" + column.columnType()
                        + ") has no member number " + (bit + 1));
            }
            if (!names.isEmpty()) {
                names.append(',');
            }
            names.append(members.get(bit));
        }
        return names.toString();
    }

    private Serializable unsignedNumber(String text) {
        long value = Long.parseUnsignedLong(text);
        return kind == Kind.SET ? (Serializable) value : BitSet.valueOf(new long[] {value});
    }

    private static long bits(BitSet bits) {
        long[] words = bits.toLongArray();
        return words.length == 0 ? 0 : words[0];
    }

    private static String stripTrailingSpaces(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == ' ') {
            end--;
        }
        return text.substring(0, end);
    }

    private static String mysqlLatin1(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = MYSQL_LATIN1[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    private static char[] mysqlLatin1() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        char[] table = new String(all, Charset.forName("windows-1252")).toCharArray();
        for (int i = 0; i < 256; i++) {
            if (table[i] == '\uFFFD') {
                table[i] = (char) i;
            }
        }
        return table;
    }

    private Value decimal(BigDecimal value) {
        // The binlog and JDBC both give the column's scale; setScale makes the text canonical anyway.
        return decimal(value.setScale(nodeType.getScale(), RoundingMode.UNNECESSARY).toPlainString());
    }

    private static Value decimal(String text) {
        return Value.newBuilder().setDecimalValue(text).build();
    }

    private static Value int32(int value) {
        return Value.newBuilder().setInt32Value(value).build();
    }

    private static Value int64(long value) {
        return Value.newBuilder().setInt64Value(value).build();
    }

    private static Value float64(double value) {
        // -0.0 and 0.0 are one value to MySQL; keep one of them so that both paths agree.
        return Value.newBuilder().setFloat64Value(value == 0 ? 0.0 : value).build();
    }

    private static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    private static Value timestamp(long micros) {
        return Value.newBuilder().setTimestampValue(micros).build();
    }

    @Override
    public String toString() {
        return qualifiedName() + " " + column.columnType() + " -> " + ColumnTypes.describe(nodeType);
    }
}
