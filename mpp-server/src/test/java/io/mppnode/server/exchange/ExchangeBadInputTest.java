package io.mppnode.server.exchange;

import static io.mppnode.server.Conditions.awaitTrue;
import static io.mppnode.server.TestingPlans.coordinatorOf;
import static io.mppnode.server.TestingPlans.dispatch;
import static io.mppnode.server.TestingPlans.establish;
import static io.mppnode.server.TestingPlans.newQuery;
import static io.mppnode.server.TestingPlans.sampleScan;
import static io.mppnode.server.TestingPlans.sendTo;
import static io.mppnode.server.TestingPlans.sibling;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPacketCollector;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A receiving task on a real node reading from a sender that sends bad data (a stock gRPC server
 * under the test's control): the task fails with an error naming the source and the problem, its
 * memory is released, and the node keeps serving.
 */
class ExchangeBadInputTest {
    private static final Schema SCHEMA = new Schema(List.of(
            new org.apache.arrow.vector.types.pojo.Field("order_id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new org.apache.arrow.vector.types.pojo.Field("customer", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
    private static final List<Field> PLAN_SCHEMA = List.of(
            Field.newBuilder().setName("order_id").setType(ColumnTypes.of(TypeKind.INT64)).build(),
            Field.newBuilder().setName("customer").setType(ColumnTypes.of(TypeKind.STRING)).build());

    private BufferAllocator allocator;
    private MPPDataPacket schemaPacket;
    private MPPDataPacket batchPacket;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        schemaPacket = proto(List.of(encoder.encodeSchema(SCHEMA)), new long[0]);
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator)) {
            ((BigIntVector) batch.getVector(0)).setSafe(0, 7);
            ((VarCharVector) batch.getVector(1)).setSafe(0, "Customer#7".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            batch.setRowCount(1);
            batchPacket = proto(List.of(encoder.encodeBatch(batch)), new long[0]);
        }
    }

    @AfterEach
    void tearDown() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void aGoodSenderIsReadToTheEnd() {
        assertReceives(List.of(schemaPacket, batchPacket), false, null);
    }

    @Test
    void aTruncatedChunk() {
        ByteString chunk = batchPacket.getChunks(0);
        assertReceives(List.of(schemaPacket, batchPacket.toBuilder().setChunks(0, chunk.substring(0, chunk.size() / 2)).build()),
                false, "bad data packet from task 7 at ");
    }

    @Test
    void aChunkThatIsNotArrowIpc() {
        assertReceives(List.of(schemaPacket, batchPacket.toBuilder()
                        .setChunks(0, ByteString.copyFromUtf8("this is not an Arrow IPC message at all")).build()),
                false, "bad data packet from task 7 at ");
    }

    @Test
    void aSchemaThatDoesNotMatchTheReceivers() {
        Schema other = new Schema(List.of(SCHEMA.getFields().get(1), SCHEMA.getFields().get(0)));
        assertReceives(List.of(proto(List.of(new ChunkEncoder(Compression.NONE).encodeSchema(other)), new long[0])),
                false, "its schema does not match the receiver's");
    }

    @Test
    void anUnknownVersion() {
        assertReceives(List.of(schemaPacket.toBuilder().setVersion(7).build()), false, "unknown data packet version 7");
    }

    @Test
    void streamIdsWhoseCountDiffersFromTheChunks() {
        assertReceives(List.of(schemaPacket.toBuilder().addStreamIds(0).addStreamIds(1).build()), false,
                "2 stream_ids for 1 chunks");
    }

    @Test
    void aSenderThatDisappearsMidStream() {
        assertReceives(List.of(schemaPacket, batchPacket), true, "broke after data had arrived");
    }

    /**
     * Dispatches a receiving task reading from a sender at a {@link TestingSenderServer} that
     * sends {@code packets}, collects what the task sends on, and checks that it either got
     * every row (problem null) or failed naming the source and the problem, released
     * everything, and that the node then runs a normal query.
     */
    private void assertReceives(List<MPPDataPacket> packets, boolean breakAfter, String problem) {
        try (TestingSenderServer sender = new TestingSenderServer(packets, breakAfter); TestingNode node = TestingNode.start()) {
            TaskMeta receiving = newQuery(1, node.address());
            TaskMeta source = sibling(receiving, 7, sender.address());
            TaskMeta coordinator = coordinatorOf(receiving, "127.0.0.1:1");
            Executor receive = Executor.newBuilder().setExecutorId("exchange_receiver_0")
                    .setExchangeReceiver(ExchangeReceiver.newBuilder().addSenders(source).addAllSchema(PLAN_SCHEMA)).build();
            DispatchTaskResponse response = node.blocking().dispatchMPPTask(dispatch(receiving, sendTo(coordinator, receive)));
            assertThat(response.hasError()).as(response.getError().getMsg()).isFalse();

            TestingPacketCollector collector = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(receiving, coordinator), collector);
            List<MPPDataPacket> received = collector.awaitCompleted();
            if (problem == null) {
                assertThat(received).noneMatch(MPPDataPacket::hasError);
                assertThat(received.stream().mapToInt(MPPDataPacket::getChunksCount).sum()).isEqualTo(2);
            } else {
                assertThat(received).last().satisfies(packet -> {
                    assertThat(packet.hasError()).isTrue();
                    assertThat(packet.getError().getMsg())
                            .contains("task 7 at " + sender.address())
                            .contains(problem);
                });
            }
            awaitTrue("the task ended and its memory was released", () -> node.node().tasks().taskCount() == 0
                    && node.node().tasks().queryCount() == 0);

            // The node keeps serving.
            TaskMeta next = newQuery(1, node.address());
            TaskMeta nextCoordinator = coordinatorOf(next, "127.0.0.1:1");
            assertThat(node.blocking().dispatchMPPTask(dispatch(next, sampleScan(nextCoordinator))).hasError()).isFalse();
            TestingPacketCollector rows = TestingPacketCollector.readingAll();
            node.async().establishMPPConnection(establish(next, nextCoordinator), rows);
            assertThat(rows.awaitCompleted()).noneMatch(MPPDataPacket::hasError);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static MPPDataPacket proto(List<EncodedChunk> chunks, long[] streamIds) {
        try (OutboundPacket packet = OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks, streamIds)) {
            return packet.toProto();
        }
    }
}
