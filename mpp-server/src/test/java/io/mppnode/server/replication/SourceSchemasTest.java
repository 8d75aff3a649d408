package io.mppnode.server.replication;

import static io.mppnode.server.replication.TableMappingTest.binlogEvents;
import static io.mppnode.server.replication.TableMappingTest.decimal;
import static io.mppnode.server.replication.TableMappingTest.int32;
import static io.mppnode.server.replication.TableMappingTest.int64;
import static io.mppnode.server.replication.TableMappingTest.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.Value;
import java.io.Serializable;
import java.math.BigDecimal;
import java.sql.Connection;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upstream definitions read from a real MariaDB server's information_schema, the columns and
 * tables the node refuses, and TABLE_MAP events checked against a mapping.
 */
class SourceSchemasTest {
    private static final String DATABASE = "schemas_test";
    private static final String REPLICATION_USER = "schemas_repl";
    private static final String REPLICATION_PASSWORD = "schemas-repl-secret";

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
    void loadFindsColumnsTypesCharsetsAndThePrimaryKeyInKeyOrder() throws Exception {
        execute(DATABASE, """
                CREATE TABLE orders (
                  id INT UNSIGNED NOT NULL,
                  name VARCHAR(30) CHARACTER SET latin1 NOT NULL,
                  amount DECIMAL(12,3),
                  created DATETIME(3),
                  region CHAR(2) CHARACTER SET utf8mb4 NOT NULL,
                  PRIMARY KEY (region, id))""");

        SourceTable table = load("orders").orElseThrow();

        assertThat(table.database()).isEqualTo(DATABASE);
        assertThat(table.name()).isEqualTo("orders");
        assertThat(table.qualifiedName()).isEqualTo("schemas_test.orders");
        assertThat(table.columns()).containsExactly(
                new SourceColumn("id", "int", "int(10) unsigned", true, 10, 0, 0, null, false),
                new SourceColumn("name", "varchar", "varchar(30)", false, 0, 0, 0, "latin1", false),
                new SourceColumn("amount", "decimal", "decimal(12,3)", false, 12, 3, 0, null, true),
                new SourceColumn("created", "datetime", "datetime(3)", false, 0, 0, 3, null, true),
                new SourceColumn("region", "char", "char(2)", false, 0, 0, 0, "utf8mb4", false));
        assertThat(table.primaryKey()).containsExactly(4, 0);

        // The handle hashes the key in key order: (region, id).
        TableMapping mapping = TableMapping.of(table, 601, "orders");
        Row row = mapping.row(new Serializable[] {7, "ann".getBytes(), new BigDecimal("1.500"), null,
                "eu".getBytes()}, allColumns(5));
        assertThat(row.getValuesList()).containsExactly(int64(7), string("ann"), decimal("1.500"),
                Value.getDefaultInstance(), string("eu"));
        assertThat(row.getHandle()).isEqualTo(mapping.handle(string("eu"), int64(7)))
                .isNotEqualTo(mapping.handle(int64(7), string("eu")));
    }

    @Test
    void tablesListsBaseTablesButNotViews() throws Exception {
        mariaDb.execute("DROP DATABASE IF EXISTS schemas_listed", "CREATE DATABASE schemas_listed");
        execute("schemas_listed",
                "CREATE TABLE b_table (id INT PRIMARY KEY)",
                "CREATE TABLE a_table (id INT PRIMARY KEY)",
                "CREATE VIEW a_view AS SELECT id FROM a_table");

        try (Connection connection = mariaDb.connect()) {
            assertThat(SourceSchemas.tables(connection, "schemas_listed")).containsExactly("a_table", "b_table");
            assertThat(SourceSchemas.tables(connection, "no_such_database")).isEmpty();
            assertThat(SourceSchemas.load(connection, "schemas_listed", "a_view")).isEmpty();
            assertThat(SourceSchemas.load(connection, "schemas_listed", "no_such_table")).isEmpty();
            assertThat(SourceSchemas.load(connection, "schemas_listed", "a_table")).isPresent();
        }
    }

    @Test
    void unsupportedTypesAreRefusedNamingTableColumnAndType() throws Exception {
        execute(DATABASE, """
                CREATE TABLE odd (
                  id INT PRIMARY KEY,
                  tm TIME, bl BLOB, vb VARBINARY(10), bn BINARY(4), g GEOMETRY, p POINT, wide DECIMAL(65,2),
                  u UUID, ip INET6)""");
        SourceTable table = load("odd").orElseThrow();

        for (SourceColumn column : table.columns().subList(1, table.columns().size())) {
            assertThatThrownBy(() -> ColumnMapping.of(table.qualifiedName(), column))
                    .as(column.columnType())
                    .isInstanceOf(UnsupportedColumnException.class)
                    .hasMessageContaining("schemas_test.odd." + column.name())
                    .hasMessageContaining(column.columnType())
                    .hasMessageContaining("change the column type or leave the table out of replicate-tables");
        }
        assertThatThrownBy(() -> ColumnMapping.of(table.qualifiedName(), column(table, "tm")))
                .hasMessage("column schemas_test.odd.tm has type time, which the node cannot replicate: the node has "
                        + "no time-of-day type (a DATETIME, or an INT of seconds, would do); change the column type "
                        + "or leave the table out of replicate-tables");
        assertThatThrownBy(() -> ColumnMapping.of(table.qualifiedName(), column(table, "wide")))
                .hasMessageContaining("at most 38 digits");
        // The table as a whole is refused at its first such column.
        assertThatThrownBy(() -> TableMapping.of(table, 602, "odd"))
                .isInstanceOf(UnsupportedColumnException.class)
                .hasMessageStartingWith("column schemas_test.odd.tm has type time");
        // A character set the replicator has no decoder for.
        SourceColumn armenian = new SourceColumn("a", "varchar", "varchar(5)", false, 0, 0, 0, "armscii8", true);
        assertThatThrownBy(() -> ColumnMapping.of("db.t", armenian))
                .isInstanceOf(UnsupportedColumnException.class)
                .hasMessageContaining("character set armscii8");
    }

    @Test
    void aTableWithoutPrimaryKeyIsRefused() throws Exception {
        execute(DATABASE, "CREATE TABLE no_key (a INT NOT NULL, b INT, UNIQUE KEY (a))");
        SourceTable table = load("no_key").orElseThrow();

        assertThat(table.primaryKey()).isEmpty();
        assertThatThrownBy(() -> TableMapping.of(table, 603, "no_key"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("table schemas_test.no_key has no primary key; the node needs one to find rows for updates "
                        + "and deletes; add one or leave the table out of replicate-tables");
    }

    @Test
    void tableMapProblemSpotsChangedTypesAndAcceptsFewerTrailingColumns() throws Exception {
        execute(DATABASE, "CREATE TABLE evolving (id INT PRIMARY KEY, n INT, price DECIMAL(10,2))");
        TableMapping original = TableMapping.of(load("evolving").orElseThrow(), 604, "evolving");
        TestingMariaDb.BinlogPosition before = mariaDb.masterStatus();
        execute(DATABASE, "INSERT INTO evolving VALUES (1, 10, 1.50)",
                "ALTER TABLE evolving ADD COLUMN note VARCHAR(10)");
        TableMapping withNote = TableMapping.of(load("evolving").orElseThrow(), 604, "evolving");
        execute(DATABASE, "INSERT INTO evolving VALUES (2, 20, 2.50, 'two')",
                "ALTER TABLE evolving MODIFY n VARCHAR(10)");
        TableMapping textN = TableMapping.of(load("evolving").orElseThrow(), 604, "evolving");
        execute(DATABASE, "INSERT INTO evolving VALUES (3, 'thirty', 3.50, 'three')",
                "ALTER TABLE evolving MODIFY price DECIMAL(12,4)",
                "INSERT INTO evolving VALUES (4, 'forty', 4.50, 'four')");
        List<Event> events = binlogEvents(mariaDb, before, REPLICATION_USER, REPLICATION_PASSWORD);
        List<TableMapEventData> maps = events.stream()
                .map(Event::getData)
                .filter(TableMapEventData.class::isInstance)
                .map(TableMapEventData.class::cast)
                .filter(map -> map.getTable().equals("evolving"))
                .toList();
        assertThat(maps).hasSize(4);

        assertThat(original.tableMapProblem(maps.get(0))).isNull();
        assertThat(withNote.tableMapProblem(maps.get(1))).isNull();
        assertThat(textN.tableMapProblem(maps.get(2))).isNull();
        // Columns added at the end since the event: fine, they read NULL.
        assertThat(withNote.tableMapProblem(maps.get(0))).isNull();
        WriteRowsEventData first = events.stream()
                .map(Event::getData)
                .filter(WriteRowsEventData.class::isInstance)
                .map(WriteRowsEventData.class::cast)
                .findFirst().orElseThrow();
        assertThat(withNote.row(first.getRows().getFirst(), first.getIncludedColumns()).getValuesList())
                .containsExactly(int32(1), int32(10), decimal("1.50"), Value.getDefaultInstance());

        assertThat(original.tableMapProblem(maps.get(1))).isEqualTo("upstream table schemas_test.evolving changed "
                + "without a DDL this replica saw: it has 4 columns, this replica knows 3");
        assertThat(withNote.tableMapProblem(maps.get(2))).isEqualTo("upstream table schemas_test.evolving changed "
                + "without a DDL this replica saw: column 2 (n) is now VARCHAR or VARBINARY, was INT");
        assertThat(textN.tableMapProblem(maps.get(3))).isEqualTo("upstream table schemas_test.evolving changed "
                + "without a DDL this replica saw: column 3 (price) is now DECIMAL(12,4), was DECIMAL(10,2)");
    }

    @Test
    void tableMapProblemSpotsARenamedColumnWhenTheBinlogNamesColumns() throws Exception {
        execute(DATABASE, "CREATE TABLE renamed (id INT PRIMARY KEY, n INT)");
        TableMapping mapping = TableMapping.of(load("renamed").orElseThrow(), 605, "renamed");
        TestingMariaDb.BinlogPosition before = mariaDb.masterStatus();
        mariaDb.execute("SET GLOBAL binlog_row_metadata = 'FULL'");
        try {
            execute(DATABASE, "INSERT INTO renamed VALUES (1, 1)",
                    "ALTER TABLE renamed RENAME COLUMN n TO m",
                    "INSERT INTO renamed VALUES (2, 2)");
        } finally {
            mariaDb.execute("SET GLOBAL binlog_row_metadata = 'NO_LOG'");
        }
        List<TableMapEventData> maps = binlogEvents(mariaDb, before, REPLICATION_USER, REPLICATION_PASSWORD).stream()
                .map(Event::getData)
                .filter(TableMapEventData.class::isInstance)
                .map(TableMapEventData.class::cast)
                .filter(map -> map.getTable().equals("renamed"))
                .toList();

        assertThat(maps).hasSize(2);
        assertThat(mapping.tableMapProblem(maps.get(0))).isNull();
        assertThat(mapping.tableMapProblem(maps.get(1))).isEqualTo("upstream table schemas_test.renamed changed "
                + "without a DDL this replica saw: column 2 is now named m, was n");
    }

    private static void execute(String database, String... statements) {
        mariaDb.execute(database, List.of(statements));
    }

    private static Optional<SourceTable> load(String table) throws Exception {
        try (Connection connection = mariaDb.connect()) {
            return SourceSchemas.load(connection, DATABASE, table);
        }
    }

    private static SourceColumn column(SourceTable table, String name) {
        return table.columns().stream().filter(column -> column.name().equals(name)).findFirst().orElseThrow();
    }

    private static BitSet allColumns(int count) {
        BitSet columns = new BitSet();
        columns.set(0, count);
        return columns;
    }
}
