package io.mppnode.server.task;

import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.establish;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sampleScan;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.error.ErrorCode;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.IsAliveRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: IsAlive says unavailable while running tasks drain, then the node stops. */
class ShutdownTest {
    @Test
    void isAliveIsFalseWhileRunningTasksDrain() throws Exception {
        try (TestingNode node = TestingNode.start(Map.of("task-timeout", "60s", "shutdown-timeout", "60s"))) {
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            assertThat(node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver))).hasError()).isFalse();

            CompletableFuture<Void> stopped = node.node().shutdownGracefully();
            assertThat(node.blocking().isAlive(IsAliveRequest.getDefaultInstance()).getAvailable()).isFalse();
            DispatchTaskResponse refused = node.blocking().dispatchMPPTask(dispatch(newQuery(1, node.address()), sampleScan(receiver)));
            assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN.code());
            assertThat(refused.getError().getMsg()).contains("shutting down");
            assertThat(stopped).isNotDone();

            // The running task still drains to its receiver.
            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), collector);
            List<MPPDataPacket> packets = collector.awaitCompleted();
            assertThat(packets).noneSatisfy(packet -> assertThat(packet.hasError()).isTrue());
            try (var allocator = new org.apache.arrow.memory.RootAllocator()) {
                assertThat(TaskLifecycleTest.decodeRows(allocator, packets, "task 1")).hasSize(5);
            }
            stopped.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void tasksThatDoNotDrainInTimeFailWithShuttingDown() throws Exception {
        try (TestingNode node = TestingNode.start(Map.of("task-timeout", "60s", "shutdown-timeout", "300ms", "tunnel-buffer-size", "64KiB"))) {
            node.node().catalog().add(TaskLifecycleTest.bigTable(node.node().allocator(), 200_000));
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            node.blocking().dispatchMPPTask(dispatch(task, io.mppnode.server.TestingPlans.sendTo(receiver,
                    io.mppnode.server.TestingPlans.scan(TaskLifecycleTest.BIG_TABLE_ID, List.of("id", "name")))));
            TestingPacketCollector slow = TestingPacketCollector.reading(1);
            node.async().establishMPPConnection(establish(task, receiver), slow);
            io.mppnode.server.Conditions.awaitTrue("first packet", () -> slow.packets().size() == 1);

            CompletableFuture<Void> stopped = node.node().shutdownGracefully();
            // The receiver reads nothing more, so the task cannot drain; after the shutdown timeout it is failed.
            io.mppnode.server.Conditions.awaitTrue("the task is failed and released", () -> node.node().tasks().taskCount() == 0);
            slow.request(Integer.MAX_VALUE);
            List<MPPDataPacket> packets = slow.awaitCompleted();
            assertThat(packets.getLast().getError().getCode()).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN.code());
            assertThat(packets.getLast().getError().getMsg()).contains("the node is shutting down");
            stopped.get(30, TimeUnit.SECONDS);
        }
    }
}
