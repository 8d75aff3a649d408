package io.mppnode.server.exec;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Projection;
import io.mppnode.proto.plan.Selection;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import io.mppnode.server.TestingPlans;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.sample.SampleTables;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Selection and Projection executors in a real node: dispatched, run, and their errors. */
class SelectionProjectionQueryTest {
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
    void aFilteredProjectedScanReturnsTheComputedRows() {
        try (TestingNode node = TestingNode.start()) {
            Executor plan = project(select(scan(), call("gt", col("quantity"), int32(20))),
                    named("order_id", col("order_id")), named("twice", call("multiply", col("quantity"), int32(2))),
                    named("big", call("gt", col("quantity"), int32(25))));
            QueryResult result = node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(plan, List.of(node.address()))));
            // sample_orders quantities: 17, 36, 8, 28, 24.
            assertThat(result.rows()).containsExactly(List.of(2L, 72, true), List.of(4L, 56, true), List.of(5L, 48, false));
            awaitTrue("tasks ended", () -> node.node().tasks().taskCount() == 0);
        }
    }

    @Test
    void anOverflowFailsTheQueryNamingTheExecutorAndTheNodeKeepsServing() {
        try (TestingNode node = TestingNode.start()) {
            Executor overflow = project(scan(), named("x", call("multiply", col("quantity"), int32(Integer.MAX_VALUE))));
            assertThatThrownBy(() -> node.node().newCoordinator(allocator)
                    .execute(QuerySpec.of(Fragment.of(overflow, List.of(node.address())))))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_ERROR))
                    .hasMessageContaining("executor 'projection_2': multiply overflows int32");
            awaitTrue("tasks ended", () -> node.node().tasks().taskCount() == 0);
            Executor fine = project(scan(), named("id", col("order_id")));
            assertThat(node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(fine, List.of(node.address())))).rows())
                    .hasSize(5);
        }
    }

    @Test
    void aReceiverThatConnectsAfterTheTaskFailedLearnsTheFailure() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = TestingPlans.newQuery(1, node.address());
            TaskMeta receiver = TestingPlans.coordinatorOf(task, "127.0.0.1:1");
            Executor overflow = project(scan(), named("x", call("multiply", col("quantity"), int32(Integer.MAX_VALUE)))).getChildren(0);
            node.blocking().dispatchMPPTask(TestingPlans.dispatch(task, TestingPlans.sendTo(receiver, overflow)));
            awaitTrue("the task failed and left the registry", () -> node.node().tasks().taskCount() == 0);

            TestingPacketCollector late = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(TestingPlans.establish(task, receiver), late);
            List<MPPDataPacket> packets = late.awaitCompleted();
            assertThat(packets).hasSize(1);
            assertThat(packets.getFirst().getError().getCode()).isEqualTo(ErrorCode.DATA_ERROR.code());
            assertThat(packets.getFirst().getError().getMsg()).contains("task 1", "failed: executor 'projection_2': multiply overflows int32");
        }
    }

    private static Executor scan() {
        return Executor.newBuilder().setExecutorId("table_scan_0")
                .setTableScan(TableScan.newBuilder().setTableId(SampleTables.SAMPLE_ORDERS_ID).addColumns("order_id").addColumns("quantity"))
                .build();
    }

    private static Executor select(Executor child, Expr condition) {
        return Executor.newBuilder().setExecutorId("selection_1").setSelection(Selection.newBuilder().addConditions(condition))
                .addChildren(child).build();
    }

    private static Executor project(Executor child, NamedExpr... exprs) {
        Executor projection = Executor.newBuilder().setExecutorId("projection_2")
                .setProjection(Projection.newBuilder().addAllExprs(List.of(exprs))).addChildren(child).build();
        return Executor.newBuilder().setExecutorId("exchange_sender_3")
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH)).addChildren(projection).build();
    }

    private static NamedExpr named(String name, Expr expr) {
        return NamedExpr.newBuilder().setName(name).setExpr(expr).build();
    }

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    private static Expr int32(int value) {
        return Expr.newBuilder().setLiteral(Literal.newBuilder().setType(ColumnTypes.of(TypeKind.INT32)).setInt64Value(value)).build();
    }

    private static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }
}
