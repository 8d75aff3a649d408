package io.mppnode.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.google.common.hash.Hashing;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.Value;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every supported upstream type through both roads into the node: the snapshot
 * ({@link TableMapping#selectStatement()} and {@link TableMapping#row(ResultSet)}) and the real
 * binlog of a real MariaDB server (read by {@link BinaryLogClient} with
 * {@link BinlogValues#deserializer()}); both must give the same rows, and the rows written here
 * by hand.
 */
class TableMappingTest {
    private static final String DATABASE = "types_test";
    private static final String REPLICATION_USER = "types_repl";
    private static final String REPLICATION_PASSWORD = "types-repl-secret";

    private static TestingMariaDb mariaDb;

    @BeforeAll
    static void startServer() throws Exception {
        mariaDb = TestingMariaDb.start();
        mariaDb.createReplicationUser(REPLICATION_USER, REPLICATION_PASSWORD);
        mariaDb.execute("DROP DATABASE IF EXISTS " + DATABASE, "CREATE DATABASE " + DATABASE);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (mariaDb != null) {
            mariaDb.close();
        }
    }

    @Test
    void everyTypeReadsTheSameFromTheSnapshotAndTheBinlog() throws Exception {
        execute(DATABASE, """
                CREATE TABLE every_type (
                  id INT PRIMARY KEY,
                  ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT,
                  tiu TINYINT UNSIGNED, siu SMALLINT UNSIGNED, miu MEDIUMINT UNSIGNED, iu INT UNSIGNED,
                  biu BIGINT UNSIGNED,
                  flag BOOLEAN,
                  d DECIMAL(10,2), d38 DECIMAL(38,10), d0 DECIMAL(5,0),
                  f FLOAT, dbl DOUBLE,
                  c CHAR(10), vc VARCHAR(100), tt TINYTEXT, t TEXT, mt MEDIUMTEXT, lt LONGTEXT,
                  l1 VARCHAR(20) CHARACTER SET latin1, c1 CHAR(5) CHARACTER SET latin1,
                  u16 VARCHAR(20) CHARACTER SET utf16, cu CHAR(4) CHARACTER SET ucs2,
                  gb VARCHAR(20) CHARACTER SET gbk, sj VARCHAR(20) CHARACTER SET sjis,
                  e ENUM('small','it''s','back\\\\slash'), s SET('a','b','c'),
                  y YEAR, b BIT(10), b64 BIT(64),
                  dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(3) NULL,
                  js JSON
                ) DEFAULT CHARSET utf8mb4""");
        SourceTable source = load("every_type");
        TableMapping mapping = TableMapping.of(source, 501, "every_type");

        TestingMariaDb.BinlogPosition before = mariaDb.masterStatus();
        try (Connection connection = mariaDb.connect(DATABASE); Statement statement = connection.createStatement()) {
            // The writer's session time zone must not matter: TIMESTAMP is an instant.
            statement.execute("SET time_zone = '+05:30'");
            statement.execute("""
                    INSERT INTO every_type VALUES (1,
                      127, 32767, 8388607, 2147483647, 9223372036854775807,
                      255, 65535, 16777215, 4294967295, 18446744073709551615,
                      TRUE,
                      12345678.91, 1234567890123456789012345678.0123456789, 99999,
                      1.1, 3.141592653589793,
                      'abc  ', 'héllo wörld 🎉', 'ñandú', 'plain text', 'medium', 'long 𝄞',
                      'café €', 'é', 'ü🎉', 'ab',
                      '中文', '日本語',
                      'it''s', 'c,a',
                      2155, b'1000000001', X'FFFFFFFFFFFFFFFF',
                      '9999-12-31', '2024-02-29 13:14:15.123456', '1999-12-31 23:59:59', '2024-03-10 12:00:00.125',
                      '{"k": [1, 2]}')""");
            statement.execute("""
                    INSERT INTO every_type VALUES (2,
                      -128, -32768, -8388608, -2147483648, -9223372036854775808,
                      0, 0, 0, 0, 0,
                      FALSE,
                      -99999999.99, -0.0000000001, -1,
                      -3.5, -1.7976931348623157e308,
                      '', '', '', '', '', '',
                      CONVERT(UNHEX('819D') USING latin1), ' x', '', '',
                      '', '',
                      'back\\\\slash', '',
                      1901, 0, X'8000000000000001',
                      '1000-01-01', '1000-01-01 00:00:00.000001', '1582-10-10 12:00:00', '1970-01-01 05:30:01',
                      '[]')""");
            statement.execute("INSERT INTO every_type (id) VALUES (3)");
            statement.execute("SET sql_mode = ''");
            statement.execute("""
                    INSERT INTO every_type (id, e, y, dt, dtm, dtm0, ts)
                    VALUES (4, 'not a member', '0000', '0000-00-00', '0000-00-00 00:00:00', '2024-00-10 08:00:00',
                      '0000-00-00 00:00:00')""");
            statement.execute("INSERT INTO every_type (id, f, dbl) VALUES (6, 1.2345678, -1.2345678901234567e-300)");
            statement.execute("INSERT INTO every_type (id, f, dbl) VALUES (7, 1e-38, 2.2250738585072014e-308)");
            statement.execute("SET sql_mode = 'ALLOW_INVALID_DATES'");
            statement.execute("INSERT INTO every_type (id, dt, dtm) VALUES (5, '2024-02-30', '2023-02-29 10:00:00')");
        }

        Map<Integer, Row> snapshot = snapshot(mapping);
        Map<Integer, Row> binlog = new TreeMap<>();
        for (Row row : writtenRows(binlogEvents(before), "every_type", mapping)) {
            binlog.put(row.getValues(0).getInt32Value(), row);
        }

        Map<Integer, Row> expected = new TreeMap<>();
        expected.put(1, expectedRow(mapping, Map.ofEntries(
                Map.entry("id", int32(1)),
                Map.entry("ti", int32(127)), Map.entry("si", int32(32767)), Map.entry("mi", int32(8388607)),
                Map.entry("i", int32(2147483647)), Map.entry("bi", int64(Long.MAX_VALUE)),
                Map.entry("tiu", int32(255)), Map.entry("siu", int32(65535)), Map.entry("miu", int32(16777215)),
                Map.entry("iu", int64(4294967295L)), Map.entry("biu", decimal("18446744073709551615")),
                Map.entry("flag", int32(1)),
                Map.entry("d", decimal("12345678.91")), Map.entry("d38", decimal("1234567890123456789012345678.0123456789")),
                Map.entry("d0", decimal("99999")),
                Map.entry("f", float64((double) 1.1f)), Map.entry("dbl", float64(3.141592653589793)),
                Map.entry("c", string("abc")), Map.entry("vc", string("héllo wörld 🎉")), Map.entry("tt", string("ñandú")),
                Map.entry("t", string("plain text")), Map.entry("mt", string("medium")), Map.entry("lt", string("long 𝄞")),
                Map.entry("l1", string("café €")), Map.entry("c1", string("é")), Map.entry("u16", string("ü🎉")),
                Map.entry("cu", string("ab")), Map.entry("gb", string("中文")), Map.entry("sj", string("日本語")),
                Map.entry("e", string("it's")), Map.entry("s", string("a,c")),
                Map.entry("y", int32(2155)), Map.entry("b", int64(513)), Map.entry("b64", int64(-1)),
                Map.entry("dt", date(LocalDate.of(9999, 12, 31))),
                Map.entry("dtm", timestamp(LocalDateTime.of(2024, 2, 29, 13, 14, 15, 123_456_000))),
                Map.entry("dtm0", timestamp(LocalDateTime.of(1999, 12, 31, 23, 59, 59))),
                Map.entry("ts", timestamp(Instant.parse("2024-03-10T06:30:00.125Z"))),
                Map.entry("js", string("{\"k\": [1, 2]}")))));
        expected.put(2, expectedRow(mapping, Map.ofEntries(
                Map.entry("id", int32(2)),
                Map.entry("ti", int32(-128)), Map.entry("si", int32(-32768)), Map.entry("mi", int32(-8388608)),
                Map.entry("i", int32(Integer.MIN_VALUE)), Map.entry("bi", int64(Long.MIN_VALUE)),
                Map.entry("tiu", int32(0)), Map.entry("siu", int32(0)), Map.entry("miu", int32(0)),
                Map.entry("iu", int64(0)), Map.entry("biu", decimal("0")),
                Map.entry("flag", int32(0)),
                Map.entry("d", decimal("-99999999.99")), Map.entry("d38", decimal("-0.0000000001")),
                Map.entry("d0", decimal("-1")),
                Map.entry("f", float64(-3.5)), Map.entry("dbl", float64(-1.7976931348623157e308)),
                Map.entry("c", string("")), Map.entry("vc", string("")), Map.entry("tt", string("")),
                Map.entry("t", string("")), Map.entry("mt", string("")), Map.entry("lt", string("")),
                // The bytes windows-1252 leaves undefined: MySQL's latin1 reads them as U+0081, U+009D.
                Map.entry("l1", string("\u0081\u009D")), Map.entry("c1", string(" x")), Map.entry("u16", string("")),
                Map.entry("cu", string("")), Map.entry("gb", string("")), Map.entry("sj", string("")),
                Map.entry("e", string("back\\slash")), Map.entry("s", string("")),
                Map.entry("y", int32(1901)), Map.entry("b", int64(0)), Map.entry("b64", int64(Long.MIN_VALUE + 1)),
                // Before 1582-10-15: the proleptic Gregorian calendar, as MySQL counts.
                Map.entry("dt", date(LocalDate.of(1000, 1, 1))),
                Map.entry("dtm", timestamp(LocalDateTime.of(1000, 1, 1, 0, 0, 0, 1_000))),
                Map.entry("dtm0", timestamp(LocalDateTime.of(1582, 10, 10, 12, 0, 0))),
                Map.entry("ts", timestamp(Instant.parse("1970-01-01T00:00:01Z"))),
                Map.entry("js", string("[]")))));
        expected.put(3, expectedRow(mapping, Map.of("id", int32(3))));
        // Zero dates read NULL; YEAR 0000 is 0; an ENUM's error value is ''.
        expected.put(4, expectedRow(mapping, Map.of("id", int32(4), "e", string(""), "y", int32(0))));
        // Invalid dates let in by ALLOW_INVALID_DATES roll over into the next month.
        expected.put(5, expectedRow(mapping, Map.of("id", int32(5),
                "dt", date(LocalDate.of(2024, 3, 1)),
                "dtm", timestamp(LocalDateTime.of(2023, 3, 1, 10, 0)))));

        // FLOAT is the stored single-precision value widened exactly, as MariaDB computes with it.
        expected.put(6, expectedRow(mapping, Map.of("id", int32(6),
                "f", float64((double) 1.2345678f), "dbl", float64(-1.2345678901234567e-300))));
        expected.put(7, expectedRow(mapping, Map.of("id", int32(7),
                "f", float64((double) 1e-38f), "dbl", float64(2.2250738585072014e-308))));

        assertRows("snapshot", mapping, snapshot, expected);
        assertRows("binlog", mapping, binlog, expected);
        assertThat(binlog.get(1).getHandle()).isEqualTo(mapping.handle(int32(1))).isNotEqualTo(1);

        // ENUM and SET members come from COLUMN_TYPE; they are the names the server gives.
        try (Connection connection = mariaDb.connect(DATABASE); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT id, e, s FROM every_type WHERE id IN (1, 2) ORDER BY id")) {
            while (rows.next()) {
                Row row = expected.get(rows.getInt(1));
                assertThat(row.getValues(column(mapping, "e")).getStringValue()).isEqualTo(rows.getString(2));
                assertThat(row.getValues(column(mapping, "s")).getStringValue()).isEqualTo(rows.getString(3));
            }
        }
    }

    @Test
    void nodeTypesFollowTheMapping() throws Exception {
        execute(DATABASE, """
                CREATE TABLE node_types (
                  k BIGINT UNSIGNED PRIMARY KEY, iu INT UNSIGNED, m MEDIUMINT UNSIGNED, d DECIMAL(38,38), f FLOAT,
                  y YEAR, b BIT(3), e ENUM('x'), dt DATE, dtm DATETIME(3), ts TIMESTAMP NULL, txt TEXT)""");
        TableMapping mapping = TableMapping.of(
                load("node_types"), 502, "node_types");

        assertThat(mapping.nodeTable().id()).isEqualTo(502);
        assertThat(mapping.nodeTable().name()).isEqualTo("node_types");
        assertThat(mapping.nodeTable().columns())
                .extracting(column -> column.name() + " " + io.mppnode.exec.type.ColumnTypes.describe(column.type()))
                .containsExactly("k decimal(20, 0)", "iu int64", "m int32", "d decimal(38, 38)", "f float64",
                        "y int32", "b int64", "e string", "dt date", "dtm timestamp", "ts timestamp", "txt string");
    }

    @Test
    void updateAndDeleteImagesGiveTheRowsAndHandlesOfTheirKeys() throws Exception {
        execute(DATABASE, "CREATE TABLE accounts (name VARCHAR(20) PRIMARY KEY, balance DECIMAL(10,2), "
                + "region CHAR(2) CHARACTER SET latin1)");
        TableMapping mapping = TableMapping.of(
                load("accounts"), 503, "accounts");

        TestingMariaDb.BinlogPosition before = mariaDb.masterStatus();
        execute(DATABASE,
                "INSERT INTO accounts VALUES ('ann', 10.50, 'eu'), ('bob', 20.00, 'us')",
                "UPDATE accounts SET balance = balance + 1 WHERE name = 'ann'",
                "UPDATE accounts SET name = 'béa' WHERE name = 'bob'",
                "DELETE FROM accounts WHERE name = 'ann'");
        Map<String, Row> snapshot = new HashMap<>();
        for (Row row : snapshot(mapping).values()) {
            snapshot.put(row.getValues(0).getStringValue(), row);
        }
        List<Event> events = binlogEvents(before);

        Row ann = row(mapping, string("ann"), decimal("10.50"), string("eu"));
        Row annAfter = row(mapping, string("ann"), decimal("11.50"), string("eu"));
        Row bob = row(mapping, string("bob"), decimal("20.00"), string("us"));
        Row bea = row(mapping, string("béa"), decimal("20.00"), string("us"));
        assertThat(writtenRows(events, "accounts", mapping)).containsExactly(ann, bob);
        List<Row[]> updates = new ArrayList<>();
        List<Row> deletes = new ArrayList<>();
        Map<Long, String> tables = new HashMap<>();
        for (Event event : events) {
            EventData data = event.getData();
            if (data instanceof TableMapEventData map) {
                tables.put(map.getTableId(), map.getTable());
            } else if (data instanceof UpdateRowsEventData update && "accounts".equals(tables.get(update.getTableId()))) {
                for (Map.Entry<Serializable[], Serializable[]> change : update.getRows()) {
                    updates.add(new Row[] {
                            mapping.row(change.getKey(), update.getIncludedColumnsBeforeUpdate()),
                            mapping.row(change.getValue(), update.getIncludedColumns())});
                }
            } else if (data instanceof DeleteRowsEventData delete && "accounts".equals(tables.get(delete.getTableId()))) {
                for (Serializable[] image : delete.getRows()) {
                    deletes.add(mapping.row(image, delete.getIncludedColumns()));
                }
            }
        }
        assertThat(updates).containsExactly(new Row[] {ann, annAfter}, new Row[] {bob, bea});
        assertThat(deletes).containsExactly(annAfter);

        // The same key has the same handle whichever way it came; another key has another.
        assertThat(snapshot).containsOnlyKeys("béa");
        assertThat(snapshot.get("béa")).isEqualTo(bea);
        assertThat(annAfter.getHandle()).isEqualTo(ann.getHandle());
        assertThat(bea.getHandle()).isNotEqualTo(bob.getHandle());
        assertThat(bea.getHandle()).isEqualTo(mapping.handle(string("béa")));
    }

    @Test
    void partialRowImagesAreRefused() throws Exception {
        execute(DATABASE, "CREATE TABLE minimal_image (id INT PRIMARY KEY, a INT, b VARCHAR(10))");
        TableMapping mapping = TableMapping.of(
                load("minimal_image"), 504, "minimal_image");
        execute(DATABASE, "INSERT INTO minimal_image VALUES (1, 1, 'one')");

        TestingMariaDb.BinlogPosition before = mariaDb.masterStatus();
        try (Connection connection = mariaDb.connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("SET SESSION binlog_row_image = 'MINIMAL'");
            statement.execute("UPDATE minimal_image SET a = 2 WHERE id = 1");
        }
        UpdateRowsEventData update = binlogEvents(before).stream()
                .map(Event::getData)
                .filter(UpdateRowsEventData.class::isInstance)
                .map(UpdateRowsEventData.class::cast)
                .findFirst().orElseThrow();
        Map.Entry<Serializable[], Serializable[]> change = update.getRows().getFirst();

        assertThatThrownBy(() -> mapping.row(change.getValue(), update.getIncludedColumns()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("types_test.minimal_image")
                .hasMessageContaining("binlog_row_image=FULL");
    }

    @Test
    void integerKeysSpreadEvenlyOverTheHandleSpace() {
        TableMapping integers = TableMapping.of(table(column("id", "int", "int(11)")), 1, "integers");
        TableMapping strings = TableMapping.of(table(column("id", "varchar", "varchar(20)")), 2, "strings");
        int rows = 100_000;
        Set<Long> integerHandles = new HashSet<>();
        Set<Long> stringHandles = new HashSet<>();
        int[] integerQuarters = new int[4];
        int[] stringQuarters = new int[4];
        for (int id = 1; id <= rows; id++) {
            long integerHandle = integers.handle(int32(id));
            long stringHandle = strings.handle(string("key-" + id));
            integerHandles.add(integerHandle);
            stringHandles.add(stringHandle);
            // The node splits the int64 range into equal regions: quarters by the top two bits.
            integerQuarters[(int) ((integerHandle >>> 62) ^ 2)]++;
            stringQuarters[(int) ((stringHandle >>> 62) ^ 2)]++;
        }
        assertThat(integerHandles).hasSize(rows);
        assertThat(stringHandles).hasSize(rows);
        for (int quarter = 0; quarter < 4; quarter++) {
            assertThat(integerQuarters[quarter]).as("integer keys in quarter %s", quarter).isBetween(rows / 5, rows * 3 / 10);
            assertThat(stringQuarters[quarter]).as("string keys in quarter %s", quarter).isBetween(rows / 5, rows * 3 / 10);
        }
        // An int32 key and the int64 key of the same number share a handle; it is not the number.
        TableMapping longs = TableMapping.of(table(column("id", "bigint", "bigint(20)")), 3, "longs");
        assertThat(longs.handle(int64(7))).isEqualTo(integers.handle(int32(7))).isNotEqualTo(7);
    }

    @Test
    void compositeKeysHashTheirTaggedLengthPrefixedEncoding() {
        TableMapping composite = TableMapping.of(new SourceTable("db", "composite",
                List.of(column("a", "varchar", "varchar(10)"), column("b", "varchar", "varchar(10)")),
                List.of(0, 1)), 4, "composite");
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart; tags keep a decimal "1" from a string "1".
        assertThat(composite.handle(string("ab"), string("c"))).isNotEqualTo(composite.handle(string("a"), string("bc")));
        assertThat(composite.handle(string("1"), string("x"))).isNotEqualTo(composite.handle(decimal("1"), string("x")));
        assertThat(composite.handle(string("a"), string("b"))).isEqualTo(composite.handle(string("a"), string("b")));
        assertThatThrownBy(() -> composite.handle(string("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 columns");

        // The hash is MurmurHash3 x64 128's first 64 bits, as Guava computes it.
        Random random = new Random(7);
        for (int length = 0; length < 70; length++) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            assertThat(TableMapping.murmur3x64Low(bytes)).isEqualTo(Hashing.murmur3_128().hashBytes(bytes).asLong());
        }
    }

    private static SourceTable load(String table) throws Exception {
        return load(mariaDb, DATABASE, table);
    }

    /** The definition of {@code database.table}, which must exist. */
    static SourceTable load(TestingMariaDb server, String database, String table) throws Exception {
        try (Connection connection = server.connect()) {
            return SourceSchemas.load(connection, database, table).orElseThrow();
        }
    }

    private static void execute(String database, String... statements) {
        mariaDb.execute(database, List.of(statements));
    }

    /** The events of the server's binlog from {@code from} to its current end (non-blocking dump). */
    static List<Event> binlogEvents(TestingMariaDb.BinlogPosition from) throws Exception {
        return binlogEvents(mariaDb, from, REPLICATION_USER, REPLICATION_PASSWORD);
    }

    static List<Event> binlogEvents(TestingMariaDb server, TestingMariaDb.BinlogPosition from, String user,
            String password) throws Exception {
        BinaryLogClient client = new BinaryLogClient(server.host(), server.port(), user, password);
        client.setServerId(99);
        client.setEventDeserializer(BinlogValues.deserializer());
        client.setBinlogFilename(from.file());
        client.setBinlogPosition(from.position());
        client.setBlocking(false);
        List<Event> events = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        client.registerEventListener(events::add);
        client.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
            @Override
            public void onCommunicationFailure(BinaryLogClient failed, Exception failure) {
                failures.add(failure);
            }

            @Override
            public void onEventDeserializationFailure(BinaryLogClient failed, Exception failure) {
                failures.add(failure);
            }
        });
        client.connect();
        if (!failures.isEmpty()) {
            throw new AssertionError("reading the binlog failed", failures.getFirst());
        }
        return events;
    }

    /** The rows of the WRITE_ROWS events of {@code table}, as node rows. */
    static List<Row> writtenRows(List<Event> events, String table, TableMapping mapping) {
        Map<Long, String> tables = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (Event event : events) {
            EventData data = event.getData();
            if (data instanceof TableMapEventData map) {
                tables.put(map.getTableId(), map.getTable());
                if (map.getTable().equals(table)) {
                    assertThat(mapping.tableMapProblem(map)).isNull();
                }
            } else if (data instanceof WriteRowsEventData write && table.equals(tables.get(write.getTableId()))) {
                for (Serializable[] image : write.getRows()) {
                    rows.add(mapping.row(image, write.getIncludedColumns()));
                }
            }
        }
        return rows;
    }

    private static Map<Integer, Row> snapshot(TableMapping mapping) throws Exception {
        Map<Integer, Row> rows = new TreeMap<>();
        try (Connection connection = mariaDb.connect(DATABASE); Statement statement = connection.createStatement()) {
            // The reader's session time zone must not matter either.
            statement.execute("SET time_zone = '-08:00'");
            try (ResultSet result = statement.executeQuery(mapping.selectStatement())) {
                int index = 0;
                while (result.next()) {
                    Row row = mapping.row(result);
                    Value first = row.getValues(0);
                    rows.put(first.getKindCase() == Value.KindCase.INT32_VALUE ? first.getInt32Value() : index, row);
                    index++;
                }
            }
        }
        return rows;
    }

    /** Row by row and column by column, so that a failure names the row, the column and the road. */
    private static void assertRows(String road, TableMapping mapping, Map<Integer, Row> actual, Map<Integer, Row> expected) {
        assertThat(actual.keySet()).as("%s rows", road).containsExactlyElementsOf(expected.keySet());
        SoftAssertions softly = new SoftAssertions();
        for (Map.Entry<Integer, Row> entry : expected.entrySet()) {
            Row row = actual.get(entry.getKey());
            softly.assertThat(row.getValuesCount()).as("%s row %s: values", road, entry.getKey())
                    .isEqualTo(mapping.columns().size());
            for (int i = 0; i < Math.min(row.getValuesCount(), entry.getValue().getValuesCount()); i++) {
                softly.assertThat(row.getValues(i))
                        .as("%s row %s column %s", road, entry.getKey(), mapping.columns().get(i).sourceColumn().name())
                        .isEqualTo(entry.getValue().getValues(i));
            }
            softly.assertThat(row.getHandle()).as("%s row %s: handle", road, entry.getKey())
                    .isEqualTo(entry.getValue().getHandle());
        }
        softly.assertAll();
    }

    private static Row expectedRow(TableMapping mapping, Map<String, Value> values) {
        Value[] row = new Value[mapping.columns().size()];
        for (int i = 0; i < row.length; i++) {
            row[i] = values.getOrDefault(mapping.columns().get(i).sourceColumn().name(), Value.getDefaultInstance());
        }
        assertThat(new HashSet<>(values.keySet())).isSubsetOf(
                mapping.columns().stream().map(column -> column.sourceColumn().name()).toList());
        return row(mapping, row);
    }

    private static Row row(TableMapping mapping, Value... values) {
        List<Integer> key = mapping.sourceTable().primaryKey();
        Value[] keyValues = new Value[key.size()];
        for (int i = 0; i < keyValues.length; i++) {
            keyValues[i] = values[key.get(i)];
        }
        return Row.newBuilder().setHandle(mapping.handle(keyValues)).addAllValues(List.of(values)).build();
    }

    private static int column(TableMapping mapping, String name) {
        return mapping.nodeTable().columnIndex(name);
    }

    private static SourceTable table(SourceColumn key) {
        return new SourceTable("db", "t", List.of(key), List.of(0));
    }

    private static SourceColumn column(String name, String dataType, String columnType) {
        return new SourceColumn(name, dataType, columnType, false, 0, 0, 0,
                dataType.equals("varchar") ? "utf8mb4" : null, false);
    }

    static Value int32(int value) {
        return Value.newBuilder().setInt32Value(value).build();
    }

    static Value int64(long value) {
        return Value.newBuilder().setInt64Value(value).build();
    }

    static Value decimal(String value) {
        return Value.newBuilder().setDecimalValue(value).build();
    }

    static Value float64(double value) {
        return Value.newBuilder().setFloat64Value(value).build();
    }

    static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    static Value date(LocalDate value) {
        return Value.newBuilder().setDateValue(Math.toIntExact(value.toEpochDay())).build();
    }

    static Value timestamp(LocalDateTime wallClock) {
        return timestamp(wallClock.toInstant(ZoneOffset.UTC));
    }

    static Value timestamp(Instant instant) {
        return Value.newBuilder()
                .setTimestampValue(Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000))
                .build();
    }
}
