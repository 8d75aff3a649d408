package io.mppnode.server.exec;

import static io.mppnode.server.Conditions.awaitTrue;
import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sendTo;
import static io.mppnode.server.TestingPlans.sibling;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.InMemoryTable;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Join;
import io.mppnode.proto.plan.JoinType;
import io.mppnode.proto.plan.Limit;
import io.mppnode.proto.plan.NullOrder;
import io.mppnode.proto.plan.Sort;
import io.mppnode.proto.plan.SortKey;
import io.mppnode.proto.plan.TableScan;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Joins in real nodes: a distributed hash join (both sides hash-exchanged across two nodes)
 * against DuckDB; a parallel join under a sort and a limit; a cancel while the build side waits.
 */
class JoinQueryTest {
    private static final long ORDERS = 700;
    private static final long CUSTOMERS = 701;
    private static final List<ColumnSchema> ORDER_COLUMNS = List.of(
            new ColumnSchema("o_id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("o_customer", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("o_total", ColumnTypes.decimal(12, 2)));
    private static final List<ColumnSchema> CUSTOMER_COLUMNS = List.of(
            new ColumnSchema("c_id", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("c_name", ColumnTypes.of(TypeKind.STRING)));

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
    void aDistributedHashJoinAgreesWithDuckDb() throws SQLException {
        List<List<Object>> orders = orders(8_000);
        List<List<Object>> customers = customers(600);
        try (TestingNode a = TestingNode.start(); TestingNode b = TestingNode.start();
                Connection duckdb = DriverManager.getConnection("jdbc:duckdb:")) {
            load(a, ORDERS, ORDER_COLUMNS, orders.subList(0, 5_000));
            load(b, ORDERS, ORDER_COLUMNS, orders.subList(5_000, orders.size()));
            load(a, CUSTOMERS, CUSTOMER_COLUMNS, customers.subList(0, 200));
            load(b, CUSTOMERS, CUSTOMER_COLUMNS, customers.subList(200, customers.size()));
            loadDuckDb(duckdb, orders, customers);
            List<String> nodes = List.of(a.address(), b.address());
            for (JoinType type : List.of(JoinType.INNER, JoinType.LEFT_OUTER, JoinType.ANTI_SEMI)) {
                // Orders hashed on o_customer (int64), customers on c_id (int32): the join casts c_id to int64,
                // and the exchange must send equal keys to the same node, so it hashes the cast key.
                Executor orderSide = hashSender("exchange_sender_1", "o_customer", scan("table_scan_0", ORDERS, ORDER_COLUMNS));
                Executor customerSide = hashSender("exchange_sender_3", "c_id_64", projectCustomerKey(scan("table_scan_2", CUSTOMERS, CUSTOMER_COLUMNS)));
                List<ColumnSchema> customerColumns = List.of(CUSTOMER_COLUMNS.get(0), CUSTOMER_COLUMNS.get(1),
                        new ColumnSchema("c_id_64", ColumnTypes.of(TypeKind.INT64)));
                Executor join = Executor.newBuilder().setExecutorId("join_6")
                        .setJoin(Join.newBuilder().setType(type).setBuildSide(BuildSide.BUILD_RIGHT)
                                .addLeftKeys(col("o_customer")).addRightKeys(col("c_id_64"))
                                .addOtherConditions(call("gt", col("o_total"), decimal("-900.00"))))
                        .addChildren(receiver("exchange_receiver_4", ORDER_COLUMNS))
                        .addChildren(receiver("exchange_receiver_5", customerColumns))
                        .build();
                Executor top = passThrough("exchange_sender_7", join);
                QueryResult result = a.node().newCoordinator(allocator).execute(QuerySpec.of(new Fragment(top, nodes,
                        List.of(Fragment.of(orderSide, nodes), Fragment.of(customerSide, nodes)))).withConcurrency(2));
                String sql = switch (type) {
                    case INNER -> "SELECT o_id, o_customer, o_total, c_id, c_name, c_id FROM o JOIN c ON o_customer = c_id AND o_total > -900";
                    case LEFT_OUTER -> "SELECT o_id, o_customer, o_total, c_id, c_name, c_id FROM o LEFT JOIN c ON o_customer = c_id AND o_total > -900";
                    default -> "SELECT o_id, o_customer, o_total FROM o ANTI JOIN c ON o_customer = c_id AND o_total > -900";
                };
                assertThat(normalize(result.rows())).as("%s join", type).isEqualTo(normalize(duckDb(duckdb, sql))).isNotEmpty();
            }
            awaitTrue("tasks ended", () -> a.node().tasks().taskCount() == 0 && b.node().tasks().taskCount() == 0);
        }
    }

    @Test
    void aParallelJoinUnderASortAndALimitAgreesWithDuckDb() throws SQLException {
        List<List<Object>> orders = orders(20_000);
        List<List<Object>> customers = customers(600);
        try (TestingNode node = TestingNode.start(); Connection duckdb = DriverManager.getConnection("jdbc:duckdb:")) {
            load(node, ORDERS, ORDER_COLUMNS, orders);
            load(node, CUSTOMERS, CUSTOMER_COLUMNS, customers);
            loadDuckDb(duckdb, orders, customers);
            Executor join = Executor.newBuilder().setExecutorId("join_2")
                    .setJoin(Join.newBuilder().setType(JoinType.INNER).setBuildSide(BuildSide.BUILD_LEFT)
                            .addLeftKeys(col("c_id")).addRightKeys(col("o_customer")))
                    .addChildren(scan("table_scan_0", CUSTOMERS, CUSTOMER_COLUMNS))
                    .addChildren(scan("table_scan_1", ORDERS, ORDER_COLUMNS))
                    .build();
            Executor sort = Executor.newBuilder().setExecutorId("sort_3")
                    .setSort(Sort.newBuilder()
                            .addOrderBy(SortKey.newBuilder().setExpr(col("c_name")).setNulls(NullOrder.NULLS_LAST))
                            .addOrderBy(SortKey.newBuilder().setExpr(col("o_total")).setDescending(true).setNulls(NullOrder.NULLS_FIRST))
                            .addOrderBy(SortKey.newBuilder().setExpr(col("o_id"))))
                    .addChildren(join).build();
            Executor limit = Executor.newBuilder().setExecutorId("limit_4").setLimit(Limit.newBuilder().setLimit(500).setOffset(20))
                    .addChildren(sort).build();
            QueryResult result = node.node().newCoordinator(allocator).execute(QuerySpec.of(
                    Fragment.of(passThrough("exchange_sender_5", limit), List.of(node.address()))).withConcurrency(3));
            List<List<Object>> expected = duckDb(duckdb, "SELECT c_id, c_name, o_id, o_customer, o_total FROM c JOIN o ON c_id = o_customer"
                    + " ORDER BY c_name NULLS LAST, o_total DESC NULLS FIRST, o_id LIMIT 500 OFFSET 20");
            assertThat(result.rows().stream().map(JoinQueryTest::normalizeRow).toList())
                    .isEqualTo(expected.stream().map(JoinQueryTest::normalizeRow).toList()).hasSize(500);
            var summaries = result.summaries().values().iterator().next();
            assertThat(summaries).filteredOn(summary -> summary.getExecutorId().equals("join_2"))
                    .singleElement().satisfies(summary -> assertThat(summary.getConcurrency()).isEqualTo(3));
        }
    }

    @Test
    void aCancelWhileTheBuildWaitsReleasesEverythingAndTheNodeKeepsServing() {
        try (TestingNode node = TestingNode.start()) {
            load(node, ORDERS, ORDER_COLUMNS, orders(1_000));
            long baseline = node.node().allocator().getAllocatedMemory();
            TaskMeta task = newQuery(1, node.address());
            // The build side waits for task 2 of the same query, which is never dispatched.
            TaskMeta missing = sibling(task, 2, node.address());
            Executor join = Executor.newBuilder().setExecutorId("join_2")
                    .setJoin(Join.newBuilder().setType(JoinType.INNER).setBuildSide(BuildSide.BUILD_RIGHT)
                            .addLeftKeys(col("o_customer")).addRightKeys(col("k")))
                    .addChildren(scan("table_scan_0", ORDERS, ORDER_COLUMNS))
                    .addChildren(Executor.newBuilder().setExecutorId("exchange_receiver_1").setExchangeReceiver(ExchangeReceiver.newBuilder()
                            .addSenders(missing).addSchema(Field.newBuilder().setName("k").setType(ColumnTypes.of(TypeKind.INT64)))))
                    .build();
            var response = node.blocking().dispatchMPPTask(dispatch(task, sendTo(coordinatorOf(task, "127.0.0.1:1"), join)));
            assertThat(response.hasError()).isFalse();
            awaitTrue("the probe side has read its table", () -> node.node().allocator().getAllocatedMemory() > baseline);
            var cancel = node.blocking().cancelMPPTask(CancelTaskRequest.newBuilder().setMeta(task).build());
            assertThat(cancel.hasError()).isFalse();
            awaitTrue("the task ended and its memory returned", () -> node.node().tasks().taskCount() == 0
                    && node.node().allocator().getAllocatedMemory() == baseline);
            Executor count = passThrough("exchange_sender_1", scan("table_scan_0", ORDERS, ORDER_COLUMNS));
            assertThat(node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(count, List.of(node.address())))).rows())
                    .hasSize(1_000);
        }
    }

    // ----- data -----

    private static List<List<Object>> orders(int count) {
        Random random = new Random(count);
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 0; id < count; id++) {
            // Customer ids 0..699, so some orders have no customer; a few NULLs; skew on customer 7.
            Long customer = random.nextInt(25) == 0 ? null : random.nextInt(4) == 0 ? 7L : (long) random.nextInt(700);
            rows.add(Arrays.asList(id, customer, random.nextInt(30) == 0 ? null : BigDecimal.valueOf(random.nextInt(200_000) - 100_000, 2)));
        }
        return rows;
    }

    private static List<List<Object>> customers(int count) {
        String[] names = {"Ada", "東京商事", "Müller", "", "Zoë"};
        List<List<Object>> rows = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            // Ids repeat every 550 rows: duplicate keys on the build side.
            rows.add(Arrays.asList(id % 550, id % 13 == 0 ? null : names[id % names.length] + (id % 7)));
        }
        return rows;
    }

    private static void load(TestingNode node, long tableId, List<ColumnSchema> columns, List<List<Object>> rows) {
        InMemoryTable.Builder table = InMemoryTable.builder(tableId, "t" + tableId);
        columns.forEach(column -> table.column(column.name(), column.type()));
        rows.forEach(row -> table.row(row.toArray()));
        node.node().catalog().add(table.build(node.node().allocator()));
    }

    private static void loadDuckDb(Connection duckdb, List<List<Object>> orders, List<List<Object>> customers) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE o (o_id BIGINT, o_customer BIGINT, o_total DECIMAL(12, 2))");
            statement.execute("CREATE TABLE c (c_id INTEGER, c_name VARCHAR)");
        }
        insert(duckdb, "INSERT INTO o VALUES (?, ?, ?)", orders);
        insert(duckdb, "INSERT INTO c VALUES (?, ?)", customers);
    }

    private static void insert(Connection duckdb, String sql, List<List<Object>> rows) throws SQLException {
        try (PreparedStatement insert = duckdb.prepareStatement(sql)) {
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

    private static String normalizeRow(List<Object> row) {
        return row.stream().map(value -> switch (value) {
            case null -> "NULL";
            case BigDecimal d -> d.stripTrailingZeros().toPlainString();
            case Number n -> new BigDecimal(n.toString()).toPlainString();
            default -> value.toString();
        }).toList().toString();
    }

    private static List<String> normalize(List<List<Object>> rows) {
        List<String> normalized = new ArrayList<>(rows.stream().map(JoinQueryTest::normalizeRow).toList());
        normalized.sort(Comparator.naturalOrder());
        return normalized;
    }

    // ----- plans -----

    private static Executor scan(String id, long tableId, List<ColumnSchema> columns) {
        TableScan.Builder scan = TableScan.newBuilder().setTableId(tableId);
        columns.forEach(column -> scan.addColumns(column.name()));
        return Executor.newBuilder().setExecutorId(id).setTableScan(scan).build();
    }

    private static Executor projectCustomerKey(Executor child) {
        var projection = io.mppnode.proto.plan.Projection.newBuilder()
                .addExprs(io.mppnode.proto.plan.NamedExpr.newBuilder().setName("c_id").setExpr(col("c_id")))
                .addExprs(io.mppnode.proto.plan.NamedExpr.newBuilder().setName("c_name").setExpr(col("c_name")))
                .addExprs(io.mppnode.proto.plan.NamedExpr.newBuilder().setName("c_id_64").setExpr(Expr.newBuilder().setCall(
                        FunctionCall.newBuilder().setName("cast").addArgs(col("c_id")).setType(ColumnTypes.of(TypeKind.INT64)))));
        return Executor.newBuilder().setExecutorId("projection_" + child.getExecutorId()).setProjection(projection).addChildren(child).build();
    }

    private static Executor hashSender(String id, String key, Executor child) {
        return Executor.newBuilder().setExecutorId(id)
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.HASH).addPartitionKeys(col(key)))
                .addChildren(child).build();
    }

    private static Executor passThrough(String id, Executor child) {
        return Executor.newBuilder().setExecutorId(id)
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH)).addChildren(child).build();
    }

    private static Executor receiver(String id, List<ColumnSchema> columns) {
        ExchangeReceiver.Builder receiver = ExchangeReceiver.newBuilder();
        columns.forEach(column -> receiver.addSchema(Field.newBuilder().setName(column.name()).setType(column.type())));
        return Executor.newBuilder().setExecutorId(id).setExchangeReceiver(receiver).build();
    }

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    private static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    private static Expr decimal(String value) {
        return Expr.newBuilder().setLiteral(io.mppnode.proto.plan.Literal.newBuilder()
                .setType(ColumnTypes.decimal(5, 2)).setStringValue(value)).build();
    }
}
