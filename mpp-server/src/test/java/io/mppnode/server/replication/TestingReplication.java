package io.mppnode.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.Tso;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.tpch.TestingTpch;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** Replication in tests: specs, waiting for catch-up, and comparing a replicated table with the source. */
final class TestingReplication {
    static final String USER = "replica";
    static final String PASSWORD = "replica-pw";

    private TestingReplication() {}

    /** replicate-* values for {@code maria} and {@code tables}; {@code more} overrides. */
    static ReplicationSpec spec(TestingMariaDb maria, String tables, Map<String, String> more) {
        return ReplicationManager.spec(specValues(maria, tables, more));
    }

    /** The replicate-* values of {@link #spec}, for a test to change before it parses them. */
    static Map<String, String> specValues(TestingMariaDb maria, String tables, Map<String, String> more) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("replicate-source", maria.host() + ":" + maria.port());
        values.put("replicate-user", USER);
        values.put("replicate-password", PASSWORD);
        values.put("replicate-tables", tables);
        values.put("replicate-heartbeat", "200ms");
        values.put("replicate-max-backoff", "500ms");
        values.putAll(more);
        return values;
    }

    /** Waits (bounded) until {@code condition} holds of the node's replication status. */
    static ReplicationStatus awaitStatus(TestingNode node, String what, java.util.function.Predicate<ReplicationStatus> condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        ReplicationStatus status = node.node().replication().status();
        while (!condition.test(status)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 60 s waiting for " + what + "; status: " + status);
            }
            LockSupport.parkNanos(5_000_000);
            status = node.node().replication().status();
        }
        return status;
    }

    /** Waits until the node applied everything the source's binlog has now. */
    static ReplicationStatus awaitCaughtUp(TestingNode node, TestingMariaDb maria) {
        TestingMariaDb.BinlogPosition end = maria.masterStatus();
        return awaitStatus(node, "replication to reach " + end, status -> {
            if (status.getState() == ReplicationState.FAILED) {
                throw new AssertionError("replication failed: " + status.getLastError());
            }
            return !status.getApplied().getFile().isEmpty()
                    && (SourcePositions.fileIndex(status.getApplied().getFile()) > SourcePositions.fileIndex(end.file())
                            || status.getApplied().getFile().equals(end.file()) && status.getApplied().getPosition() >= end.position());
        });
    }

    /** The node's table replicated from {@code db.table}. */
    static TableInfo table(TestingNode node, String qualified) {
        return node.node().catalog().table(qualified).map(Table::info)
                .orElseThrow(() -> new AssertionError("no table " + qualified + " on " + node.address()));
    }

    /** Every row of the node table, read by a query at a new ts (so it waits for the replica to resolve it). */
    static List<List<Object>> rows(TestingNode node, List<String> nodes, TableInfo table) {
        return rows(node, nodes, table, new Tso().next());
    }

    /** Every row of the node table at {@code startTs}. */
    static List<List<Object>> rows(TestingNode node, List<String> nodes, TableInfo table, long startTs) {
        return rows(node, nodes, table, startTs, Duration.ofSeconds(30));
    }

    /** Every row of the node table at {@code startTs}, the query bounded by {@code timeout}. */
    static List<List<Object>> rows(TestingNode node, List<String> nodes, TableInfo table, long startTs, Duration timeout) {
        Plan plan = Plan.newBuilder().setRoot(Executor.newBuilder().setExecutorId("exchange_sender_1")
                        .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                        .addChildren(Executor.newBuilder().setExecutorId("table_scan_0")
                                .setTableScan(TableScan.newBuilder().setTableId(table.id())
                                        .addAllColumns(table.columns().stream().map(ColumnSchema::name).toList()))))
                .build();
        try (BufferAllocator results = new RootAllocator()) {
            return node.node().newCoordinator(results)
                    .execute(QuerySpec.of(plan, nodes).withStartTs(startTs).withTimeout(timeout)).rows();
        }
    }

    /** The source's rows of {@code db.table} (the node table's columns). */
    static List<List<Object>> sourceRows(TestingMariaDb maria, String qualified, TableInfo table) throws SQLException {
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < table.columns().size(); i++) {
            select.append(i == 0 ? "" : ", ").append('`').append(table.columns().get(i).name()).append('`');
        }
        String[] name = qualified.split("\\.", 2);
        select.append(" FROM `").append(name[0]).append("`.`").append(name[1]).append('`');
        List<List<Object>> rows = new ArrayList<>();
        try (Connection connection = maria.connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(select.toString())) {
            while (result.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= table.columns().size(); i++) {
                    row.add(result.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** Fails unless the node's table holds exactly the source's rows (as multisets). */
    static void assertSameAsSource(TestingNode node, List<String> nodes, TestingMariaDb maria, String qualified) throws SQLException {
        TableInfo table = table(node, qualified);
        List<List<Object>> expected = sourceRows(maria, qualified, table);
        List<List<Object>> actual = rows(node, nodes, table);
        assertThat(actual).as("rows of %s", qualified).hasSize(expected.size());
        TestingTpch.assertSameRows(qualified, actual, expected, null);
    }
}
