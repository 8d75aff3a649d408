package io.mppnode.server.task;

import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.establish;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sampleScan;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.error.ErrorCode;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import io.mppnode.server.TestingTikvServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node calls ReportMPPTaskStatus on the task's coordinator_address: a test coordinator records it. */
class StatusReportTest {
    @Test
    void reportsSummariesOutOfBandWhenAsked() throws Exception {
        try (TestingNode node = TestingNode.start(); TestingTikvServer coordinator = new TestingTikvServer()) {
            TaskMeta task = newQuery(1, node.address()).toBuilder()
                    .setCoordinatorAddress(coordinator.address())
                    .setReportExecutionSummary(true)
                    .build();
            TaskMeta receiver = coordinatorOf(task, coordinator.address());
            assertThat(node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver))).hasError()).isFalse();
            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), collector);
            List<MPPDataPacket> packets = collector.awaitCompleted();
            assertThat(packets).as("no summaries in band").allSatisfy(packet -> assertThat(packet.getData().isEmpty()).isTrue());

            ReportTaskStatusRequest report = TestingTikvServer.next(coordinator.reports);
            assertThat(report.getMeta().getTaskId()).isEqualTo(1);
            assertThat(report.hasError()).isFalse();
            ExecutionSummaries summaries = ExecutionSummaries.parseFrom(report.getData());
            assertThat(summaries.getSummariesList()).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_1", "table_scan_0");
            assertThat(summaries.getSummaries(1).getNumProducedRows()).isEqualTo(5);
            assertThat(summaries.getSummaries(1).getPeakMemoryBytes()).isPositive();
        }
    }

    @Test
    void reportsAFailureWithItsError() {
        try (TestingNode node = TestingNode.start(Map.of("task-timeout", "200ms")); TestingTikvServer coordinator = new TestingTikvServer()) {
            TaskMeta task = newQuery(5, node.address()).toBuilder().setCoordinatorAddress(coordinator.address()).build();
            node.blocking().dispatchMPPTask(dispatch(task, sampleScan(coordinatorOf(task, coordinator.address()))));
            // Nobody connects: the task fails after the timeout and says so to its coordinator.
            ReportTaskStatusRequest report = TestingTikvServer.next(coordinator.reports);
            assertThat(report.getMeta().getTaskId()).isEqualTo(5);
            assertThat(report.getError().getCode()).isEqualTo(ErrorCode.TIMEOUT.code());
            assertThat(report.getError().getMsg()).contains("did not connect within 200 ms");
        }
    }

    @Test
    void aFinishedTaskWithoutTheFlagDoesNotReport() {
        try (TestingNode node = TestingNode.start(); TestingTikvServer coordinator = new TestingTikvServer()) {
            TaskMeta task = newQuery(1, node.address()).toBuilder().setCoordinatorAddress(coordinator.address()).build();
            TaskMeta receiver = coordinatorOf(task, coordinator.address());
            node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver)));
            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), collector);
            assertThat(collector.awaitCompleted().getLast().getData().isEmpty()).as("summaries in band").isFalse();
            io.mppnode.server.Conditions.awaitTrue("task ended", () -> node.node().tasks().taskCount() == 0);
            // A failing task of another query reports; the queue's first report is that one, not the finished task's.
            TaskMeta failing = newQuery(9, node.address()).toBuilder().setCoordinatorAddress(coordinator.address()).build();
            node.blocking().dispatchMPPTask(dispatch(failing, sampleScan(coordinatorOf(failing, coordinator.address())))
                    .toBuilder().setTimeout(1).build());
            assertThat(TestingTikvServer.next(coordinator.reports).getMeta().getTaskId()).isEqualTo(9);
        }
    }
}
