package io.mppnode.server.binlog;

import static io.mppnode.server.binlog.TestingPump.account;
import static io.mppnode.server.binlog.TestingPump.insert;
import static io.mppnode.server.binlog.TestingPump.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mppnode.exec.storage.Region;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.log.LogPosition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Compaction below the safe point, the replica's checkpoint, and binlog retention on a real
 * node: old versions go, old segments go, and a restart still has every row and every waiting
 * prewrite.
 */
class ReplicaCheckpointTest {
    private TestingNode node;

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void compactsCheckpointsFreesSegmentsAndRestartsFromTheCheckpoint() throws Exception {
        node = TestingNode.start(Map.of("sample-tables", "false", "binlog-segment-size", "4KiB", "binlog-retention-size", "4KiB",
                "gc-life-time", "0s", "compaction-interval", "1h"));
        TestingPump pump = new TestingPump(node.channel());
        pump.createAccounts();
        pump.commit(insert(account(1, "ann", "0.00")), insert(account(2, "bob", "0.00")));
        long firstVersions = pump.commit(update(account(1, "ann", "0.00"), account(1, "ann", "1.00")));
        for (int i = 2; i <= 100; i++) {
            pump.commit(update(account(1, "ann", (i - 1) + ".00"), account(1, "ann", i + ".00")));
        }
        long waiting = pump.tso.next();
        pump.ok(BinlogEvents.prewrite(waiting, List.of(TableMutation.newBuilder().setTableId(TestingPump.ACCOUNTS.id())
                .addChanges(insert(account(3, "cy", "3.00"))).build())));
        long resolved = node.node().binlog().replica().resolvedTs();
        Region region = node.node().catalog().table(TestingPump.ACCOUNTS.id()).regions().getFirst();
        long versionsBefore = region.storedRows();
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, firstVersions)).as("history is readable before compaction")
                .containsExactly(List.of(1L, "ann", new java.math.BigDecimal("1.00")), List.of(2L, "bob", new java.math.BigDecimal("0.00")));

        long safePoint = node.node().replicaMaintenance().compact();
        assertThat(safePoint).isEqualTo(resolved);
        assertThat(region.storedRows()).as("versions below the safe point compacted away").isLessThan(versionsBefore).isEqualTo(2);
        TestingNode first = node;
        assertThatThrownBy(() -> TestingReplica.query(first, TestingPump.ACCOUNTS, firstVersions, Duration.ofSeconds(10)))
                .hasMessageContaining("versions before it were compacted away");
        List<List<Object>> now = TestingReplica.rows(node, TestingPump.ACCOUNTS, resolved);
        assertThat(now).containsExactly(List.of(1L, "ann", new java.math.BigDecimal("100.00")), List.of(2L, "bob", new java.math.BigDecimal("0.00")));

        LogPosition startBefore = node.node().binlog().log().start();
        long freed = node.node().replicaMaintenance().checkpointAndApplyRetention();
        assertThat(freed).as("segments before the checkpoint were freed").isPositive();
        assertThat(node.node().binlog().log().start()).isGreaterThan(startBefore);
        try (TestingPump.Pull pull = pump.pull(Pos.newBuilder().setSuffix(startBefore.suffix()).setOffset(0).build())) {
            Status status = ((StatusRuntimeException) pull.error(Duration.ofSeconds(10))).getStatus();
            assertThat(status.getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
            assertThat(status.getDescription()).contains("retention");
        }

        node = TestingNode.restart(node);
        TestingNode restarted = node;
        pump = new TestingPump(node.channel());
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, resolved)).isEqualTo(now);
        assertThat(node.node().binlog().replica().waitingPrewrites()).as("the prewrite from before the checkpoint still waits").isEqualTo(1);
        long commitTs = pump.tso.next();
        pump.ok(BinlogEvents.commit(waiting, commitTs));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, commitTs)).hasSize(3);
        assertThatThrownBy(() -> TestingReplica.query(restarted, TestingPump.ACCOUNTS, firstVersions, Duration.ofSeconds(10)))
                .hasMessageContaining("compacted away");
    }
}
