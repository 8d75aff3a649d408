package io.mppnode.server.exec;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.aggregation.Aggregations;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.InMemoryTable;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.AggregateFunction;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.TestingNode;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Aggregation in real nodes: two phases across two nodes (partial, hash exchange on the keys,
 * final) against one phase on one node and against DuckDB; a parallel scan with its
 * summaries; a query over its memory limit.
 */
class AggregationQueryTest {
    private static final long PART_TABLE = 500;
    private static final long WHOLE_TABLE = 501;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("k", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("g", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("v", ColumnTypes.decimal(12, 2)),
            new ColumnSchema("x", ColumnTypes.of(TypeKind.INT64)));
    private static final String[] KEYS = {"东京", "münchen", "a", "", "zz"};

    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void twoPhasesAcrossTwoNodesAgreeWithOnePhaseAndWithDuckDb() throws SQLException {
        List<List<Object>> rows = rows(20_000, 7);
        try (TestingNode a = TestingNode.start(); TestingNode b = TestingNode.start();
                Connection duckdb = DriverManager.getConnection("jdbc:duckdb:")) {
            load(a, PART_TABLE, rows.subList(0, 12_000));
            load(b, PART_TABLE, rows.subList(12_000, rows.size()));
            load(a, WHOLE_TABLE, rows);
            List<AggregateFunction> partials = List.of(aggregate(AggregateKind.COUNT, "n"),
                    aggregate(AggregateKind.SUM, "s", col("v")), aggregate(AggregateKind.AVG, "a", col("v")),
                    aggregate(AggregateKind.MIN, "lo", col("x")), aggregate(AggregateKind.MAX, "hi", col("x")));
            Aggregation partial = aggregation(AggregationMode.PARTIAL, partials);
            List<ColumnSchema> partialColumns = Aggregations.bind("aggregation_1", partial, COLUMNS).columns();
            Executor lower = Executor.newBuilder().setExecutorId("exchange_sender_2")
                    .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.HASH).addPartitionKeys(col("k")).addPartitionKeys(col("g")))
                    .addChildren(Executor.newBuilder().setExecutorId("aggregation_1").setAggregation(partial).addChildren(scan(PART_TABLE)))
                    .build();
            Aggregation fin = aggregation(AggregationMode.FINAL, List.of(aggregate(AggregateKind.COUNT, "n", col("n")),
                    aggregate(AggregateKind.SUM, "s", col("s")), aggregate(AggregateKind.AVG, "a", col("a_sum"), col("a_count")),
                    aggregate(AggregateKind.MIN, "lo", col("lo")), aggregate(AggregateKind.MAX, "hi", col("hi"))));
            ExchangeReceiver.Builder receiver = ExchangeReceiver.newBuilder();
            partialColumns.forEach(column -> receiver.addSchema(Field.newBuilder().setName(column.name()).setType(column.type())));
            Executor upper = sender("exchange_sender_5", Executor.newBuilder().setExecutorId("aggregation_4").setAggregation(fin)
                    .addChildren(Executor.newBuilder().setExecutorId("exchange_receiver_3").setExchangeReceiver(receiver)).build());
            Fragment lowerFragment = Fragment.of(lower, List.of(a.address(), b.address()));
            QueryResult twoPhase = a.node().newCoordinator(allocator).execute(QuerySpec.of(
                    new Fragment(upper, List.of(a.address(), b.address()), List.of(lowerFragment))).withConcurrency(2));

            Executor single = sender("exchange_sender_2", Executor.newBuilder().setExecutorId("aggregation_1")
                    .setAggregation(aggregation(AggregationMode.COMPLETE, partials)).addChildren(scan(WHOLE_TABLE)).build());
            QueryResult onePhase = a.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(single, List.of(a.address()))));

            loadDuckDb(duckdb, rows);
            List<List<Object>> expected = duckDb(duckdb, "SELECT k, g, count(*), sum(v), sum(v), count(v), min(x), max(x) FROM t GROUP BY k, g");
            List<List<Object>> theirs = new ArrayList<>();
            for (List<Object> row : expected) {
                BigDecimal average = row.get(4) == null ? null
                        : ((BigDecimal) row.get(4)).divide(new BigDecimal(row.get(5).toString()), 6, java.math.RoundingMode.HALF_UP);
                theirs.add(java.util.Arrays.asList(row.get(0), row.get(1), row.get(2), row.get(3), average, row.get(6), row.get(7)));
            }
            assertThat(normalize(twoPhase.rows())).isEqualTo(normalize(onePhase.rows())).isEqualTo(normalize(theirs))
                    .hasSizeGreaterThan(20);
            awaitTrue("tasks ended", () -> a.node().tasks().taskCount() == 0 && b.node().tasks().taskCount() == 0);
        }
    }

    @Test
    void aParallelScanFeedsOneAggregationAndTheSummariesSayHow() {
        List<List<Object>> rows = rows(30_000, 9);
        try (TestingNode node = TestingNode.start()) {
            load(node, WHOLE_TABLE, rows);
            Executor plan = sender("exchange_sender_2", Executor.newBuilder().setExecutorId("aggregation_1")
                    .setAggregation(aggregation(AggregationMode.COMPLETE, List.of(aggregate(AggregateKind.COUNT, "n"),
                            aggregate(AggregateKind.SUM, "s", col("x")))))
                    .addChildren(scan(WHOLE_TABLE)).build());
            QueryResult result = node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(plan, List.of(node.address())))
                    .withConcurrency(3));
            long total = result.rows().stream().mapToLong(row -> (Long) row.get(2)).sum();
            assertThat(total).isEqualTo(rows.size());
            List<ExecutionSummary> summaries = result.summaries().values().iterator().next();
            assertThat(summaries).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_2", "aggregation_1", "table_scan_0");
            ExecutionSummary scan = summaries.get(2);
            assertThat(scan.getConcurrency()).isEqualTo(3);
            assertThat(scan.getNumProducedRows()).isEqualTo(rows.size());
            ExecutionSummary aggregation = summaries.get(1);
            assertThat(aggregation.getConcurrency()).isEqualTo(1);
            assertThat(aggregation.getNumProducedRows()).isEqualTo(result.rows().size());
            assertThat(aggregation.getPeakMemoryBytes()).isPositive();
            assertThat(result.formatSummaries()).contains("aggregation_1").containsPattern("table_scan_0\\s+\\|\\s+[0-9.]+\\s+\\|\\s+30000\\s+\\|\\s+\\d+\\s+\\|\\s+3\\s+\\|");
        }
    }

    @Test
    void aQueryOverItsMemoryLimitFailsNamingTheAggregationAndTheNodeKeepsServing() {
        List<List<Object>> rows = new ArrayList<>();
        for (long i = 0; i < 200_000; i++) {
            rows.add(java.util.Arrays.asList("k" + i, (int) (i % 3), BigDecimal.valueOf(i, 2), i));
        }
        try (TestingNode node = TestingNode.start()) {
            load(node, WHOLE_TABLE, rows);
            long baseline = node.node().allocator().getAllocatedMemory();
            Executor plan = sender("exchange_sender_2", Executor.newBuilder().setExecutorId("aggregation_1")
                    .setAggregation(aggregation(AggregationMode.COMPLETE, List.of(aggregate(AggregateKind.MAX, "m", col("x")))))
                    .addChildren(scan(WHOLE_TABLE)).build());
            assertThatThrownBy(() -> node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(plan, List.of(node.address())))
                    .withMemoryLimit(4 << 20).withConcurrency(1)))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                    .hasMessageContaining("memory limit exceeded in executor 'aggregation_1'");
            awaitTrue("tasks ended and memory returned", () -> node.node().tasks().taskCount() == 0
                    && node.node().allocator().getAllocatedMemory() == baseline);
            QueryResult again = node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(plan, List.of(node.address()))));
            assertThat(again.rows()).hasSize(200_000);
        }
    }

    // ----- data and plans -----

    private static List<List<Object>> rows(int count, int seed) {
        Random random = new Random(seed);
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(java.util.Arrays.asList(
                    random.nextInt(20) == 0 ? null : KEYS[random.nextInt(KEYS.length)],
                    random.nextInt(20) == 0 ? null : random.nextInt(6),
                    random.nextInt(10) == 0 ? null : BigDecimal.valueOf(random.nextLong() % 10_000_000_000L, 2),
                    random.nextInt(10) == 0 ? null : random.nextLong() % 1_000_000_000_000L));
        }
        return rows;
    }

    private static void load(TestingNode node, long tableId, List<List<Object>> rows) {
        InMemoryTable.Builder table = InMemoryTable.builder(tableId, "t" + tableId);
        COLUMNS.forEach(column -> table.column(column.name(), column.type()));
        rows.forEach(row -> table.row(row.toArray()));
        node.node().catalog().add(table.build(node.node().allocator()));
    }

    private static void loadDuckDb(Connection duckdb, List<List<Object>> rows) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE t (k VARCHAR, g INTEGER, v DECIMAL(12, 2), x BIGINT)");
        }
        try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?)")) {
            for (List<Object> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    insert.setObject(i + 1, row.get(i));
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static List<List<Object>> duckDb(Connection duckdb, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(result.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static List<String> normalize(List<List<Object>> rows) {
        List<String> normalized = new ArrayList<>();
        for (List<Object> row : rows) {
            normalized.add(row.stream().map(value -> switch (value) {
                case null -> "NULL";
                case BigDecimal d -> d.stripTrailingZeros().toPlainString();
                case Number n -> new BigDecimal(n.toString()).toPlainString();
                default -> value.toString();
            }).toList().toString());
        }
        normalized.sort(Comparator.naturalOrder());
        return normalized;
    }

    private static Executor scan(long tableId) {
        TableScan.Builder scan = TableScan.newBuilder().setTableId(tableId);
        COLUMNS.forEach(column -> scan.addColumns(column.name()));
        return Executor.newBuilder().setExecutorId("table_scan_0").setTableScan(scan).build();
    }

    private static Executor sender(String id, Executor child) {
        return Executor.newBuilder().setExecutorId(id)
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH)).addChildren(child).build();
    }

    private static Aggregation aggregation(AggregationMode mode, List<AggregateFunction> aggregates) {
        return Aggregation.newBuilder().setMode(mode).addAllAggregates(aggregates)
                .addGroupBy(NamedExpr.newBuilder().setName("k").setExpr(col("k")))
                .addGroupBy(NamedExpr.newBuilder().setName("g").setExpr(col("g")))
                .build();
    }

    private static AggregateFunction aggregate(AggregateKind kind, String name, Expr... args) {
        return AggregateFunction.newBuilder().setKind(kind).setName(name).addAllArgs(List.of(args)).build();
    }

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }
}
