package io.mppnode.server.replication;

import static io.mppnode.server.replication.TestingReplication.assertSameAsSource;
import static io.mppnode.server.replication.TestingReplication.awaitCaughtUp;
import static io.mppnode.server.replication.TestingReplication.awaitStatus;
import static io.mppnode.server.replication.TestingReplication.rows;
import static io.mppnode.server.replication.TestingReplication.sourceRows;
import static io.mppnode.server.replication.TestingReplication.spec;
import static io.mppnode.server.replication.TestingReplication.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.replication.TestingMariaDb.BinlogPosition;
import io.mppnode.server.tpch.TestingTpch;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Where replication starts when the node holds no position yet (replicate-start): a binlog file
 * and position, position 4 of the oldest file, a GTID set, "now"; non-blocking mode, which
 * catches up to the end of the binlog and stops; and heartbeats, counted or skipped. Each test
 * has its own database on one MariaDB; a table is created on the node, empty, from the source's
 * schema at the start, and holds what the binlog brings from the start point on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationStartPointTest {
    private TestingMariaDb maria;
    private TestingNode node;

    @BeforeAll
    void startSource() {
        maria = TestingMariaDb.start();
        maria.createReplicationUser(TestingReplication.USER, TestingReplication.PASSWORD);
    }

    @AfterAll
    void stopSource() {
        maria.close();
    }

    @AfterEach
    void stopNode() {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    private TestingNode startNode() {
        node = TestingNode.start(Map.of("sample-tables", "false"));
        return node;
    }

    /** Creates {@code db} and its table {@code t}. */
    private void createTable(String db) {
        maria.execute("CREATE DATABASE " + db, "CREATE TABLE " + db + ".t (id INT PRIMARY KEY, v VARCHAR(20), n BIGINT)");
    }

    /** Inserts ids {@code from} to {@code to} into {@code db.t}, in transactions of up to 4 rows. */
    private void insert(String db, int from, int to) {
        List<String> statements = new ArrayList<>();
        for (int id = from; id <= to; id += 4) {
            StringBuilder sql = new StringBuilder("INSERT INTO " + db + ".t VALUES ");
            for (int row = id; row <= Math.min(to, id + 3); row++) {
                sql.append(row == id ? "" : ", ").append("(").append(row).append(", 'row ").append(row).append("', ").append(row * 1000L).append(")");
            }
            statements.add(sql.toString());
        }
        maria.execute("", statements);
    }

    /** Fails unless the node's {@code db.t} holds exactly the source's rows with an id above {@code aboveId}. */
    private void assertHoldsSourceRowsAbove(String db, int aboveId) throws SQLException {
        TableInfo table = table(node, db + ".t");
        List<List<Object>> expected = sourceRows(maria, db + ".t", table).stream().filter(row -> ((Number) row.getFirst()).intValue() > aboveId)
                .toList();
        assertThat(expected).as("source rows above id %d", aboveId).isNotEmpty();
        TestingTpch.assertSameRows(db + ".t above id " + aboveId, rows(node, List.of(node.address()), table), expected, null);
    }

    @Test
    void startsAtAFileAndPosition() throws Exception {
        String db = "start_file";
        createTable(db);
        insert(db, 1, 10); // rows A
        BinlogPosition at = maria.masterStatus();
        insert(db, 11, 20); // rows B
        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", at.file() + ":" + at.position())));
        awaitCaughtUp(node, maria);
        assertHoldsSourceRowsAbove(db, 10);

        maria.execute("INSERT INTO " + db + ".t VALUES (21, 'later', 1), (22, 'later', 2)", "UPDATE " + db + ".t SET v = 'changed' WHERE id = 15",
                "DELETE FROM " + db + ".t WHERE id = 12");
        ReplicationStatus after = awaitCaughtUp(node, maria);
        assertHoldsSourceRowsAbove(db, 10);
        assertThat(rows(node, List.of(node.address()), table(node, db + ".t"))).hasSize(11);
        assertThat(after.getApplied().getFile()).isEqualTo(maria.masterStatus().file());
        assertThat(after.getApplied().getPosition()).isEqualTo(maria.masterStatus().position());
    }

    @Test
    void startsAtPositionFourOfTheOldestFile() throws Exception {
        String db = "start_oldest";
        createTable(db);
        insert(db, 1, 10);
        maria.flushLogs();
        insert(db, 11, 20);
        maria.execute("UPDATE " + db + ".t SET n = -n WHERE id <= 5");
        maria.flushLogs();
        insert(db, 21, 30);
        maria.execute("DELETE FROM " + db + ".t WHERE id IN (3, 13, 23)");
        List<String> files = maria.binlogFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);

        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", ":4")));
        ReplicationStatus caughtUp = awaitCaughtUp(node, maria);
        assertSameAsSource(node, List.of(node.address()), maria, db + ".t");
        assertThat(rows(node, List.of(node.address()), table(node, db + ".t"))).as("every row since the oldest file").hasSize(27);
        assertThat(caughtUp.getApplied().getFile()).isEqualTo(files.getLast());
    }

    @Test
    void startsAtAGtidSet() throws Exception {
        String db = "start_gtid";
        createTable(db);
        insert(db, 1, 10); // rows A
        String gtid = maria.gtidBinlogPos();
        assertThat(gtid).isNotEmpty();
        insert(db, 11, 20); // rows B
        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", "gtid:" + gtid)));
        ReplicationStatus caughtUp = awaitCaughtUp(node, maria);
        assertHoldsSourceRowsAbove(db, 10);
        String afterB = maria.gtidBinlogPos();
        assertThat(caughtUp.getApplied().getGtidSet()).as("the applied GTID set").isEqualTo(afterB).isNotEqualTo(gtid);

        maria.execute("INSERT INTO " + db + ".t VALUES (21, 'later', 1)", "DELETE FROM " + db + ".t WHERE id = 11");
        ReplicationStatus later = awaitCaughtUp(node, maria);
        assertHoldsSourceRowsAbove(db, 10);
        assertThat(later.getApplied().getGtidSet()).as("the applied GTID set advances").isEqualTo(maria.gtidBinlogPos()).isNotEqualTo(afterB);
    }

    @Test
    void startsNow() throws Exception {
        String db = "start_now";
        createTable(db);
        insert(db, 1, 10); // before the start: not replicated
        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", "now")));
        awaitStatus(node, "replication to stream from the end of the binlog",
                status -> status.getState() == ReplicationState.STREAMING && !status.getApplied().getFile().isEmpty());
        assertThat(rows(node, List.of(node.address()), table(node, db + ".t"))).as("rows before the start").isEmpty();

        insert(db, 11, 17);
        maria.execute("UPDATE " + db + ".t SET v = 'changed' WHERE id = 12");
        awaitCaughtUp(node, maria);
        assertHoldsSourceRowsAbove(db, 10);
    }

    @Test
    void nonBlockingModeCatchesUpAndStops() throws Exception {
        String db = "start_nonblocking";
        BinlogPosition beforeTable = maria.masterStatus();
        createTable(db);
        insert(db, 1, 40);
        maria.execute("UPDATE " + db + ".t SET v = 'changed' WHERE id BETWEEN 5 AND 9", "DELETE FROM " + db + ".t WHERE id > 36");
        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", beforeTable.file() + ":" + beforeTable.position(),
                "replicate-mode", "non-blocking")));
        assertThat(node.node().replication().finished().get(60, TimeUnit.SECONDS)).isEqualTo(ReplicationState.CAUGHT_UP);
        ReplicationStatus caughtUp = node.node().replication().status();
        assertThat(caughtUp.getState()).isEqualTo(ReplicationState.CAUGHT_UP);
        assertThat(caughtUp.getApplied().getFile()).isEqualTo(maria.masterStatus().file());
        assertThat(caughtUp.getApplied().getPosition()).isEqualTo(maria.masterStatus().position());
        // nothing moves the replica's resolved ts any more: read there
        TableInfo table = table(node, db + ".t");
        long resolvedTs = node.node().binlog().replica().resolvedTs();
        List<List<Object>> atCatchUp = rows(node, List.of(node.address()), table, resolvedTs);
        TestingTpch.assertSameRows(db + ".t", atCatchUp, sourceRows(maria, db + ".t", table), null);
        assertThat(atCatchUp).hasSize(36);
        SourcePosition held = node.node().replication().replicaState().getSource();

        insert(db, 100, 110); // after it stopped: does not arrive
        assertThat(node.node().replication().finished()).isDone();
        assertThat(node.node().replication().status().getState()).isEqualTo(ReplicationState.CAUGHT_UP);
        assertThat(node.node().replication().replicaState().getSource()).as("the position the node holds").isEqualTo(held);
        assertThat(node.node().binlog().replica().resolvedTs()).isEqualTo(resolvedTs);
        assertThat(rows(node, List.of(node.address()), table, resolvedTs)).hasSize(36);
    }

    @Test
    void heartbeatsAreCountedUnlessSkipped() {
        String db = "heartbeats";
        createTable(db);
        insert(db, 1, 3);
        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", "now", "replicate-heartbeat", "100ms",
                "replicate-skip-heartbeats", "false")));
        ReplicationStatus streaming = awaitStatus(node, "replication to stream", status -> status.getState() == ReplicationState.STREAMING);
        assertThat(streaming.getSpec().getHeartbeatMillis()).isEqualTo(100);
        long counted = streaming.getHeartbeatsReceived();
        awaitStatus(node, "heartbeats while idle", status -> status.getHeartbeatsReceived() >= counted + 5);
        stopNode();

        startNode().node().replication().start(spec(maria, db, Map.of("replicate-start", "now", "replicate-heartbeat", "100ms",
                "replicate-skip-heartbeats", "true")));
        ReplicationStatus skipping = awaitStatus(node, "replication to stream", status -> status.getState() == ReplicationState.STREAMING);
        assertThat(skipping.getSpec().getSkipHeartbeats()).isTrue();
        long events = skipping.getEventsReceived();
        // the source sends its heartbeats all the same (they are events): they are not counted
        ReplicationStatus idle = awaitStatus(node, "heartbeat events while idle", status -> status.getEventsReceived() >= events + 5);
        assertThat(idle.getHeartbeatsReceived()).isZero();
        assertThat(idle.getState()).isEqualTo(ReplicationState.STREAMING);
    }
}
