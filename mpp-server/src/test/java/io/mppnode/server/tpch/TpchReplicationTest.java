package io.mppnode.server.tpch;

import static io.mppnode.server.tpch.Exprs.noGroup;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.Tso;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.replication.TestingMariaDb;
import io.mppnode.server.replication.TestingReplicationAccess;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TPC-H (scale factor 0.01) loaded into a real MariaDB, replicated into three nodes, and the 22
 * distributed TPC-H plans run on them against the answers MariaDB itself gives
 * ({@link TpchMariaDb}).
 *
 * <p>Both ways into the nodes carry part of the data: nation, region, part, supplier, partsupp,
 * customer and the first half of orders and lineitem (generator part 1 of 2) are in MariaDB
 * before replication starts and arrive through the initial snapshot; the second half of orders
 * and lineitem arrives through the binlog stream, as transactions each inserting some orders
 * with their lines. Around them the stream also carries updates of every customer (undone by
 * the next transaction), lines inserted, moved to another key and deleted, and a rolled-back
 * transaction, none of which changes what the queries see. The nodes' tables are the
 * replicated {@code tpch.*} tables under the TPC-H table ids (replicate-table-ids), which is all
 * {@link TpchQueries#plan} needs: its scans name table ids and column names, never table names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TpchReplicationTest {
    private static final double SCALE_FACTOR = 0.01;
    private static final int NODES = 3;
    private static final int ORDERS_PER_TRANSACTION = 500;
    private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(2);
    private static final String TABLE_IDS = IntStream.range(0, TpchTable.values().length)
            .mapToObj(i -> TpchMariaDb.DATABASE + "." + TpchTable.values()[i].tableName() + "=" + TpchTable.values()[i].id())
            .collect(Collectors.joining(","));

    private TestingMariaDb maria;
    private final List<TestingNode> nodes = new ArrayList<>();
    private List<String> addresses;
    private Connection mariaConnection;
    private BufferAllocator results;
    /** Rows each table holds in MariaDB at the end. */
    private final Map<TpchTable, Long> sourceRows = new EnumMap<>(TpchTable.class);

    @BeforeAll
    void setUp() throws SQLException {
        maria = TestingMariaDb.start();
        TestingReplicationAccess.createReplicationUser(maria);
        for (int i = 0; i < NODES; i++) {
            nodes.add(TestingNode.start(Map.of("sample-tables", "false")));
        }
        addresses = nodes.stream().map(TestingNode::address).toList();
        results = new RootAllocator();

        // Before replication starts: everything but the second half of orders and lineitem (the snapshot's part).
        maria.execute(TpchMariaDb.createStatements().toArray(String[]::new));
        mariaConnection = maria.connect(TpchMariaDb.DATABASE);
        long snapshotRows = 0;
        for (TpchTable table : TpchTable.values()) {
            boolean halved = table == TpchTable.ORDERS || table == TpchTable.LINEITEM;
            snapshotRows += TpchMariaDb.load(mariaConnection, table, SCALE_FACTOR, 1, halved ? 2 : 1);
        }

        TestingNode first = nodes.getFirst();
        first.node().replication().start(TestingReplicationAccess.spec(maria, TpchMariaDb.DATABASE,
                Map.of("replicate-nodes", String.join(",", addresses), "replicate-table-ids", TABLE_IDS)));
        ReplicationStatus afterSnapshot = TestingReplicationAccess.awaitCaughtUp(first, maria);
        assertThat(afterSnapshot.getRowsApplied()).as("rows copied by the snapshot").isEqualTo(snapshotRows);

        // After the start: the second half of orders and lineitem, and changes that cancel out, through the binlog.
        long streamedRows = streamSecondHalf() + changesThatCancelOut();
        ReplicationStatus caughtUp = TestingReplicationAccess.awaitCaughtUp(first, maria);
        assertThat(caughtUp.getState()).isEqualTo(ReplicationState.STREAMING);
        assertThat(caughtUp.getLastError()).isEmpty();
        assertThat(caughtUp.getRowsApplied() - afterSnapshot.getRowsApplied()).as("row changes that came through the binlog")
                .isEqualTo(streamedRows);

        for (TpchTable table : TpchTable.values()) {
            try (Statement statement = mariaConnection.createStatement();
                    ResultSet count = statement.executeQuery("SELECT count(*) FROM " + table.tableName())) {
                count.next();
                sourceRows.put(table, count.getLong(1));
            }
        }
    }

    /**
     * Inserts generator part 2 of 2 of orders and lineitem: one transaction per
     * {@value #ORDERS_PER_TRANSACTION} orders with all their lines. Returns the rows inserted.
     */
    private long streamSecondHalf() throws SQLException {
        List<List<String>> orders = TpchMariaDb.rows(TpchTable.ORDERS, SCALE_FACTOR, 2, 2);
        List<List<String>> lines = TpchMariaDb.rows(TpchTable.LINEITEM, SCALE_FACTOR, 2, 2);
        mariaConnection.setAutoCommit(false);
        try (Statement statement = mariaConnection.createStatement()) {
            int line = 0;
            for (int from = 0; from < orders.size(); from += ORDERS_PER_TRANSACTION) {
                List<List<String>> someOrders = orders.subList(from, Math.min(orders.size(), from + ORDERS_PER_TRANSACTION));
                long lastOrderKey = Long.parseLong(someOrders.getLast().getFirst());
                int firstLine = line;
                while (line < lines.size() && Long.parseLong(lines.get(line).getFirst()) <= lastOrderKey) {
                    line++;
                }
                for (String insert : TpchMariaDb.inserts(TpchTable.ORDERS, someOrders)) {
                    statement.execute(insert);
                }
                for (String insert : TpchMariaDb.inserts(TpchTable.LINEITEM, lines.subList(firstLine, line))) {
                    statement.execute(insert);
                }
                mariaConnection.commit();
            }
            assertThat(line).as("every line belongs to an order of the second half").isEqualTo(lines.size());
        } finally {
            mariaConnection.setAutoCommit(true);
        }
        return orders.size() + lines.size();
    }

    /**
     * Updates, inserts and deletes whose net effect is nothing: every customer's balance up by
     * 1000 and down again (two transactions, rows on every node), the lines of order 1 copied
     * under a new order key, one of them moved to another key (its handle, so likely its node,
     * changes), then all deleted, and a transaction rolled back. Returns the row changes the binlog carries.
     */
    private long changesThatCancelOut() throws SQLException {
        long changes = 0;
        try (Statement statement = mariaConnection.createStatement()) {
            changes += statement.executeUpdate("UPDATE customer SET c_acctbal = c_acctbal + 1000.00");
            changes += statement.executeUpdate("UPDATE customer SET c_acctbal = c_acctbal - 1000.00");
            String columns = TpchTable.LINEITEM.columns().stream().skip(4).map(c -> c.name()).collect(Collectors.joining(", "));
            changes += statement.executeUpdate("INSERT INTO lineitem SELECT 90000001, l_partkey, l_suppkey, l_linenumber, " + columns
                    + " FROM lineitem WHERE l_orderkey = 1");
            changes += statement.executeUpdate("UPDATE lineitem SET l_orderkey = 90000002 WHERE l_orderkey = 90000001 AND l_linenumber = 1");
            mariaConnection.setAutoCommit(false);
            statement.executeUpdate("DELETE FROM lineitem WHERE l_orderkey < 100");
            statement.executeUpdate("UPDATE orders SET o_totalprice = 0");
            mariaConnection.rollback();
            mariaConnection.setAutoCommit(true);
            changes += statement.executeUpdate("DELETE FROM lineitem WHERE l_orderkey >= 90000000");
        } finally {
            mariaConnection.setAutoCommit(true);
        }
        return changes;
    }

    @AfterAll
    void tearDown() throws SQLException {
        // Closed in reverse: the nodes (and with the first, replication), the results, the connection, then MariaDB.
        try (TestingMariaDb closingMaria = maria; Connection closingConnection = mariaConnection; BufferAllocator closingResults = results) {
            nodes.forEach(TestingNode::close);
            if (results != null) {
                assertThat(results.getAllocatedMemory()).as("result memory not released").isZero();
            }
        }
    }

    @Test
    void everyNodeHoldsPartOfEveryLargeTable() {
        for (TpchTable table : TpchTable.values()) {
            long total = 0;
            List<Long> perNode = new ArrayList<>();
            for (String address : addresses) {
                long rows = count(table, List.of(address));
                perNode.add(rows);
                total += rows;
            }
            assertThat(total).as("rows of %s over the nodes %s", table.tableName(), perNode).isEqualTo(sourceRows.get(table));
            assertThat(count(table, addresses)).as("rows of %s read from the cluster", table.tableName()).isEqualTo(sourceRows.get(table));
            if (sourceRows.get(table) >= 100) {
                assertThat(perNode).as("rows of %s per node", table.tableName()).allSatisfy(rows -> assertThat(rows).isPositive());
            }
        }
        for (TestingNode node : nodes) {
            var lineitem = node.node().catalog().table(TpchTable.LINEITEM.id());
            assertThat(lineitem.name()).isEqualTo("tpch.lineitem");
            assertThat(lineitem.regions()).as("lineitem regions on %s", node.address()).hasSize(2);
            assertThat(lineitem.storedRows()).as("lineitem rows stored on %s", node.address()).isPositive();
        }
    }

    /** count(*) of a table over the regions {@code onNodes} hold. */
    private long count(TpchTable table, List<String> onNodes) {
        PlanBuilder p = new PlanBuilder();
        Agg rows = Agg.count("row_count");
        Plan plan = p.plan(p.scan(table, table.columns().getFirst().name())
                .partialAgg(noGroup(), rows)
                .gather()
                .finalAgg(noGroup(), rows));
        QueryResult result = nodes.getFirst().node().newCoordinator(results)
                .execute(QuerySpec.of(plan, onNodes).withStartTs(new Tso().next()).withTimeout(QUERY_TIMEOUT));
        return ((Number) result.rows().getFirst().getFirst()).longValue();
    }

    static IntStream queries() {
        return IntStream.rangeClosed(1, TpchQueries.COUNT);
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void agreesWithMariaDb(int query) throws SQLException {
        QueryResult result = nodes.getFirst().node().newCoordinator(results)
                .execute(QuerySpec.of(TpchQueries.plan(query), addresses).withReportExecutionSummary(true)
                        .withTimeout(QUERY_TIMEOUT).withStartTs(new Tso().next()));
        TestingTpch.Expected expected = TpchMariaDb.expected(mariaConnection, query);
        assertThat(expected.rows()).as("Q%d has rows to compare", query).isNotEmpty();
        TestingTpch.assertSameResult(query, result, expected);
        assertThat(result.summaries().size()).as("Q%d ran as tasks on every node", query).isGreaterThanOrEqualTo(NODES);
    }
}
