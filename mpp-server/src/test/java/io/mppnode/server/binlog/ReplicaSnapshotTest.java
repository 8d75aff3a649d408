package io.mppnode.server.binlog;

import static io.mppnode.server.binlog.TestingPump.account;
import static io.mppnode.server.binlog.TestingPump.delete;
import static io.mppnode.server.binlog.TestingPump.insert;
import static io.mppnode.server.binlog.TestingPump.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.server.TestingNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What queries see of binlog-fed data at their start_ts, on a real node. */
class ReplicaSnapshotTest {
    private TestingNode node;
    private TestingPump pump;

    @BeforeEach
    void setUp() {
        node = TestingNode.start(Map.of("sample-tables", "false"));
        pump = new TestingPump(node.channel());
    }

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
    }

    private static List<Object> row(long id, String owner, String balance) {
        List<Object> row = new ArrayList<>();
        row.add(id);
        row.add(owner);
        row.add(new BigDecimal(balance));
        return row;
    }

    @Test
    void eachSnapshotSeesTheVersionsCommittedAtOrBeforeIt() {
        long created = pump.createAccounts();
        long c1 = pump.commit(insert(account(1, "ann", "10.00")), insert(account(2, "bob", "20.00")), insert(account(3, "cy", "30.00")));
        long c2 = pump.commit(update(account(2, "bob", "20.00"), account(2, "bob", "25.00")));
        long c3 = pump.commit(delete(3));
        // The handle changes: 1 goes away, 10 appears; then 10 is written twice in one transaction.
        long c4 = pump.commit(update(account(1, "ann", "10.00"), account(10, "ann", "11.00")), update(account(10, "ann", "11.00"),
                account(10, "ann", "12.00")));
        long c5 = pump.commit(insert(account(3, "cy again", "3.00")), delete(2));

        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, created)).isEmpty();
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c1 - 1)).isEmpty();
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c1))
                .containsExactly(row(1, "ann", "10.00"), row(2, "bob", "20.00"), row(3, "cy", "30.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c2))
                .containsExactly(row(1, "ann", "10.00"), row(2, "bob", "25.00"), row(3, "cy", "30.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c3 - 1))
                .containsExactly(row(1, "ann", "10.00"), row(2, "bob", "25.00"), row(3, "cy", "30.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c3)).containsExactly(row(1, "ann", "10.00"), row(2, "bob", "25.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c4)).containsExactly(row(2, "bob", "25.00"), row(10, "ann", "12.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c5)).containsExactly(row(3, "cy again", "3.00"), row(10, "ann", "12.00"));
    }

    @Test
    void aPrewriteIsInvisibleUntilItsCommitAndARollbackLeavesNothing() {
        pump.createAccounts();
        long c1 = pump.commit(insert(account(1, "ann", "10.00")));
        long startTs = pump.tso.next();
        pump.ok(BinlogEvents.prewrite(startTs, List.of(mutation(insert(account(2, "pending", "1.00"))))));
        assertThat(node.node().binlog().replica().resolvedTs()).as("held below the waiting prewrite").isLessThan(startTs);
        long resolved = node.node().binlog().replica().resolvedTs();
        assertThat(resolved).isGreaterThanOrEqualTo(c1);
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, resolved)).containsExactly(row(1, "ann", "10.00"));

        long rolledBack = pump.tso.next();
        pump.ok(BinlogEvents.prewrite(rolledBack, List.of(mutation(insert(account(3, "never", "1.00")), delete(1)))));
        pump.ok(BinlogEvents.rollback(rolledBack));
        long commitTs = pump.tso.next();
        pump.ok(BinlogEvents.commit(startTs, commitTs));
        long heartbeat = pump.tso.next();
        pump.ok(BinlogEvents.heartbeat(heartbeat));

        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, commitTs - 1)).containsExactly(row(1, "ann", "10.00"));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, heartbeat)).containsExactly(row(1, "ann", "10.00"), row(2, "pending", "1.00"));
        assertThat(c1).isLessThan(commitTs);
    }

    @Test
    void aReadAheadOfTheReplicaWaitsThenFailsSayingHowFarBehind() {
        pump.createAccounts();
        pump.commit(insert(account(1, "ann", "10.00")));
        long startTs = pump.tso.next();
        pump.ok(BinlogEvents.prewrite(startTs, List.of(mutation(insert(account(2, "pending", "1.00"))))));
        long ahead = pump.tso.next() + (5_000L << 18);

        long before = System.nanoTime();
        assertThatThrownBy(() -> TestingReplica.query(node, TestingPump.ACCOUNTS, ahead, Duration.ofSeconds(3)))
                .isInstanceOf(MppException.class)
                .hasMessageContaining("the binlog replica is behind: start_ts " + ahead)
                .hasMessageContaining("1 prewrites wait for their commit");
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("it waited for the task timeout").isGreaterThan(Duration.ofMillis(900));

        // A read that the replica catches up with mid-wait goes through: the commit and a
        // heartbeat arrive while it waits.
        Thread writer = Thread.ofVirtual().start(() -> {
            waitForWaitingTask();
            pump.ok(BinlogEvents.commit(startTs, pump.tso.next()));
            pump.ok(BinlogEvents.heartbeat(ahead));
        });
        assertThat(TestingReplica.query(node, TestingPump.ACCOUNTS, ahead, Duration.ofSeconds(20)).rows()).hasSize(2);
        // a task leaves the registry just after its last packet was taken, so on its own thread
        io.mppnode.server.Conditions.awaitTrue("the task to leave the registry", () -> node.node().tasks().taskCount() == 0);
        try {
            writer.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Until the query's task is registered (it then waits for the replica). */
    private void waitForWaitingTask() {
        io.mppnode.server.Conditions.awaitTrue("the query's task is registered", () -> node.node().tasks().taskCount() > 0);
    }

    @Test
    void schemaChangesApplyInOrder() {
        pump.createAccounts();
        long c1 = pump.commit(insert(account(1, "ann", "10.00")));
        ColumnSchema note = new ColumnSchema("note", io.mppnode.proto.plan.DataType.newBuilder().setKind(io.mppnode.proto.plan.TypeKind.STRING).build());
        pump.ok(BinlogEvents.addColumn(TestingPump.ACCOUNTS.id(), note, pump.tso.next()));
        TableInfo wider = new TableInfo(TestingPump.ACCOUNTS.id(), "accounts", List.of(TestingPump.ACCOUNTS.columns().get(0),
                TestingPump.ACCOUNTS.columns().get(1), TestingPump.ACCOUNTS.columns().get(2), note));
        var row2 = account(2, "bob", "2.00").toBuilder().addValues(io.mppnode.proto.binlog.Value.newBuilder().setStringValue("new")).build();
        long c2 = pump.commit(insert(row2));
        List<Object> old = row(1, "ann", "10.00");
        old.add(null);
        List<Object> added = row(2, "bob", "2.00");
        added.add("new");
        assertThat(TestingReplica.rows(node, wider, c2)).containsExactly(old, added);
        assertThat(pump.write(BinlogEvents.prewrite(pump.tso.next(), List.of(mutation(insert(account(3, "short", "1.00")))))))
                .contains("has 3 values; the table has 4 columns");

        long dropped = pump.tso.next();
        pump.ok(BinlogEvents.dropTable(TestingPump.ACCOUNTS.id(), dropped));
        assertThatThrownBy(() -> TestingReplica.query(node, TestingPump.ACCOUNTS, dropped, Duration.ofSeconds(10)))
                .hasMessageContaining("holds table id 501");
        assertThat(c1).isLessThan(c2);
        assertThat(node.node().catalog().tables()).isEmpty();
    }

    @Test
    void aRestartedNodeRebuildsTheReplicaFromItsBinlog() {
        pump.createAccounts();
        pump.commit(insert(account(1, "ann", "10.00")), insert(account(2, "bob", "20.00")));
        long c2 = pump.commit(update(account(2, "bob", "20.00"), account(2, "bob", "21.00")), delete(1));
        long waiting = pump.tso.next();
        pump.ok(BinlogEvents.prewrite(waiting, List.of(mutation(insert(account(7, "after restart", "7.00"))))));
        List<List<Object>> before = TestingReplica.rows(node, TestingPump.ACCOUNTS, c2);

        node = TestingNode.restart(node);
        pump = new TestingPump(node.channel());
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, c2)).isEqualTo(before).containsExactly(row(2, "bob", "21.00"));
        // The prewrite written before the restart still waits for its commit, and takes it.
        long commitTs = pump.tso.next();
        pump.ok(BinlogEvents.commit(waiting, commitTs));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, commitTs)).containsExactly(row(2, "bob", "21.00"), row(7, "after restart", "7.00"));
    }

    private static TableMutation mutation(io.mppnode.proto.binlog.RowChange... changes) {
        return TableMutation.newBuilder().setTableId(TestingPump.ACCOUNTS.id()).addAllChanges(List.of(changes)).build();
    }

    static {
        ColumnTypes.decimal(12, 2);
    }
}
