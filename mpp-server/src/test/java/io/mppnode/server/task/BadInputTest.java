package io.mppnode.server.task;

import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.establish;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sampleScan;
import static io.mppnode.server.TestingPlans.scan;
import static io.mppnode.server.TestingPlans.sendTo;
import static io.mppnode.server.task.TaskLifecycleTest.assertServes;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import io.mppnode.server.sample.SampleTables;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every bad request gets an error that names the problem, in band, and the node keeps serving
 * with nothing left behind. One node serves the whole class, so each test also shows that the
 * failures before it did not hurt it.
 */
class BadInputTest {
    private static TestingNode node;

    @BeforeAll
    static void startNode() {
        node = TestingNode.start();
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    private static DispatchTaskResponse refused(DispatchTaskRequest request, ErrorCode code, String... fragments) {
        // The previous test's check query may still be leaving the registry.
        io.mppnode.server.Conditions.awaitTrue("earlier tasks ended", () -> node.node().tasks().taskCount() == 0
                && node.node().tasks().queryCount() == 0);
        DispatchTaskResponse response = node.blocking().dispatchMPPTask(request);
        assertThat(response.hasError()).as("dispatch is refused").isTrue();
        assertThat(response.getError().getCode()).as(response.getError().getMsg()).isEqualTo(code.code());
        assertThat(response.getError().getMsg()).contains(fragments);
        assertThat(node.node().tasks().taskCount()).isZero();
        assertThat(node.node().tasks().queryCount()).isZero();
        assertThat(node.node().allocator().getAllocatedMemory()).isEqualTo(tableMemory());
        assertServes(node);
        return response;
    }

    private static long tableMemory() {
        // Only the sample table holds memory between queries.
        return node.node().allocator().getChildAllocators().stream()
                .filter(child -> child.getName().startsWith("table-"))
                .mapToLong(child -> child.getAllocatedMemory()).sum();
    }

    @Test
    void malformedEncodedPlan() {
        TaskMeta task = newQuery(1, node.address());
        refused(DispatchTaskRequest.newBuilder().setMeta(task).setEncodedPlan(ByteString.copyFromUtf8("\u00ff\u00ff not a plan")).build(),
                ErrorCode.MALFORMED_PLAN, "encoded_plan is not a valid mppnode.plan.Plan");
    }

    @Test
    void emptyPlan() {
        TaskMeta task = newQuery(1, node.address());
        refused(DispatchTaskRequest.newBuilder().setMeta(task).build(), ErrorCode.INVALID_PLAN, "the plan has no root executor");
    }

    @Test
    void unknownTable() {
        TaskMeta task = newQuery(1, node.address());
        refused(dispatch(task, sendTo(coordinatorOf(task, "127.0.0.1:1"), scan(4242, List.of("a")))),
                ErrorCode.UNKNOWN_TABLE, "executor 'table_scan_0'", "unknown table id 4242");
    }

    @Test
    void unknownColumn() {
        TaskMeta task = newQuery(1, node.address());
        refused(dispatch(task, sendTo(coordinatorOf(task, "127.0.0.1:1"), scan(SampleTables.SAMPLE_ORDERS_ID, List.of("order_id", "colour")))),
                ErrorCode.UNKNOWN_COLUMN, "executor 'table_scan_0'", "table 'sample_orders' has no column 'colour'");
    }

    @Test
    void negativeTimeout() {
        TaskMeta task = newQuery(1, node.address());
        refused(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))).toBuilder().setTimeout(-5).build(),
                ErrorCode.INVALID_REQUEST, "timeout must not be negative, got -5");
    }

    @Test
    void taskMetaWithNoAddress() {
        TaskMeta task = newQuery(1, node.address()).toBuilder().clearAddress().build();
        refused(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))),
                ErrorCode.INVALID_REQUEST, "TaskMeta.address is empty");
    }

    @Test
    void receiverWithNoAddress() {
        TaskMeta task = newQuery(1, node.address());
        refused(dispatch(task, sampleScan(coordinatorOf(task, ""))),
                ErrorCode.INVALID_PLAN, "executor 'exchange_sender_1'", "receiver 0 (task -1) has no address");
    }

    @Test
    void dispatchWithoutMeta() {
        refused(DispatchTaskRequest.getDefaultInstance(), ErrorCode.INVALID_REQUEST, "DispatchTaskRequest has no meta");
    }

    @Test
    void unsupportedMppVersion() {
        TaskMeta task = newQuery(1, node.address()).toBuilder().setMppVersion(99).build();
        refused(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))),
                ErrorCode.UNSUPPORTED_MPP_VERSION, "unsupported mpp_version 99", "this node accepts mpp_version [1]");

        TestingPacketCollector collector = TestingPacketCollector.readingAll();
        node.async().establishMPPConnection(establish(task, coordinatorOf(task, "127.0.0.1:1")), collector);
        MPPDataPacket packet = collector.awaitCompleted().getFirst();
        assertThat(packet.getError().getMsg()).contains("unsupported mpp_version 99", "[1]");
    }

    @Test
    void joinWhoseKeysCannotBeCompared() {
        TaskMeta task = newQuery(1, node.address());
        Executor join = Executor.newBuilder()
                .setExecutorId("join_2")
                .setJoin(io.mppnode.proto.plan.Join.newBuilder()
                        .addLeftKeys(io.mppnode.proto.plan.Expr.newBuilder().setColumn(io.mppnode.proto.plan.ColumnRef.newBuilder().setName("customer")))
                        .addRightKeys(io.mppnode.proto.plan.Expr.newBuilder().setColumn(io.mppnode.proto.plan.ColumnRef.newBuilder().setName("quantity"))))
                .addChildren(scan(SampleTables.SAMPLE_ORDERS_ID, List.of("customer")))
                .addChildren(scan(SampleTables.SAMPLE_ORDERS_ID, List.of("quantity")).toBuilder().setExecutorId("table_scan_1"))
                .build();
        refused(dispatch(task, sendTo(coordinatorOf(task, "127.0.0.1:1"), join)),
                ErrorCode.INVALID_PLAN, "executor 'join_2': join key 1 compares string with int32, which have no common type");
    }

    @Test
    void rootThatIsNotAnExchangeSender() {
        TaskMeta task = newQuery(1, node.address());
        refused(dispatch(task, Plan.newBuilder().setRoot(scan(SampleTables.SAMPLE_ORDERS_ID, List.of("order_id"))).build()),
                ErrorCode.INVALID_PLAN, "the root executor 'table_scan_0' must be an ExchangeSender, found TableScan");
    }

    @Test
    void queryMemoryLimitAboveTheNodes() {
        TaskMeta task = newQuery(1, node.address());
        Plan plan = sampleScan(coordinatorOf(task, "127.0.0.1:1")).toBuilder().setMemoryLimitBytes(Long.MAX_VALUE).build();
        refused(dispatch(task, plan), ErrorCode.INVALID_PLAN, "memory_limit_bytes", "above the node's limit");
    }

    @Test
    void establishWithoutMetas() {
        TestingPacketCollector collector = TestingPacketCollector.readingAll();
        node.async().establishMPPConnection(EstablishMPPConnectionRequest.getDefaultInstance(), collector);
        List<MPPDataPacket> packets = collector.awaitCompleted();
        assertThat(packets).hasSize(1);
        assertThat(packets.getFirst().getError().getMsg()).contains("needs both sender_meta and receiver_meta");
        assertServes(node);
    }

    @Test
    void cancelOfAnUnknownGatherNamesIt() {
        TaskMeta task = newQuery(1, node.address()).toBuilder().setGatherId(31337).build();
        var response = node.blocking().cancelMPPTask(CancelTaskRequest.newBuilder().setMeta(task).build());
        assertThat(response.getError().getCode()).isEqualTo(ErrorCode.GATHER_NOT_FOUND.code());
        assertThat(response.getError().getMsg()).contains("gather 31337 of query<", "has no task on this node");
        assertServes(node);
    }

    @Test
    void cancelWithoutMeta() {
        var response = node.blocking().cancelMPPTask(CancelTaskRequest.getDefaultInstance());
        assertThat(response.getError().getMsg()).contains("CancelTaskRequest has no meta");
    }

    @Test
    void reportForAQueryNotCoordinatedHereNamesIt() {
        TaskMeta task = newQuery(3, node.address()).toBuilder().setLocalQueryId(987654).build();
        ReportTaskStatusResponse response = node.blocking().reportMPPTaskStatus(ReportTaskStatusRequest.newBuilder().setMeta(task).build());
        assertThat(response.getError().getCode()).isEqualTo(ErrorCode.QUERY_NOT_FOUND.code());
        assertThat(response.getError().getMsg()).contains("no query query<", "local_query_id=987654", "is coordinated here");
    }
}
