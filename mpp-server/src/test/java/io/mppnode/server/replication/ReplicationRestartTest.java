package io.mppnode.server.replication;

import static io.mppnode.server.replication.TestingReplication.assertSameAsSource;
import static io.mppnode.server.replication.TestingReplication.awaitCaughtUp;
import static io.mppnode.server.replication.TestingReplication.awaitStatus;
import static io.mppnode.server.replication.TestingReplication.rows;
import static io.mppnode.server.replication.TestingReplication.spec;
import static io.mppnode.server.replication.TestingReplication.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.log.SegmentedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Restarts in the middle of a replication stream, with a writer busy on MariaDB all along: of
 * the replicating node (resuming from the position it holds, with and without a checkpoint taken
 * before), of MariaDB (a crash and a clean stop: the replica retries, says so in its status and
 * metrics, and carries on), and of a node that takes rows but does not replicate, in a 3-node
 * cluster (kept down until replication reports it, then started again on its data dir and port).
 * Afterwards the nodes hold exactly MariaDB's rows, and every upstream transaction was
 * committed once: the events table has MariaDB's count and values, and the COMMITs in a node's
 * binlog carry strictly increasing source positions, one per upstream transaction.
 *
 * <p>(Row images and handles make re-applying a transaction converge to the same rows, so equal
 * rows alone would not show a transaction applied twice; the binlog's COMMITs do.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationRestartTest {
    private static final Pattern RECONNECTS_METRIC = Pattern.compile("(?m)^mpp_replication_reconnects_total(?:\\{[^}]*})? (\\S+)$");
    private static final int BEFORE_RESTART = 300;
    private static final int AFTER_RESTART = 300;

    private TestingMariaDb maria;
    private final List<TestingNode> nodes = new ArrayList<>();

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
    void stopNodes() {
        try {
            nodes.forEach(TestingNode::close);
            nodes.clear();
        } finally {
            if (!maria.isRunning()) {
                maria.restart(); // a test that failed with the source down leaves it up for the next
            }
        }
    }

    private TestingNode startNode(Map<String, String> more) {
        Map<String, String> properties = new LinkedHashMap<>(Map.of("sample-tables", "false"));
        properties.putAll(more);
        TestingNode node = TestingNode.start(properties);
        nodes.add(node);
        return node;
    }

    private TestingNode restart(TestingNode node) {
        nodes.remove(node);
        TestingNode restarted = TestingNode.restart(node);
        nodes.add(restarted);
        return restarted;
    }

    @Test
    void replicaRestartedMidStreamResumesFromItsPosition() throws Exception {
        String db = "restart_replica";
        SourceWriter.createTables(maria, db);
        TestingNode node = startNode(Map.of());
        node.node().replication().start(spec(maria, db, Map.of()));
        awaitCaughtUp(node, maria);

        try (SourceWriter writer = SourceWriter.start(maria, db, 1)) {
            writer.awaitCommitted(BEFORE_RESTART);
            // restart while the replica is far behind the writer, its queue of source events full
            awaitStatus(node, "the replica to fall far behind the writer", status -> status.getLagEvents() >= 8000 || writer.committed() >= SourceWriter.BURST);
            long beforeRestart = writer.committed();
            node = restart(node);
            assertThat(writer.committed()).as("transactions committed upstream while the node restarted").isGreaterThan(beforeRestart);
            ReplicationStatus resumed = awaitStatus(node, "replication to resume by itself after the restart",
                    status -> status.getState() == ReplicationState.STREAMING && status.getTransactionsApplied() > 0);
            assertThat(resumed.getSpec().getTablesList()).as("the kept spec").containsExactly(db);
            writer.awaitCommitted(writer.committed() + AFTER_RESTART);
            writer.stop();
        }
        awaitCaughtUp(node, maria);
        assertSameAsSource(node, List.of(node.address()), maria, db + ".items");
        assertEveryTransactionOnce(node, db, true);
    }

    @Test
    void replicaRestartedAfterACheckpointResumesFromTheCheckpointAndReplay() throws Exception {
        String db = "restart_checkpoint";
        SourceWriter.createTables(maria, db);
        // small segments, and retention that frees every one below the checkpoint's replay position
        TestingNode node = startNode(Map.of("binlog-segment-size", "16KiB", "binlog-retention-size", "4KiB", "gc-life-time", "0s"));
        node.node().replication().start(spec(maria, db, Map.of()));
        awaitCaughtUp(node, maria);

        try (SourceWriter writer = SourceWriter.start(maria, db, 2)) {
            writer.awaitCommitted(BEFORE_RESTART);
            // the node applied enough for its binlog to span segments: the checkpoint frees the first ones
            SegmentedLog log = node.node().binlog().log();
            LogPosition firstKept = log.start();
            awaitStatus(node, "the node's binlog to span three segments", status -> log.end().suffix() > firstKept.suffix() + 2);
            node.node().replicaMaintenance().compact();
            long freed = node.node().replicaMaintenance().checkpointAndApplyRetention();
            assertThat(freed).as("binlog bytes freed below the checkpoint").isPositive();
            LogPosition keptAfterCheckpoint = node.node().binlog().log().start();
            assertThat(keptAfterCheckpoint).as("the binlog's oldest kept position").isGreaterThan(firstKept);
            // the checkpoint keeps the source position with the data it covers
            Path checkpoints = node.node().config().dataDir().resolve("replica");
            Path checkpoint = checkpoints.resolve(Files.readString(checkpoints.resolve("CURRENT")).strip());
            SourcePosition inCheckpoint = io.mppnode.proto.binlog.ReplicaCheckpoint.parseFrom(Files.readAllBytes(checkpoint.resolve("manifest.pb")))
                    .getSource();
            assertThat(inCheckpoint.getFile()).as("the checkpoint's source position").isNotEmpty();
            assertThat(SourcePositions.ORDER.compare(inCheckpoint, node.node().replication().replicaState().getSource()))
                    .as("the checkpoint's source position is at or before the node's").isLessThanOrEqualTo(0);
            writer.awaitCommitted(writer.committed() + 50); // more to replay after the checkpoint

            long beforeRestart = writer.committed();
            node = restart(node);
            assertThat(writer.committed()).as("transactions committed upstream while the node restarted").isGreaterThan(beforeRestart);
            // the binlog from the start is gone: the rows and the position come from the checkpoint and the replay after it
            assertThat(node.node().binlog().log().start()).isGreaterThanOrEqualTo(keptAfterCheckpoint);
            awaitStatus(node, "replication to resume by itself after the restart",
                    status -> status.getState() == ReplicationState.STREAMING && status.getTransactionsApplied() > 0);
            writer.awaitCommitted(writer.committed() + AFTER_RESTART);
            writer.stop();
        }
        awaitCaughtUp(node, maria);
        assertSameAsSource(node, List.of(node.address()), maria, db + ".items");
        assertEveryTransactionOnce(node, db, false);
    }

    @Test
    void sourceCrashedMidStream() throws Exception {
        sourceDownMidStream("crash_source", true);
    }

    @Test
    void sourceStoppedMidStream() throws Exception {
        sourceDownMidStream("stop_source", false);
    }

    private void sourceDownMidStream(String db, boolean crash) throws Exception {
        SourceWriter.createTables(maria, db);
        TestingNode node = startNode(Map.of());
        node.node().replication().start(spec(maria, db, Map.of()));
        awaitCaughtUp(node, maria);

        try (SourceWriter writer = SourceWriter.start(maria, db, crash ? 3 : 4)) {
            writer.awaitCommitted(BEFORE_RESTART);
            awaitStatus(node, "the replica to fall far behind the writer", status -> status.getLagEvents() >= 8000 || writer.committed() >= SourceWriter.BURST);
            if (crash) {
                maria.kill();
            } else {
                maria.stop();
            }
            ReplicationStatus retrying = awaitStatus(node, "replication to retry an unreachable source",
                    status -> status.getState() == ReplicationState.RETRYING && status.getLastError().contains("unreachable")
                            && status.getReconnects() > 0);
            assertThat(retrying.getLastError()).contains(maria.host() + ":" + maria.port());
            assertThat(node.node().meters().get("mpp.replication.reconnects").functionCounter().count()).isPositive();
            Matcher metric = RECONNECTS_METRIC.matcher(node.node().meters().scrape());
            assertThat(metric.find()).as("mpp_replication_reconnects in the scrape").isTrue();
            assertThat(Double.parseDouble(metric.group(1))).as("mpp_replication_reconnects").isPositive();

            maria.restart();
            long atRestart = writer.committed();
            writer.awaitCommitted(atRestart + AFTER_RESTART);
            writer.stop();
            assertThat(writer.failed()).as("transactions the source's going away broke").isPositive();
        }
        ReplicationStatus after = awaitCaughtUp(node, maria);
        assertThat(after.getState()).isEqualTo(ReplicationState.STREAMING);
        assertSameAsSource(node, List.of(node.address()), maria, db + ".items");
        assertEveryTransactionOnce(node, db, true);
    }

    @Test
    void nonReplicatingNodeRestartedMidStreamInAThreeNodeCluster() throws Exception {
        String db = "restart_cluster";
        SourceWriter.createTables(maria, db);
        List<TestingNode> cluster = new ArrayList<>();
        for (int port : freePorts(3)) {
            // a fixed port: the restarted node must be where the replication spec names it
            cluster.add(startNode(Map.of("listen-address", "127.0.0.1:" + port)));
        }
        List<String> addresses = cluster.stream().map(TestingNode::address).toList();
        TestingNode replicating = cluster.getFirst();
        replicating.node().replication().start(spec(maria, db, Map.of("replicate-nodes", String.join(",", addresses))));
        awaitCaughtUp(replicating, maria);
        assertThat(table(cluster.get(2), db + ".items")).as("the table on a non-replicating node").isNotNull();

        try (SourceWriter writer = SourceWriter.start(maria, db, 5, BEFORE_RESTART)) { // a steady load: three nodes take longer to catch up
            writer.awaitCommitted(BEFORE_RESTART);
            long reconnectsBefore = replicating.node().replication().status().getReconnects();
            TestingNode down = cluster.get(2);
            String downAddress = addresses.get(2);
            Path downDataDir = down.node().config().dataDir();
            down.node().close(); // its data dir stays
            // while it is down, writes to it fail and replication retries, naming it
            ReplicationStatus retrying = awaitStatus(replicating, "replication to retry the node that is down",
                    status -> status.getState() == ReplicationState.RETRYING && status.getReconnects() > reconnectsBefore
                            && status.getLastError().contains(downAddress));
            assertThat(retrying.getLastError()).contains("does not answer");
            long committedWhileDown = writer.committed();
            writer.awaitCommitted(committedWhileDown + 50); // the source moves on meanwhile

            // the same node again: its data dir and port
            TestingNode back = TestingNode.start(Map.of("sample-tables", "false", "listen-address", downAddress, "data-dir",
                    downDataDir.toString()));
            nodes.remove(down);
            nodes.add(back);
            nodes.add(down); // closed after the node that took over its data dir, whose files it then deletes
            cluster.set(2, back);
            assertThat(back.address()).isEqualTo(downAddress);
            long appliedBefore = replicating.node().replication().status().getTransactionsApplied();
            awaitStatus(replicating, "replication to carry on once the node is back",
                    status -> status.getState() == ReplicationState.STREAMING && status.getTransactionsApplied() > appliedBefore);
            writer.awaitCommitted(writer.committed() + AFTER_RESTART);
            writer.stop();
        }
        ReplicationStatus after = awaitCaughtUp(replicating, maria);
        assertThat(after.getState()).isEqualTo(ReplicationState.STREAMING);
        assertSameAsSource(replicating, addresses, maria, db + ".items");
        assertSameAsSource(replicating, addresses, maria, db + ".events");
        long sourceEvents = SourceWriter.sourceCount(maria, db + ".events");
        assertThat(rows(replicating, addresses, table(replicating, db + ".events"))).as("count(*) of %s.events", db).hasSize((int) sourceEvents);
        // each node committed each upstream transaction at most once; together they hold every one
        Set<String> transactions = new HashSet<>();
        for (TestingNode node : cluster) {
            List<SourcePosition> commits = SourceWriter.assertNoTransactionTwice(node);
            assertThat(commits).as("commits on %s", node.address()).isNotEmpty();
            commits.forEach(position -> transactions.add(position.getFile() + ":" + position.getPosition()));
        }
        assertThat(transactions).as("upstream transactions committed on some node").hasSize((int) sourceEvents);
    }

    /**
     * The events table has MariaDB's count and rows, and the node's binlog has one COMMIT per
     * upstream transaction, in upstream order (counted when the node keeps its whole binlog).
     */
    private void assertEveryTransactionOnce(TestingNode node, String db, boolean wholeBinlog) throws SQLException {
        long sourceEvents = SourceWriter.sourceCount(maria, db + ".events");
        assertThat(rows(node, List.of(node.address()), table(node, db + ".events"))).as("count(*) of %s.events", db)
                .hasSize((int) sourceEvents);
        assertSameAsSource(node, List.of(node.address()), maria, db + ".events");
        List<SourcePosition> commits = SourceWriter.assertNoTransactionTwice(node);
        if (wholeBinlog) {
            // every upstream transaction after the snapshot appended one event: one COMMIT each
            assertThat(commits).as("COMMITs carrying a source position").hasSize((int) sourceEvents);
        }
    }

    private static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress("127.0.0.1", 0));
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }
}
