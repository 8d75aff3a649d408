package io.mppnode.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.server.replication.TestingMariaDb.BinlogPosition;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The MariaDB fixture: a real server with a ROW binlog, grants that bite, and data that survives restarts and crashes. */
class TestingMariaDbTest {
    private TestingMariaDb mariaDb;

    @BeforeEach
    void setUp() {
        mariaDb = TestingMariaDb.start();
        mariaDb.execute("CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))");
    }

    @AfterEach
    void tearDown() {
        if (mariaDb != null) {
            mariaDb.close();
        }
    }

    @Test
    void writtenRowsReadBackOverJdbc() throws SQLException {
        mariaDb.execute("shop", List.of("INSERT INTO items VALUES (1, 'apple'), (2, 'pear')", "UPDATE items SET name = 'plum' WHERE id = 2"));

        assertThat(mariaDb.host()).isEqualTo("127.0.0.1");
        assertThat(mariaDb.jdbcUrl("shop")).isEqualTo("jdbc:mariadb://127.0.0.1:" + mariaDb.port() + "/shop");
        assertThat(items()).containsExactly("1:apple", "2:plum");
    }

    @Test
    void binlogIsOnInRowFormat() throws SQLException {
        assertThat(variable("log_bin")).isEqualTo("ON");
        assertThat(variable("binlog_format")).isEqualTo("ROW");
        assertThat(variable("bind_address")).isEqualTo("127.0.0.1");
    }

    @Test
    void binlogPositionAdvancesWithWrites() {
        BinlogPosition before = mariaDb.masterStatus();
        assertThat(before.file()).startsWith("mariadb-bin.");

        mariaDb.execute("INSERT INTO shop.items VALUES (1, 'apple')");

        BinlogPosition after = mariaDb.masterStatus();
        assertThat(after.file()).isEqualTo(before.file());
        assertThat(after.position()).isGreaterThan(before.position());
        assertThat(mariaDb.gtidBinlogPos()).matches("0-1-\\d+");
        assertThat(mariaDb.binlogFiles()).containsExactly(before.file());
    }

    @Test
    void flushOpensANewBinlogFileAndPurgeDropsTheOldOnes() {
        String first = mariaDb.masterStatus().file();

        mariaDb.flushLogs();
        String second = mariaDb.masterStatus().file();
        assertThat(second).isNotEqualTo(first).startsWith("mariadb-bin.");
        assertThat(mariaDb.binlogFiles()).containsExactly(first, second);

        mariaDb.purgeLogsTo(second);
        assertThat(mariaDb.binlogFiles()).containsExactly(second);
        assertThat(mariaDb.dataDir().resolve(first)).doesNotExist();
    }

    @Test
    void serverOptionReplacesTheDefaultWhateverItsSpelling() throws SQLException {
        try (TestingMariaDb statementBased = TestingMariaDb.start(Map.of("binlog_format", "STATEMENT", "max-connections", "42"))) {
            try (Connection connection = statementBased.connect()) {
                assertThat(variable(connection, "binlog_format")).isEqualTo("STATEMENT");
                assertThat(variable(connection, "max_connections")).isEqualTo("42");
                assertThat(variable(connection, "log_bin")).isEqualTo("ON");
            }
        }
    }

    @Test
    void optionsTheFixtureOwnsAreRefused() {
        assertThatThrownBy(() -> TestingMariaDb.start(Map.of("pid_file", "/tmp/elsewhere.pid")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pid_file");
        assertThatThrownBy(() -> TestingMariaDb.start(Map.of("port", "3306")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port");
    }

    @Test
    void aServerThatCannotStartIsReportedWithItsErrorLog() {
        assertThatThrownBy(() -> TestingMariaDb.start(Map.of("no_such_option", "1")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mariadbd did not start")
                .hasMessageContaining("unknown variable 'no-such-option=1'");
    }

    @Test
    void restartKeepsDataAndPort() throws SQLException {
        mariaDb.execute("INSERT INTO shop.items VALUES (1, 'apple')");
        int port = mariaDb.port();

        mariaDb.stop();
        assertThat(mariaDb.isRunning()).isFalse();
        assertThatThrownBy(() -> mariaDb.connect().close()).isInstanceOf(SQLException.class);

        mariaDb.restart();
        assertThat(mariaDb.isRunning()).isTrue();
        assertThat(mariaDb.port()).isEqualTo(port);
        assertThat(items()).containsExactly("1:apple");
    }

    @Test
    void killThenRestartKeepsCommittedData() throws SQLException {
        mariaDb.execute("INSERT INTO shop.items VALUES (1, 'apple')", "INSERT INTO shop.items VALUES (2, 'pear')");
        BinlogPosition beforeCrash = mariaDb.masterStatus();

        mariaDb.kill();
        assertThat(mariaDb.isRunning()).isFalse();

        mariaDb.restart();
        assertThat(items()).containsExactly("1:apple", "2:pear");
        // Every start opens a new binlog file; the one the crash cut short is kept.
        assertThat(mariaDb.binlogFiles()).contains(beforeCrash.file());
        assertThat(mariaDb.masterStatus().file()).isNotEqualTo(beforeCrash.file());
    }

    @Test
    void restartFailsClearlyWhenThePortHasBeenTaken() throws Exception {
        mariaDb.stop();
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", mariaDb.port()));

            assertThatThrownBy(mariaDb::restart)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + mariaDb.port() + " has been taken");
            assertThat(mariaDb.isRunning()).isFalse();
        }
        mariaDb.restart();
        assertThat(mariaDb.isRunning()).isTrue();
    }

    @Test
    void replicationUserMayReadBinlogStatusButASelectOnlyUserMayNot() throws SQLException {
        BinlogPosition before = mariaDb.masterStatus();
        mariaDb.createReplicationUser("replicator", "secret");
        mariaDb.createUser("reader", "pw", "SELECT");
        assertThat(mariaDb.masterStatus()).as("fixture accounts stay out of the binlog").isEqualTo(before);

        try (Connection replicator = DriverManager.getConnection(mariaDb.jdbcUrl(""), "replicator", "secret");
                Statement statement = replicator.createStatement();
                ResultSet result = statement.executeQuery("SHOW MASTER STATUS")) {
            assertThat(result.next()).isTrue();
            assertThat(result.getString("File")).isEqualTo(before.file());
        }

        try (Connection reader = DriverManager.getConnection(mariaDb.jdbcUrl("shop"), "reader", "pw");
                Statement statement = reader.createStatement()) {
            statement.executeQuery("SELECT * FROM items").close();
            assertThatThrownBy(() -> statement.executeQuery("SHOW MASTER STATUS"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1227))
                    .hasMessageContaining("Access denied");
        }

        assertThatThrownBy(() -> DriverManager.getConnection(mariaDb.jdbcUrl(""), "replicator", "wrong").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Access denied");
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() {
        Path dataDir = mariaDb.dataDir();
        assertThat(dataDir.resolve(mariaDb.masterStatus().file())).isRegularFile();

        mariaDb.close();

        assertThat(mariaDb.isRunning()).isFalse();
        assertThat(dataDir).doesNotExist();
        assertThat(dataDir.getParent()).doesNotExist();
        assertThatThrownBy(() -> mariaDb.connect().close()).isInstanceOf(SQLException.class);
        mariaDb.close(); // a second close does nothing
        assertThat(Files.exists(dataDir)).isFalse();
    }

    private List<String> items() throws SQLException {
        try (Connection connection = mariaDb.connect("shop");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT id, name FROM items ORDER BY id")) {
            List<String> rows = new ArrayList<>();
            while (result.next()) {
                rows.add(result.getInt(1) + ":" + result.getString(2));
            }
            return rows;
        }
    }

    private String variable(String name) throws SQLException {
        try (Connection connection = mariaDb.connect()) {
            return variable(connection, name);
        }
    }

    private static String variable(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW VARIABLES LIKE '" + name + "'")) {
            assertThat(result.next()).as("variable %s exists", name).isTrue();
            return result.getString("Value");
        }
    }
}
