package io.mppnode.exec.plan;

import static io.mppnode.exec.plan.TestingPlans.SCAN_ID;
import static io.mppnode.exec.plan.TestingPlans.SENDER_ID;
import static io.mppnode.exec.plan.TestingPlans.passThrough;
import static io.mppnode.exec.plan.TestingPlans.plan;
import static io.mppnode.exec.plan.TestingPlans.receiver;
import static io.mppnode.exec.plan.TestingPlans.scan;
import static io.mppnode.exec.plan.TestingPlans.sendScan;
import static io.mppnode.exec.plan.TestingPlans.sender;
import static io.mppnode.exec.storage.TestingTables.ORDERS_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.CompressionMode;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Join;
import io.mppnode.proto.plan.Limit;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.Selection;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Projection;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PlanValidatorTest {
    private static final long NODE_LIMIT = 1L << 30;

    private RootAllocator allocator;
    private Catalog catalog;
    private PlanValidator validator;

    @BeforeEach
    void createCatalog() {
        allocator = new RootAllocator();
        catalog = new Catalog();
        catalog.add(TestingTables.orders(allocator, 3));
        validator = new PlanValidator(catalog);
    }

    @AfterEach
    void closeCatalog() {
        catalog.close();
        allocator.close();
    }

    @Test
    void acceptsAScanSentToOneReceiverAndReturnsTheScannedColumnsInScanOrder() {
        List<ColumnSchema> columns = validator.validate(sendScan(ORDERS_ID, List.of("price", "order_id", "customer")), NODE_LIMIT);

        assertThat(columns).containsExactly(
                new ColumnSchema("price", ColumnTypes.decimal(15, 2)),
                new ColumnSchema("order_id", ColumnTypes.of(TypeKind.INT64)),
                new ColumnSchema("customer", ColumnTypes.of(TypeKind.STRING)));
    }

    @Test
    void acceptsEveryColumnTypeAndALimitAtTheNodesLimit() {
        Plan plan = sendScan(ORDERS_ID, TestingTables.ORDERS_COLUMNS).toBuilder()
                .setMemoryLimitBytes(NODE_LIMIT)
                .setConcurrency(4)
                .build();
        assertThat(validator.validate(plan, NODE_LIMIT)).extracting(ColumnSchema::name)
                .containsExactlyElementsOf(TestingTables.ORDERS_COLUMNS);
    }

    @Test
    void refusesAPlanWithoutRoot() {
        assertInvalid(Plan.getDefaultInstance(), ErrorCode.INVALID_PLAN, "the plan has no root executor");
    }

    @Test
    void refusesARootThatIsNotAnExchangeSender() {
        assertInvalid(plan(scan(ORDERS_ID, List.of("order_id"))), ErrorCode.INVALID_PLAN,
                "the root executor '" + SCAN_ID + "' must be an ExchangeSender, found TableScan");
    }

    @Test
    void refusesAnExchangeSenderBelowTheRoot() {
        Executor inner = sender(passThrough(), scan(ORDERS_ID, List.of("order_id"))).toBuilder().setExecutorId("inner_sender").build();
        assertInvalid(plan(sender(passThrough(), inner)), ErrorCode.INVALID_PLAN,
                "executor 'inner_sender': an ExchangeSender must be the root of the plan");
    }

    @Test
    void refusesAnEmptyExecutorId() {
        Executor scan = scan(ORDERS_ID, List.of("order_id")).toBuilder().setExecutorId("").build();
        assertInvalid(plan(sender(passThrough(), scan)), ErrorCode.INVALID_PLAN,
                "an executor of type TableScan has no executor_id");
    }

    @Test
    void refusesADuplicateExecutorId() {
        Executor scan = scan(ORDERS_ID, List.of("order_id")).toBuilder().setExecutorId(SENDER_ID).build();
        assertInvalid(plan(sender(passThrough(), scan)), ErrorCode.INVALID_PLAN,
                "executor_id '" + SENDER_ID + "' is used twice");
    }

    @Test
    void refusesAnExecutorWithoutType() {
        Executor untyped = Executor.newBuilder().setExecutorId("mystery").build();
        assertInvalid(plan(sender(passThrough(), untyped)), ErrorCode.INVALID_PLAN, "executor 'mystery' has no type");
    }

    @Test
    void refusesWrongChildCounts() {
        assertInvalid(plan(sender(passThrough())), ErrorCode.INVALID_PLAN,
                "executor '" + SENDER_ID + "' (ExchangeSender) takes 1 child, found 0");
        Executor other = scan(ORDERS_ID, List.of("quantity")).toBuilder().setExecutorId("table_scan_1").build();
        assertInvalid(plan(sender(passThrough(), scan(ORDERS_ID, List.of("order_id")), other)), ErrorCode.INVALID_PLAN,
                "executor '" + SENDER_ID + "' (ExchangeSender) takes 1 child, found 2");
        Executor scanWithChild = scan(ORDERS_ID, List.of("order_id")).toBuilder().addChildren(other).build();
        assertInvalid(plan(sender(passThrough(), scanWithChild)), ErrorCode.INVALID_PLAN,
                "executor '" + SCAN_ID + "' (TableScan) takes 0 children, found 1");
    }

    @Test
    void refusesAnUnknownTable() {
        assertInvalid(sendScan(99, List.of("order_id")), ErrorCode.UNKNOWN_TABLE,
                "executor '" + SCAN_ID + "': unknown table id 99");
    }

    @Test
    void refusesAnUnknownColumnNamingExecutorTableAndColumn() {
        assertInvalid(sendScan(ORDERS_ID, List.of("order_id", "nope")), ErrorCode.UNKNOWN_COLUMN,
                "executor '" + SCAN_ID + "': table 'orders' has no column 'nope'");
    }

    @Test
    void refusesAColumnReadTwice() {
        assertInvalid(sendScan(ORDERS_ID, List.of("order_id", "price", "order_id")), ErrorCode.INVALID_PLAN,
                "executor '" + SCAN_ID + "': column 'order_id' is read twice");
    }

    @Test
    void refusesAScanOfNoColumns() {
        assertInvalid(sendScan(ORDERS_ID, List.of()), ErrorCode.INVALID_PLAN,
                "executor '" + SCAN_ID + "': a TableScan must read at least one column");
    }

    @Test
    void typeChecksSelectionsAndProjections() {
        Executor selection = Executor.newBuilder().setExecutorId("selection_1")
                .setSelection(Selection.newBuilder().addConditions(call("gt", column("quantity"), column("order_id"))))
                .addChildren(scan(ORDERS_ID, List.of("order_id", "quantity")))
                .build();
        Executor projection = Executor.newBuilder().setExecutorId("projection_1")
                .setProjection(Projection.newBuilder()
                        .addExprs(NamedExpr.newBuilder().setName("total").setExpr(call("plus", column("quantity"), column("order_id"))))
                        .addExprs(NamedExpr.newBuilder().setName("big").setExpr(call("gt", column("quantity"), column("quantity")))))
                .addChildren(selection)
                .build();
        assertThat(validator.validate(plan(sender(passThrough(), projection)), NODE_LIMIT)).extracting(ColumnSchema::name, ColumnSchema::type)
                .containsExactly(tuple("total", ColumnTypes.of(TypeKind.INT64)), tuple("big", ColumnTypes.of(TypeKind.BOOLEAN)));

        Executor notBoolean = selection.toBuilder().setSelection(Selection.newBuilder().addConditions(column("quantity"))).build();
        assertInvalid(plan(sender(passThrough(), notBoolean)), ErrorCode.INVALID_PLAN,
                "executor 'selection_1': condition 1 must be boolean, found int32");
        Executor noCondition = selection.toBuilder().setSelection(Selection.getDefaultInstance()).build();
        assertInvalid(plan(sender(passThrough(), noCondition)), ErrorCode.INVALID_PLAN,
                "executor 'selection_1': a Selection needs at least one condition");
        Executor twice = projection.toBuilder().setProjection(Projection.newBuilder()
                .addExprs(NamedExpr.newBuilder().setName("x").setExpr(column("quantity")))
                .addExprs(NamedExpr.newBuilder().setName("x").setExpr(column("order_id")))).build();
        assertInvalid(plan(sender(passThrough(), twice)), ErrorCode.INVALID_PLAN, "executor 'projection_1': output column 'x' is named twice");
        Executor unknown = projection.toBuilder().setProjection(Projection.newBuilder()
                .addExprs(NamedExpr.newBuilder().setName("x").setExpr(column("nope")))).build();
        assertInvalid(plan(sender(passThrough(), unknown)), ErrorCode.UNKNOWN_COLUMN, "executor 'projection_1': column 'nope'");
        // Every function of the list compiles now: year of a date is accepted, as int32.
        Executor year = projection.toBuilder().setProjection(Projection.newBuilder()
                .addExprs(NamedExpr.newBuilder().setName("x").setExpr(call("year", column("order_date"))))).build();
        Executor scanWithDate = selection.toBuilder().setChildren(0, scan(ORDERS_ID, List.of("order_id", "quantity", "order_date"))).build();
        assertThat(validator.validate(plan(sender(passThrough(), year.toBuilder().setChildren(0, scanWithDate).build())), NODE_LIMIT))
                .extracting(ColumnSchema::name, ColumnSchema::type).containsExactly(tuple("x", ColumnTypes.of(TypeKind.INT32)));
    }

    @Test
    void checksLimitsSortsAndJoins() {
        Executor limit = Executor.newBuilder().setExecutorId("limit_1")
                .setLimit(Limit.newBuilder().setLimit(10))
                .addChildren(scan(ORDERS_ID, List.of("order_id")))
                .build();
        assertThat(new PlanValidator(catalog).validate(plan(sender(passThrough(), limit)), Long.MAX_VALUE))
                .extracting(ColumnSchema::name).containsExactly("order_id");
        Executor sort = Executor.newBuilder().setExecutorId("sort_1").setSort(io.mppnode.proto.plan.Sort.getDefaultInstance())
                .addChildren(scan(ORDERS_ID, List.of("order_id"))).build();
        assertInvalid(plan(sender(passThrough(), sort)), ErrorCode.INVALID_PLAN, "executor 'sort_1': needs at least one order_by key");
        Executor topN = Executor.newBuilder().setExecutorId("top_n_1").setTopN(io.mppnode.proto.plan.TopN.newBuilder().setLimit(3)
                .addOrderBy(io.mppnode.proto.plan.SortKey.newBuilder().setExpr(column("nope"))))
                .addChildren(scan(ORDERS_ID, List.of("order_id"))).build();
        assertInvalid(plan(sender(passThrough(), topN)), ErrorCode.UNKNOWN_COLUMN, "executor 'top_n_1': column 'nope'");

        Executor left = scan(ORDERS_ID, List.of("order_id", "customer"));
        Executor right = scan(ORDERS_ID, List.of("quantity", "price")).toBuilder().setExecutorId("table_scan_1").build();
        Executor noKeys = Executor.newBuilder().setExecutorId("join_1").setJoin(Join.getDefaultInstance())
                .addChildren(left).addChildren(right).build();
        assertInvalid(plan(sender(passThrough(), noKeys)), ErrorCode.INVALID_PLAN,
                "executor 'join_1': a Join needs as many left keys as right keys, at least one; got 0 and 0");
        Executor mismatched = noKeys.toBuilder().setJoin(Join.newBuilder().addLeftKeys(column("customer")).addRightKeys(column("quantity"))).build();
        assertInvalid(plan(sender(passThrough(), mismatched)), ErrorCode.INVALID_PLAN,
                "executor 'join_1': join key 1 compares string with int32, which have no common type");
        Executor numeric = noKeys.toBuilder().setJoin(Join.newBuilder().setType(io.mppnode.proto.plan.JoinType.LEFT_OUTER)
                .addLeftKeys(column("order_id")).addRightKeys(column("price"))).build();
        assertThat(new PlanValidator(catalog).validate(plan(sender(passThrough(), numeric)), Long.MAX_VALUE))
                .extracting(ColumnSchema::name).containsExactly("order_id", "customer", "quantity", "price");
        Executor bothSides = noKeys.toBuilder().setChildren(1, scan(ORDERS_ID, List.of("order_id")).toBuilder().setExecutorId("table_scan_1"))
                .setJoin(Join.newBuilder().addLeftKeys(column("order_id")).addRightKeys(column("order_id"))).build();
        assertInvalid(plan(sender(passThrough(), bothSides)), ErrorCode.INVALID_PLAN,
                "executor 'join_1': column 'order_id' comes from both sides of the join; a Projection below the join must rename one of them");
        Executor notIn = noKeys.toBuilder().setJoin(Join.newBuilder().setType(io.mppnode.proto.plan.JoinType.NULL_AWARE_ANTI_SEMI)
                .addLeftKeys(column("order_id")).addLeftKeys(column("customer"))
                .addRightKeys(column("quantity")).addRightKeys(column("price"))).build();
        assertInvalid(plan(sender(passThrough(), notIn)), ErrorCode.INVALID_PLAN,
                "executor 'join_1': a NULL_AWARE_ANTI_SEMI join takes exactly one key, got 2");
        Executor badCondition = numeric.toBuilder().setJoin(numeric.getJoin().toBuilder().addOtherConditions(column("customer"))).build();
        assertInvalid(plan(sender(passThrough(), badCondition)), ErrorCode.INVALID_PLAN, "executor 'join_1'");
    }

    @Test
    void acceptsHashAndBroadcastSendersWithEveryCompressionAndFineGrainedStreams() {
        ExchangeSender.Builder hash = passThrough().setType(ExchangeType.HASH).addReceivers(receiver(3))
                .addPartitionKeys(column("order_id")).setFineGrainedStreamCount(4).setCompression(CompressionMode.ZSTD);
        assertThat(validator.validate(plan(sender(hash, scan(ORDERS_ID, List.of("order_id", "quantity")))), NODE_LIMIT)).hasSize(2);
        ExchangeSender.Builder broadcast = passThrough().setType(ExchangeType.BROADCAST).addReceivers(receiver(3))
                .setCompression(CompressionMode.LZ4_FRAME);
        assertThat(validator.validate(plan(sender(broadcast, scan(ORDERS_ID, List.of("order_id")))), NODE_LIMIT)).hasSize(1);
    }

    @Test
    void refusesHashSendersWithoutKeysOrWithKeysThatAreNotInputColumns() {
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.HASH), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "executor '" + SENDER_ID + "': a HASH ExchangeSender needs at least one partition key");
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.HASH).addPartitionKeys(column("customer")),
                        scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.UNKNOWN_COLUMN, "executor '" + SENDER_ID + "': partition key 'customer' is not a column of its input [order_id]");
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.HASH).addPartitionKeys(
                        Expr.newBuilder().setLiteral(Literal.getDefaultInstance())), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.NOT_SUPPORTED_YET, "not supported yet: a partition key other than a column reference (executor '" + SENDER_ID + "')");
    }

    @Test
    void refusesPartitionKeysAndFineGrainedStreamsOnSendersThatDoNotHash() {
        assertInvalid(plan(sender(passThrough().addPartitionKeys(column("order_id")), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "partition keys are for HASH senders only, this one is PASS_THROUGH");
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.BROADCAST).setFineGrainedStreamCount(4), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "fine-grained streams are for HASH senders only, this one is BROADCAST");
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.HASH).addPartitionKeys(column("order_id"))
                        .setFineGrainedStreamCount(PlanValidator.MAX_FINE_GRAINED_STREAMS + 1), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "fine_grained_stream_count 1025 is above the limit of 1024");
        // A stream count of 1 is the same as none.
        assertThat(validator.validate(plan(sender(passThrough().setFineGrainedStreamCount(1),
                scan(ORDERS_ID, List.of("order_id")))), NODE_LIMIT)).hasSize(1);
    }

    @Test
    void acceptsAReceiverAndRefusesOneWithoutSendersSchemaOrWithATwiceNamedSender() {
        ExchangeReceiver.Builder receiving = ExchangeReceiver.newBuilder().addSenders(receiver(3)).addSenders(receiver(4))
                .addSchema(Field.newBuilder().setName("order_id").setType(ColumnTypes.of(TypeKind.INT64)));
        assertThat(validator.validate(plan(sender(passThrough(), receiverExecutor(receiving))), NODE_LIMIT))
                .containsExactly(new ColumnSchema("order_id", ColumnTypes.of(TypeKind.INT64)));
        assertInvalid(plan(sender(passThrough(), receiverExecutor(receiving.clone().clearSenders()))), ErrorCode.INVALID_PLAN,
                "executor 'exchange_receiver_1': an ExchangeReceiver needs at least one sender");
        assertInvalid(plan(sender(passThrough(), receiverExecutor(receiving.clone().clearSchema()))), ErrorCode.INVALID_PLAN,
                "executor 'exchange_receiver_1': an ExchangeReceiver needs its schema (at least one column)");
        assertInvalid(plan(sender(passThrough(), receiverExecutor(receiving.clone().addSenders(receiver(3))))), ErrorCode.INVALID_PLAN,
                "executor 'exchange_receiver_1': sender task 3 is named twice");
        assertInvalid(plan(sender(passThrough(), receiverExecutor(receiving.clone().addSchema(
                        Field.newBuilder().setName("bad").setType(ColumnTypes.decimal(40, 2)))))), ErrorCode.INVALID_PLAN,
                "executor 'exchange_receiver_1', column 'bad': decimal(40, 2) is out of range");
    }

    private static Executor receiverExecutor(ExchangeReceiver.Builder receiver) {
        return Executor.newBuilder().setExecutorId("exchange_receiver_1").setExchangeReceiver(receiver).build();
    }

    private static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    private static Expr column(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    @Test
    void refusesAPassThroughSenderWithoutExactlyOneReceiver() {
        assertInvalid(plan(sender(passThrough().clearReceivers(), scan(ORDERS_ID, List.of("order_id")))), ErrorCode.INVALID_PLAN,
                "executor '" + SENDER_ID + "': an ExchangeSender needs at least one receiver");
        assertInvalid(plan(sender(passThrough().addReceivers(receiver(2)), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN,
                "executor '" + SENDER_ID + "': a PASS_THROUGH ExchangeSender sends to exactly one receiver, found 2");
        // Two receivers with one task id are refused too, by the count (a pass-through sender takes one receiver).
        assertInvalid(plan(sender(passThrough().addReceivers(receiver(-1)), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "sends to exactly one receiver, found 2");
        assertInvalid(plan(sender(passThrough().setType(ExchangeType.BROADCAST).addReceivers(receiver(-1)), scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "receiver task -1 is named twice");
    }

    @Test
    void refusesAReceiverWithoutAddress() {
        assertInvalid(plan(sender(passThrough().clearReceivers().addReceivers(receiver(5).toBuilder().clearAddress()),
                        scan(ORDERS_ID, List.of("order_id")))),
                ErrorCode.INVALID_PLAN, "executor '" + SENDER_ID + "': receiver 0 (task 5) has no address");
    }

    @Test
    void refusesANegativeMemoryLimitOrOneAboveTheNodesLimit() {
        assertInvalid(sendScan(ORDERS_ID, List.of("order_id")).toBuilder().setMemoryLimitBytes(-1).build(),
                ErrorCode.INVALID_PLAN, "memory_limit_bytes is negative: -1");
        assertInvalid(sendScan(ORDERS_ID, List.of("order_id")).toBuilder().setMemoryLimitBytes(NODE_LIMIT + 1).build(),
                ErrorCode.INVALID_PLAN,
                "memory_limit_bytes 1073741825 is above the node's limit of 1073741824 bytes");
    }

    @Test
    void refusesANegativeConcurrency() {
        assertInvalid(sendScan(ORDERS_ID, List.of("order_id")).toBuilder().setConcurrency(-2).build(),
                ErrorCode.INVALID_PLAN, "concurrency is negative: -2");
    }

    private void assertInvalid(Plan plan, ErrorCode code, String message) {
        assertThatThrownBy(() -> validator.validate(plan, NODE_LIMIT))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(code))
                .hasMessageContaining(message);
    }
}
