package io.mppnode.server.task;

import static io.mppnode.server.Conditions.awaitTrue;
import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.establish;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sampleScan;
import static io.mppnode.server.TestingPlans.scan;
import static io.mppnode.server.TestingPlans.sendTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.packet.InboundPacket;
import org.apache.arrow.memory.ArrowBuf;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.CancelTaskResponse;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.IsAliveRequest;
import io.mppnode.proto.Mpp.IsAliveResponse;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The task lifecycle of DESIGN section 4, spoken over the real protocol to a node on loopback. */
class TaskLifecycleTest {
    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    @Test
    void isAliveAnswersAvailableWithTheMppVersion() {
        try (TestingNode node = TestingNode.start()) {
            IsAliveResponse response = node.blocking().isAlive(IsAliveRequest.getDefaultInstance());
            assertThat(response.getAvailable()).isTrue();
            assertThat(response.getMppVersion()).isEqualTo(MppVersions.CURRENT);
        }
    }

    @Test
    void dispatchThenEstablishStreamsRowsThenSummariesThenEnds() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            DispatchTaskResponse response = node.blocking().dispatchMPPTask(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))));
            assertThat(response.hasError()).as(response.getError().getMsg()).isFalse();

            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, coordinatorOf(task, "127.0.0.1:1")), collector);
            List<MPPDataPacket> packets = collector.awaitCompleted();

            assertThat(packets).allSatisfy(packet -> assertThat(packet.hasError()).isFalse());
            List<List<Object>> rows = decodeRows(packets, "task 1");
            assertThat(rows).hasSize(5);
            assertThat(rows.getFirst()).containsExactly(1L, "Customer#000000001", 17, new BigDecimal("21168.23"), 0.04, true,
                    LocalDate.of(1996, 1, 2), java.time.LocalDateTime.of(1996, 1, 2, 10, 30));
            assertThat(rows.get(3).get(1)).isEqualTo("Kunde#Ä-ß-東京");
            assertThat(rows.get(4)).containsExactly(5L, null, 24, null, null, null, null, null);

            MPPDataPacket last = packets.getLast();
            assertThat(last.getChunksCount()).isZero();
            ExecutionSummaries summaries = parse(last.getData());
            assertThat(summaries.getSummariesList()).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_1", "table_scan_0");
            assertThat(summaries.getSummariesList()).allSatisfy(summary -> assertThat(summary.getNumProducedRows()).isEqualTo(5));

            awaitTrue("the task leaves the registry", () -> node.node().tasks().taskCount() == 0);
            assertThat(node.node().tasks().queryCount()).isZero();
        }
    }

    @Test
    void establishBeforeDispatchWaitsForTheTask() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, coordinatorOf(task, "127.0.0.1:1")), collector);
            awaitTrue("the connection waits for its task", () -> node.node().tasks().waitingConnectionCount() == 1);
            assertThat(collector.isEnded()).isFalse();

            DispatchTaskResponse response = node.blocking().dispatchMPPTask(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))));
            assertThat(response.hasError()).as(response.getError().getMsg()).isFalse();

            List<MPPDataPacket> packets = collector.awaitCompleted();
            assertThat(decodeRows(packets, "task 1")).hasSize(5);
            assertThat(node.node().tasks().waitingConnectionCount()).isZero();
        }
    }

    @Test
    void establishForATaskThatNeverComesTimesOutInBand() {
        try (TestingNode node = TestingNode.start(Map.of("task-timeout", "300ms"))) {
            TaskMeta task = newQuery(7, node.address());
            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, coordinatorOf(task, "127.0.0.1:1")), collector);

            List<MPPDataPacket> packets = collector.awaitCompleted();
            assertThat(packets).hasSize(1);
            assertThat(packets.getFirst().getError().getCode()).isEqualTo(ErrorCode.TIMEOUT.code());
            assertThat(packets.getFirst().getError().getMsg()).contains("task 7", "was not dispatched to this node within 300 ms");
            assertThat(node.node().tasks().waitingConnectionCount()).isZero();
            assertServes(node);
        }
    }

    @Test
    void establishToAFinishedTaskGetsAnErrorAtOnce() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver)));
            TestingPacketCollector first = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), first);
            first.awaitCompleted();
            awaitTrue("the task leaves the registry", () -> node.node().tasks().taskCount() == 0);

            TestingPacketCollector second = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), second);
            List<MPPDataPacket> packets = second.awaitCompleted();
            assertThat(packets).hasSize(1);
            assertThat(packets.getFirst().getError().getCode()).isEqualTo(ErrorCode.TASK_ALREADY_DONE.code());
            assertThat(packets.getFirst().getError().getMsg()).contains("task 1", "has already ended (finished)");
        }
    }

    @Test
    void establishToAReceiverTheTaskDoesNotSendToIsRefused() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver)));

            TestingPacketCollector stranger = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, TestingPlansAccess.sibling(task, 99)), stranger);
            assertThat(stranger.awaitCompleted().getFirst().getError().getMsg()).contains("does not send to receiver task 99");

            TestingPacketCollector real = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), real);
            assertThat(decodeRows(real.awaitCompleted(), "task 1")).hasSize(5);
        }
    }

    @Test
    void duplicateDispatchIsRefused() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            assertThat(node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver))).hasError()).isFalse();

            DispatchTaskResponse again = node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver)));
            assertThat(again.getError().getCode()).isEqualTo(ErrorCode.DUPLICATE_TASK.code());
            assertThat(again.getError().getMsg()).contains("task 1", "was already dispatched to this node");

            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, receiver), collector);
            assertThat(decodeRows(collector.awaitCompleted(), "task 1")).hasSize(5);
        }
    }

    @Test
    void cancelBeforeDispatchIsRememberedAndTheLateDispatchRefused() {
        try (TestingNode node = TestingNode.start()) {
            TaskMeta task = newQuery(1, node.address());
            CancelTaskResponse cancel = node.blocking().cancelMPPTask(CancelTaskRequest.newBuilder().setMeta(task).build());
            assertThat(cancel.getError().getCode()).isEqualTo(ErrorCode.GATHER_NOT_FOUND.code());
            assertThat(cancel.getError().getMsg()).contains("gather 1 of query<", "has no task on this node", "remembered");

            DispatchTaskResponse late = node.blocking().dispatchMPPTask(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))));
            assertThat(late.getError().getCode()).isEqualTo(ErrorCode.QUERY_CANCELLED.code());
            assertThat(late.getError().getMsg()).contains("was cancelled before this task was dispatched");
            assertThat(node.node().tasks().taskCount()).isZero();
            assertThat(node.node().tasks().queryCount()).isZero();
            assertServes(node);
        }
    }

    @Test
    void cancelWhileStreamingSendsAnErrorPacketAndEmptiesTheRegistry() {
        try (TestingNode node = TestingNode.start(Map.of("tunnel-buffer-size", "64KiB"))) {
            node.node().catalog().add(bigTable(node.node().allocator(), 200_000));
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            node.blocking().dispatchMPPTask(dispatch(task, sendTo(receiver, scan(BIG_TABLE_ID, List.of("id", "name")))));

            TestingPacketCollector slow = TestingPacketCollector.reading(1);
            node.async().establishMPPConnection(establish(task, receiver), slow);
            awaitTrue("the first packet arrives", () -> slow.packets().size() == 1);
            // The receiver reads no more: the sender fills its bounded buffer and waits, still registered.
            assertThat(node.node().tasks().taskCount()).isEqualTo(1);

            CancelTaskResponse cancel = node.blocking().cancelMPPTask(CancelTaskRequest.newBuilder().setMeta(task).build());
            assertThat(cancel.hasError()).as(cancel.getError().getMsg()).isFalse();

            slow.request(Integer.MAX_VALUE);
            List<MPPDataPacket> packets = slow.awaitCompleted();
            MPPDataPacket last = packets.getLast();
            assertThat(last.getError().getCode()).isEqualTo(ErrorCode.QUERY_CANCELLED.code());
            assertThat(last.getError().getMsg()).contains("was cancelled", "cancelled by the coordinator");
            int rowsSent = decodeRows(packets.subList(0, packets.size() - 1), "task 1").size();
            assertThat(rowsSent).isLessThan(200_000);

            awaitTrue("the registry is empty", () -> node.node().tasks().taskCount() == 0);
            assertThat(node.node().tasks().queryCount()).isZero();
            DispatchTaskResponse late = node.blocking().dispatchMPPTask(dispatch(TestingPlansAccess.sibling(task, 2), sampleScan(receiver)));
            assertThat(late.getError().getMsg()).contains("was cancelled");
            assertServes(node);
        }
    }

    @Test
    void receiverThatGoesAwayFailsTheTaskAndFreesIt() {
        try (TestingNode node = TestingNode.start(Map.of("tunnel-buffer-size", "64KiB"))) {
            node.node().catalog().add(bigTable(node.node().allocator(), 200_000));
            TaskMeta task = newQuery(1, node.address());
            TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
            node.blocking().dispatchMPPTask(dispatch(task, sendTo(receiver, scan(BIG_TABLE_ID, List.of("id", "name")))));

            TestingPacketCollector quitter = TestingPacketCollector.reading(1);
            node.async().establishMPPConnection(establish(task, receiver), quitter);
            awaitTrue("the first packet arrives", () -> quitter.packets().size() == 1);
            quitter.cancel();

            awaitTrue("the registry is empty", () -> node.node().tasks().taskCount() == 0);
            assertServes(node);
        }
    }

    @Test
    void receiversThatNeverConnectFailTheTaskAfterTheTimeout() {
        try (TestingNode node = TestingNode.start(Map.of("task-timeout", "200ms"))) {
            TaskMeta task = newQuery(1, node.address());
            node.blocking().dispatchMPPTask(dispatch(task, sampleScan(coordinatorOf(task, "127.0.0.1:1"))));
            awaitTrue("the task fails and leaves", () -> node.node().tasks().taskCount() == 0);

            TestingPacketCollector late = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(task, coordinatorOf(task, "127.0.0.1:1")), late);
            MPPDataPacket packet = late.awaitCompleted().getFirst();
            assertThat(packet.getError().getMsg()).contains("failed", "did not connect within 200 ms");
        }
    }

    static final long BIG_TABLE_ID = 77;

    static Table bigTable(BufferAllocator allocator, int rows) {
        Table.Builder builder = Table.builder(BIG_TABLE_ID, "big")
                .column("id", ColumnTypes.of(TypeKind.INT64))
                .column("name", ColumnTypes.of(TypeKind.STRING));
        for (long i = 0; i < rows; i++) {
            builder.row(i, "row number " + i);
        }
        return builder.build(allocator);
    }

    /** A good query still runs: the node keeps serving. */
    static void assertServes(TestingNode node) {
        TaskMeta task = newQuery(1, node.address());
        TaskMeta receiver = coordinatorOf(task, "127.0.0.1:1");
        DispatchTaskResponse response = node.blocking().dispatchMPPTask(dispatch(task, sampleScan(receiver)));
        assertThat(response.hasError()).as(response.getError().getMsg()).isFalse();
        TestingPacketCollector collector = TestingPacketCollector.readingAll();
        node.async().establishMPPConnection(establish(task, receiver), collector);
        List<MPPDataPacket> packets = collector.awaitCompleted();
        try (RootAllocator allocator = new RootAllocator()) {
            assertThat(decodeRows(allocator, packets, "check")).hasSize(5);
        }
    }

    private List<List<Object>> decodeRows(List<MPPDataPacket> packets, String source) {
        return decodeRows(allocator, packets, source);
    }

    static List<List<Object>> decodeRows(BufferAllocator allocator, List<MPPDataPacket> packets, String source) {
        ChunkDecoder decoder = new ChunkDecoder(allocator, source);
        List<List<Object>> rows = new ArrayList<>();
        for (MPPDataPacket packet : packets) {
            if (packet.getChunksCount() > 0) {
                assertThat(packet.getVersion()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            }
            try (InboundPacket inbound = InboundPacket.fromProto(packet, allocator)) {
                for (ArrowBuf chunk : inbound.chunks()) {
                    try (VectorSchemaRoot batch = decoder.decode(chunk)) {
                        if (batch == null) {
                            continue;
                        }
                        rows.addAll(ArrowValues.rows(batch));
                    }
                }
            }
        }
        return rows;
    }

    private static ExecutionSummaries parse(ByteString data) {
        try {
            return ExecutionSummaries.parseFrom(data);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** Another task of the same gather as {@code meta}, on the same address. */
    static final class TestingPlansAccess {
        static TaskMeta sibling(TaskMeta meta, long taskId) {
            return io.mppnode.server.TestingPlans.sibling(meta, taskId, meta.getAddress());
        }
    }
}
