package io.mppnode.server.replication;

import static io.mppnode.server.replication.TestingReplication.awaitCaughtUp;
import static io.mppnode.server.replication.TestingReplication.awaitStatus;
import static io.mppnode.server.replication.TestingReplication.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.sample.SampleTables;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input against a real MariaDB server and a real node: wrong credentials, missing rights,
 * statement-format binlogs, purged positions, unsupported column types, tables without a
 * primary key, unsupported DDL, an unreachable source. Each mistake a retry cannot mend stops
 * replication (state FAILED, no reconnects) with a message saying what is wrong and what to do;
 * what was applied before stays as it was, and the node goes on answering queries.
 *
 * <p>One MariaDB server serves every case (each makes its own users and databases); a node is
 * started per case, with the sample tables, so there is always a table replication has no part in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationErrorsTest {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private TestingMariaDb maria;
    private TestingNode node;
    private String db;

    @BeforeAll
    void startSource() {
        maria = TestingMariaDb.start();
        maria.createReplicationUser(TestingReplication.USER, TestingReplication.PASSWORD);
    }

    @AfterAll
    void stopSource() {
        if (maria != null) {
            maria.close();
        }
    }

    @BeforeEach
    void startNode() {
        node = TestingNode.start(Map.of("sample-tables", "true"));
        db = "bad" + SEQUENCE.incrementAndGet();
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    // ----- credentials and rights -----

    @Test
    void aWrongPasswordStopsAtOnceSayingWhichSettingToCheck() {
        createTable();
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-password", "not-the-password")));
        assertThat(failed.getLastError()).contains("refused the user name or password").contains("replicate-password")
                .contains("replicate-user").contains("Access denied");
        assertThat(failed.getLastError()).as("the password is not echoed").doesNotContain("not-the-password");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void anUnknownUserStopsAtOnce() {
        createTable();
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-user", "nobody_" + db, "replicate-password", "x")));
        assertThat(failed.getLastError()).contains("refused the user name or password").contains("'nobody_" + db + "'")
                .contains("replicate-user");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void aUserWithoutReplicationSlaveIsToldWhatToGrant() {
        createTable();
        String user = "sel_" + db;
        maria.createUser(user, "pw", "SELECT");
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-user", user, "replicate-password", "pw")));
        assertThat(failed.getLastError()).contains("'" + user + "'").contains("lacks the REPLICATION SLAVE privilege")
                .contains("GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO '" + user + "'");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void aUserWithoutBinlogMonitorIsToldWhatToGrant() {
        createTable();
        String user = "slave_" + db;
        maria.createUser(user, "pw", "REPLICATION SLAVE", "SELECT", "RELOAD");
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-user", user, "replicate-password", "pw")));
        assertThat(failed.getLastError()).contains("'" + user + "'").contains("lacks BINLOG MONITOR")
                .contains("GRANT BINLOG MONITOR ON *.* TO '" + user + "'");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void aUserWithoutSelectOnTheTablesIsToldWhatToGrant() {
        createTable();
        String user = "nosel_" + db;
        maria.createUser(user, "pw", "REPLICATION SLAVE", "BINLOG MONITOR", "RELOAD");
        ReplicationStatus failed = startAndAwaitFailure(spec(db + ".t", Map.of("replicate-user", user, "replicate-password", "pw")));
        // the table is invisible to the user: replication must not take that for "no such table"
        assertThat(failed.getLastError()).contains("'" + user + "' may not read " + db + ".t").contains("SELECT command denied")
                .contains("GRANT SELECT ON " + db + ".t TO '" + user + "'");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void aUserWithoutSelectOnAReplicatedDatabaseIsToldWhatToGrant() {
        createTable();
        String user = "nodb_" + db;
        maria.createUser(user, "pw", "REPLICATION SLAVE", "BINLOG MONITOR", "RELOAD");
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-user", user, "replicate-password", "pw")));
        assertThat(failed.getLastError()).contains("'" + user + "' may not read " + db + " ").contains("GRANT SELECT ON " + db + ".*");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void rightsGrantedThroughADefaultRoleAreEnough() throws Exception {
        // not a mistake: the grant checks must see privileges a role gives
        createTable();
        String user = "role_" + db;
        maria.execute("", List.of("SET SESSION sql_log_bin = 0",
                "CREATE ROLE " + user + "_r",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO " + user + "_r",
                "CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'",
                "GRANT " + user + "_r TO '" + user + "'@'%'",
                "SET DEFAULT ROLE " + user + "_r FOR '" + user + "'@'%'"));
        node.node().replication().start(spec(db, Map.of("replicate-user", user, "replicate-password", "pw")));
        awaitCaughtUp(node, maria);
        assertThat(nodeRows(db + ".t")).containsExactly("1|one", "2|two");
    }

    // ----- server_id -----

    @Test
    void theSourcesOwnServerIdIsRefused() {
        createTable();
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-server-id", "1")));
        assertThat(failed.getLastError()).contains("server_id 1 is the source's own").contains("give the replica a server_id");
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void theSourcesOwnServerIdIsRefusedAboveTwoToThe31() {
        // server_id is unsigned 32-bit: 4294967295 is a valid one, and must compare as such
        createTable();
        maria.execute("SET GLOBAL server_id = 4294967295");
        try {
            ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-server-id", "4294967295")));
            assertThat(failed.getLastError()).contains("server_id 4294967295 is the source's own");
        } finally {
            maria.execute("SET GLOBAL server_id = 1");
        }
        assertNothingReplicatedAndTheNodeServes();
    }

    // ----- binlog_format -----

    @Test
    void aSourceWithStatementBinlogIsRefused() {
        try (TestingMariaDb statementServer = TestingMariaDb.start(Map.of("binlog_format", "STATEMENT"))) {
            statementServer.createReplicationUser(TestingReplication.USER, TestingReplication.PASSWORD);
            statementServer.execute("CREATE DATABASE " + db, "CREATE TABLE " + db + ".t (id INT PRIMARY KEY, v VARCHAR(10))",
                    "INSERT INTO " + db + ".t VALUES (1, 'one')");
            ReplicationStatus failed = startAndAwaitFailure(TestingReplication.spec(statementServer, db, Map.of()));
            assertThat(failed.getLastError()).contains("binlog_format=STATEMENT").contains("needs binlog_format=ROW")
                    .contains("SET GLOBAL binlog_format='ROW'");
        }
        assertNothingReplicatedAndTheNodeServes();
    }

    @Test
    void aSessionWritingInStatementFormatStopsReplicationNamingTheStatement() throws Exception {
        createTable();
        startAndCatchUp(db);
        maria.execute("INSERT INTO " + db + ".t VALUES (3, 'three')");
        awaitCaughtUp(node, maria);
        List<String> before = nodeRows(db + ".t");
        assertThat(before).containsExactly("1|one", "2|two", "3|three");

        String insert = "INSERT INTO " + db + ".t VALUES (4, 'statement')";
        try (Connection connection = maria.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET SESSION binlog_format = 'STATEMENT'");
            statement.execute(insert);
        }
        ReplicationStatus failed = awaitFailure();
        assertThat(failed.getLastError()).contains("logged a statement, not rows, for replicated table " + db + ".t")
                .contains(insert).contains("binlog_format=ROW");
        assertThat(nodeRows(db + ".t")).as("rows applied before the statement, and not the statement's").isEqualTo(before);
        assertTheNodeServes();
    }

    @Test
    void aMultiTableUpdateInStatementFormatIsNotSkipped() throws Exception {
        createTable();
        maria.execute("CREATE DATABASE " + db + "_staging", "CREATE TABLE " + db + "_staging.s (id INT PRIMARY KEY, v VARCHAR(10))",
                "INSERT INTO " + db + "_staging.s VALUES (1, 'new')");
        startAndCatchUp(db);
        List<String> before = nodeRows(db + ".t");
        // the replicated table is not the first one named
        String update = "UPDATE " + db + "_staging.s s JOIN " + db + ".t t ON t.id = s.id SET t.v = s.v";
        try (Connection connection = maria.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET SESSION binlog_format = 'STATEMENT'");
            statement.execute(update);
        }
        ReplicationStatus failed = awaitFailure();
        assertThat(failed.getLastError()).contains("for replicated table " + db + ".t").contains(update);
        assertThat(nodeRows(db + ".t")).isEqualTo(before);
        assertTheNodeServes();
    }

    @Test
    void aTemporaryTableShadowingAReplicatedOneLeavesItAlone() throws Exception {
        createTable();
        startAndCatchUp(db);
        try (Connection connection = maria.connect(db); Statement statement = connection.createStatement()) {
            // in statement format the temporary table's DDL goes to the binlog
            statement.execute("SET SESSION binlog_format = 'STATEMENT'");
            statement.execute("CREATE TEMPORARY TABLE t (id INT PRIMARY KEY)");
            statement.execute("DROP TEMPORARY TABLE t");
        }
        maria.execute("INSERT INTO " + db + ".t VALUES (5, 'five')");
        ReplicationStatus status = awaitCaughtUp(node, maria);
        assertThat(status.getState()).isEqualTo(ReplicationState.STREAMING);
        assertThat(node.node().catalog().table(db + ".t")).as("the replicated table survives DROP TEMPORARY TABLE").isPresent();
        assertThat(nodeRows(db + ".t")).containsExactly("1|one", "2|two", "5|five");
    }

    // ----- purged positions -----

    @Test
    void aStartPositionTheSourceHasPurgedIsRefused() throws Exception {
        createTable();
        String purged = maria.masterStatus().file();
        purgeAway(purged);

        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of("replicate-start", purged + ":4")));
        assertThat(failed.getLastError()).contains(purged).contains("purged").containsIgnoringCase("start afresh with a snapshot");
        assertTheNodeServes();
    }

    @Test
    void aHeldPositionPurgedWhileReplicationWasStoppedIsRefusedOnResume() throws Exception {
        createTable();
        ReplicationSpec spec = spec(db, Map.of());
        node.node().replication().start(spec);
        ReplicationStatus caughtUp = awaitCaughtUp(node, maria);
        String heldFile = caughtUp.getApplied().getFile();
        List<String> before = nodeRows(db + ".t");
        node.node().replication().stop();

        // while stopped: the source moves on and purges the file the replica holds a position in
        maria.execute("INSERT INTO " + db + ".t VALUES (6, 'gone')");
        purgeAway(heldFile);

        ReplicationStatus failed = startAndAwaitFailure(spec);
        assertThat(failed.getLastError()).contains("cannot send its binlog from " + heldFile).contains("purged")
                .containsIgnoringCase("start afresh with a snapshot");
        assertThat(nodeRows(db + ".t")).as("what was applied before the stop").isEqualTo(before);
        assertTheNodeServes();
    }

    // ----- the tables -----

    @Test
    void anUnsupportedColumnTypeNamesTheColumnAndItsTypeAndNothingIsCopied() {
        // a_ok sorts before b_time: a snapshot that copies table by table would have copied it already
        maria.execute("CREATE DATABASE " + db,
                "CREATE TABLE " + db + ".a_ok (id INT PRIMARY KEY, v VARCHAR(10))",
                "INSERT INTO " + db + ".a_ok VALUES (1, 'one')",
                "CREATE TABLE " + db + ".b_time (id INT PRIMARY KEY, at TIME)",
                "INSERT INTO " + db + ".b_time VALUES (1, '10:00:00')");
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of()));
        assertThat(failed.getLastError()).contains("column " + db + ".b_time.at has type time").contains("no time-of-day type")
                .contains("leave the table out of replicate-tables");
        assertThat(node.node().catalog().table(db + ".b_time")).as("no table for the unsupported one").isEmpty();
        assertThat(node.node().catalog().table(db + ".a_ok")).as("nor a half-made replica of the others").isEmpty();
        assertTheNodeServes();
    }

    @Test
    void anUnsupportedColumnInATableCreatedLaterStopsReplicationNamingIt() throws Exception {
        createTable();
        startAndCatchUp(db);
        List<String> before = nodeRows(db + ".t");
        maria.execute("CREATE TABLE " + db + ".blobs (id INT PRIMARY KEY, data BLOB)", "INSERT INTO " + db + ".t VALUES (7, 'after')");
        ReplicationStatus failed = awaitFailure();
        assertThat(failed.getLastError()).contains("column " + db + ".blobs.data has type blob").contains("replicate-tables");
        assertThat(node.node().catalog().table(db + ".blobs")).isEmpty();
        assertThat(nodeRows(db + ".t")).as("replication stopped at the CREATE TABLE: the insert after it is not applied").isEqualTo(before);
        assertTheNodeServes();
    }

    @Test
    void aTableWithoutAPrimaryKeyIsRefusedNamingIt() {
        maria.execute("CREATE DATABASE " + db, "CREATE TABLE " + db + ".nokey (id INT, v VARCHAR(10))",
                "INSERT INTO " + db + ".nokey VALUES (1, 'one'), (1, 'one')");
        ReplicationStatus failed = startAndAwaitFailure(spec(db, Map.of()));
        assertThat(failed.getLastError()).contains("table " + db + ".nokey has no primary key").contains("add one")
                .contains("replicate-tables");
        assertThat(node.node().catalog().table(db + ".nokey")).isEmpty();
        assertTheNodeServes();
    }

    // ----- DDL -----

    @ParameterizedTest
    @ValueSource(strings = {
        "RENAME TABLE %s.t TO %s.t2",
        "TRUNCATE TABLE %s.t",
        "ALTER TABLE %s.t MODIFY v VARCHAR(100)",
        "ALTER TABLE %s.t ADD COLUMN w INT FIRST",
        "DROP DATABASE %s",
    })
    void unsupportedDdlOnAReplicatedTableStopsReplicationNamingTheStatement(String template) throws Exception {
        createTable();
        startAndCatchUp(db);
        List<String> before = nodeRows(db + ".t");
        String ddl = template.replace("%s", db);
        maria.execute(ddl);
        ReplicationStatus failed = awaitFailure();
        assertThat(failed.getLastError()).contains("DDL that replication does not apply").contains("'" + ddl + "'")
                .containsIgnoringCase("start afresh with a snapshot");
        assertThat(nodeRows(db + ".t")).as("the rows before the DDL").isEqualTo(before);
        assertThat(table(node, db + ".t").columns()).extracting(column -> column.name()).containsExactly("id", "v");
        assertTheNodeServes();
        // a read of the stopped replica at a new ts cannot be answered as of that ts: it waits (up to
        // the query's timeout, or the task's, which says the replica is behind) rather than answer stale rows
        long now = new io.mppnode.server.binlog.Tso().next();
        assertThatThrownBy(() -> TestingReplication.rows(node, List.of(node.address()), table(node, db + ".t"), now,
                java.time.Duration.ofMillis(500)))
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("replica is behind", "did not finish within 500 ms"));
        assertTheNodeServes();
    }

    @Test
    void ddlOnTablesNotReplicatedIsPassedOver() throws Exception {
        createTable();
        String other = db + "_other";
        maria.execute("CREATE DATABASE " + other, "CREATE TABLE " + other + ".x (id INT PRIMARY KEY, v VARCHAR(10))",
                "CREATE TABLE " + db + ".skipped (id INT PRIMARY KEY, at TIME)");
        // db.t only: db.skipped (with a type replication refuses) and other.* are not replicated
        startAndCatchUp(db + ".t");
        maria.execute("RENAME TABLE " + other + ".x TO " + other + ".y",
                "TRUNCATE TABLE " + other + ".y",
                "ALTER TABLE " + other + ".y MODIFY v VARCHAR(100)",
                "ALTER TABLE " + other + ".y ADD COLUMN w INT FIRST",
                "ALTER TABLE " + db + ".skipped DROP COLUMN at",
                "CREATE TABLE " + other + ".z (id INT, b BLOB)",
                "DROP DATABASE " + other,
                "INSERT INTO " + db + ".t VALUES (8, 'eight')");
        ReplicationStatus status = awaitCaughtUp(node, maria);
        assertThat(status.getState()).isEqualTo(ReplicationState.STREAMING);
        assertThat(status.getLastError()).isEmpty();
        assertThat(nodeRows(db + ".t")).containsExactly("1|one", "2|two", "8|eight");
        assertThat(node.node().catalog().table(db + ".skipped")).isEmpty();
    }

    // ----- an unreachable source -----

    @Test
    void anUnreachableSourceIsRetriedWithBackoffUntilItComesBack() throws Exception {
        createTable();
        int port;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            port = socket.getLocalPort();
        }
        Map<String, String> values = new LinkedHashMap<>(TestingReplication.specValues(maria, db, Map.of()));
        values.put("replicate-source", "127.0.0.1:" + port);
        values.put("replicate-max-backoff", "400ms");
        node.node().replication().start(ReplicationManager.spec(values));
        ReplicationStatus retrying = awaitStatus(node, "a reconnect", s -> {
            assertThat(s.getState()).as("state while the source is unreachable: %s", s).isNotEqualTo(ReplicationState.FAILED);
            return s.getReconnects() >= 1;
        });
        assertThat(retrying.getState()).isIn(ReplicationState.RETRYING, ReplicationState.CONNECTING);
        assertThat(retrying.getLastError()).contains("127.0.0.1:" + port).contains("unreachable");
        // backoff: 100, 200, 400, 400, ... ms; in 2 s about six attempts, not hundreds
        long first = retrying.getReconnects();
        TimeUnit.MILLISECONDS.sleep(2000);
        long later = node.node().replication().status().getReconnects();
        assertThat(later - first).as("reconnects in 2 s with backoff up to 400 ms").isBetween(3L, 9L);
        assertTheNodeServes();
        node.node().replication().stop();
        assertThat(node.node().replication().status().getState()).isEqualTo(ReplicationState.STOPPED);
    }

    @Test
    void aSourceThatIsDownAtStartIsReplicatedOnceItComesUp() throws Exception {
        createTable();
        maria.stop();
        try {
            node.node().replication().start(spec(db, Map.of()));
            ReplicationStatus retrying = awaitStatus(node, "reconnects", s -> {
                assertThat(s.getState()).as("state while the source is down: %s", s).isNotEqualTo(ReplicationState.FAILED);
                return s.getReconnects() >= 2 && s.getState() == ReplicationState.RETRYING;
            });
            assertThat(retrying.getLastError()).contains("unreachable");
            // the metrics say so too
            assertThat(node.node().meters().get("mpp.replication.state").gauge().value())
                    .isEqualTo(ReplicationState.RETRYING.getNumber());
            assertThat(node.node().meters().get("mpp.replication.reconnects").functionCounter().count()).isGreaterThanOrEqualTo(2);
            assertTheNodeServes();
        } finally {
            maria.restart();
        }
        awaitCaughtUp(node, maria);
        awaitStatus(node, "streaming", status -> status.getState() == ReplicationState.STREAMING);
        assertThat(nodeRows(db + ".t")).containsExactly("1|one", "2|two");
    }

    @Test
    void aSourceThatGoesAwayIsRetriedAndReplicationResumes() throws Exception {
        createTable();
        startAndCatchUp(db);
        maria.stop();
        try {
            ReplicationStatus retrying = awaitStatus(node, "a reconnect", s -> {
                assertThat(s.getState()).as("state while the source is down: %s", s).isNotEqualTo(ReplicationState.FAILED);
                return s.getReconnects() >= 2 && s.getState() == ReplicationState.RETRYING;
            });
            assertThat(retrying.getLastError()).containsAnyOf("unreachable", "went away");
            assertTheNodeServes();
        } finally {
            maria.restart();
        }
        maria.execute("INSERT INTO " + db + ".t VALUES (9, 'back')");
        ReplicationStatus status = awaitCaughtUp(node, maria);
        assertThat(status.getState()).isEqualTo(ReplicationState.STREAMING);
        assertThat(nodeRows(db + ".t")).containsExactly("1|one", "2|two", "9|back");
    }

    // ----- helpers -----

    /** {@code db.t (id INT PRIMARY KEY, v VARCHAR(10))} with rows 1 and 2. */
    private void createTable() {
        maria.execute("CREATE DATABASE " + db, "CREATE TABLE " + db + ".t (id INT PRIMARY KEY, v VARCHAR(10))",
                "INSERT INTO " + db + ".t VALUES (1, 'one'), (2, 'two')");
    }

    private ReplicationSpec spec(String tables, Map<String, String> more) {
        return ReplicationManager.spec(TestingReplication.specValues(maria, tables, more));
    }

    private void startAndCatchUp(String tables) {
        node.node().replication().start(spec(tables, Map.of()));
        awaitCaughtUp(node, maria);
        // (the applied position is the snapshot's a moment before the state turns STREAMING)
        awaitStatus(node, "streaming", status -> status.getState() == ReplicationState.STREAMING);
    }

    /**
     * Flushes the binlog and purges every file before the new one, waiting until {@code file} is
     * gone: MariaDB keeps a file until InnoDB's binlog checkpoint has moved past it (a warning,
     * not an error), which happens a moment after the flush.
     */
    private void purgeAway(String file) throws Exception {
        maria.flushLogs();
        String newest = maria.masterStatus().file();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> warnings = new ArrayList<>();
        while (maria.binlogFiles().contains(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " not purged after 20 s: " + maria.binlogFiles() + "; warnings: " + warnings);
            }
            try (Connection connection = maria.connect(); Statement statement = connection.createStatement()) {
                statement.execute("PURGE BINARY LOGS TO '" + newest + "'");
                warnings.clear();
                try (var result = statement.executeQuery("SHOW WARNINGS")) {
                    while (result.next()) {
                        warnings.add(result.getString("Message"));
                    }
                }
            }
            if (maria.binlogFiles().contains(file)) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    private ReplicationStatus startAndAwaitFailure(ReplicationSpec spec) {
        node.node().replication().start(spec);
        return awaitFailure();
    }

    /** Waits for FAILED; a retry on the way fails the test at once (the mistake is not one a retry mends). */
    private ReplicationStatus awaitFailure() {
        ReplicationStatus failed = awaitStatus(node, "replication to fail", status -> {
            assertThat(status.getReconnects()).as("retried instead of failing: %s", status.getLastError()).isZero();
            return status.getState() == ReplicationState.FAILED;
        });
        assertThat(failed.getReconnects()).isZero();
        assertThat(failed.getLastError()).isNotBlank();
        assertThat(node.node().replication().finished()).succeedsWithin(java.time.Duration.ofSeconds(10))
                .isEqualTo(ReplicationState.FAILED);
        assertThat(node.node().meters().get("mpp.replication.state").gauge().value()).isEqualTo(ReplicationState.FAILED.getNumber());
        assertThat(node.node().meters().get("mpp.replication.reconnects").functionCounter().count()).isZero();
        return failed;
    }

    private void assertNothingReplicatedAndTheNodeServes() {
        assertThat(node.node().catalog().tables()).extracting(t -> t.name()).containsExactly(SampleTables.SAMPLE_ORDERS);
        assertTheNodeServes();
    }

    /** A query on a table replication has no part in answers, at a new ts. */
    private void assertTheNodeServes() {
        TableInfo sample = table(node, SampleTables.SAMPLE_ORDERS);
        assertThat(TestingReplication.rows(node, List.of(node.address()), sample)).as("sample_orders rows").isNotEmpty();
    }

    /** The node's rows of {@code qualified} (id|v), read at the replica's resolved ts, sorted by id. */
    private List<String> nodeRows(String qualified) {
        List<String> rows = new ArrayList<>();
        for (List<Object> row : TestingReplication.rows(node, List.of(node.address()), table(node, qualified),
                node.node().binlog().replica().resolvedTs())) {
            rows.add(row.get(0) + "|" + row.get(1));
        }
        rows.sort(java.util.Comparator.comparingInt(row -> Integer.parseInt(row.substring(0, row.indexOf('|')))));
        return rows;
    }
}
