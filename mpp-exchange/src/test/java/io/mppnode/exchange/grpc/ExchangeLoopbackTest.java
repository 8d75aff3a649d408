package io.mppnode.exchange.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.codec.TestingBatchesAccess;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.TikvGrpc;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The marshallers over a real gRPC connection (Netty, loopback): batches round-trip under the
 * production settings ({@link ExchangeTransport}) and under gRPC's defaults, stock clients read
 * our server, our client reads stock servers, and the counters show the route taken: on send
 * every packet went to Netty as one direct buffer (no fallback), on receive every chunk was
 * wrapped or copied once from gRPC's buffers.
 */
class ExchangeLoopbackTest {
    private static final long STREAM = 5;
    private static final int BIG_ROWS = 20_000;

    private BufferAllocator senderAllocator;
    private BufferAllocator receiverAllocator;

    @BeforeEach
    void setUp() {
        senderAllocator = new RootAllocator();
        receiverAllocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        // Each fails the test on a leak.
        receiverAllocator.close();
        senderAllocator.close();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void batchesRoundTripThroughOurServerAndClient(Compression compression) throws Exception {
        List<OutboundPacket> packets = batchPackets(new ChunkEncoder(compression));
        long chunks = packets.stream().mapToLong(packet -> packet.chunks().size()).sum();
        // Send buffers from a pool without thread caches, so its counts show every buffer returned.
        PooledByteBufAllocator sendBuffers = new PooledByteBufAllocator(true, 0, 1, 8192, 11, 0, 0, false);
        OutboundPacketMarshaller sender = new OutboundPacketMarshaller(sendBuffers, null);
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        ChunkDecoder decoder = new ChunkDecoder(receiverAllocator, "loopback sender");
        List<List<Object>> received = new ArrayList<>();
        List<String> data = new ArrayList<>();

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(sender, request -> packets.iterator())) {
            status = TestingPacketReceiver.receiveAll(server.channel(), receiver, packet -> {
                data.add(packet.data().toStringUtf8());
                for (int i = 0; i < packet.chunks().size(); i++) {
                    assertThat(packet.streamId(i)).isEqualTo(STREAM);
                    try (VectorSchemaRoot batch = decoder.decode(packet.chunks().get(i))) {
                        if (batch != null) {
                            received.addAll(TestingBatchesAccess.rows(batch));
                        }
                    }
                }
            });
        }

        assertThat(status.isOk()).as(status.toString()).isTrue();
        assertThat(received).isEqualTo(expectedRows());
        assertThat(data).containsExactly("", "", "", "execution summaries");
        assertThat(sender.zeroCopyWrites()).isEqualTo(packets.size());
        assertThat(sender.fallbackWrites()).isZero();
        // Every chunk came from gRPC's buffers: wrapped, or copied once. (gRPC merges a run of
        // pieces under 1 KiB into a heap array and then offers no buffers for the message; that
        // would need two tiny frames in a row, which the large frames of these settings avoid.)
        assertThat(receiver.wrappedChunks() + receiver.copiedChunks()).isEqualTo(chunks);
        assertThat(receiver.streamedChunks()).isZero();
        assertThat(packets).allMatch(OutboundPacket::isClosed);
        PoolArenaMetric arena = sendBuffers.metric().directArenas().getFirst();
        assertThat(arena.numAllocations()).as("one send buffer per packet").isEqualTo(packets.size());
        assertThat(arena.numActiveAllocations()).as("gRPC released every send buffer").isZero();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void batchesSentFromArrowMemoryRoundTrip(Compression compression) throws Exception {
        List<OutboundPacket> packets = batchPackets(new ChunkEncoder(compression), senderAllocator);
        long inPlace = packets.stream().filter(ExchangeLoopbackTest::hasLargeBuffer).count();
        PooledByteBufAllocator sendBuffers = new PooledByteBufAllocator(true, 0, 1, 8192, 11, 0, 0, false);
        BufferAllocator wire = senderAllocator.newChildAllocator("wire", 0, Long.MAX_VALUE);
        OutboundPacketMarshaller sender = new OutboundPacketMarshaller(sendBuffers, wire);
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        ChunkDecoder decoder = new ChunkDecoder(receiverAllocator, "loopback sender");
        List<List<Object>> received = new ArrayList<>();

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(sender, request -> packets.iterator())) {
            status = TestingPacketReceiver.receiveAll(server.channel(), receiver, packet -> {
                decodeAll(decoder, packet, received);
            });
        }

        assertThat(status.isOk()).as(status.toString()).isTrue();
        assertThat(received).isEqualTo(expectedRows());
        assertThat(inPlace).as("the big batch has buffers of 16 KiB or more").isPositive();
        assertThat(sender.inPlaceWrites()).isEqualTo(inPlace);
        assertThat(sender.zeroCopyWrites()).isEqualTo(packets.size() - inPlace);
        assertThat(sender.fallbackWrites()).isZero();
        assertThat(packets).allMatch(OutboundPacket::isClosed);
        assertThat(sendBuffers.metric().directArenas().getFirst().numActiveAllocations()).as("gRPC released every send buffer").isZero();
        assertThat(wire.getAllocatedMemory()).as("Netty released every Arrow reference").isZero();
        wire.close();
    }

    @Test
    void aTaskMayEndWhileItsBytesAreStillOnTheWire() throws Exception {
        // The receiver takes the first packet and stops reading; with a 64 KiB window the big
        // batch cannot all leave. The sending task closes its allocator meanwhile: the bytes
        // still to write are held by the wire allocator, not the task's, and arrive intact.
        BufferAllocator task = senderAllocator.newChildAllocator("task", 0, Long.MAX_VALUE);
        BufferAllocator wire = senderAllocator.newChildAllocator("wire", 0, Long.MAX_VALUE);
        List<OutboundPacket> packets = batchPackets(new ChunkEncoder(Compression.NONE), task);
        OutboundPacketMarshaller sender = new OutboundPacketMarshaller(wire);
        CompletableFuture<Long> taskEnded = new CompletableFuture<>();
        ServerServiceDefinition service = ServerServiceDefinition.builder("tikvpb.Tikv")
                .addMethod(ExchangeMethods.establishMppConnectionServer(sender), ServerCalls.asyncServerStreamingCall((request, observer) -> {
                    try {
                        packets.forEach(observer::onNext);
                        observer.onCompleted();
                        task.close();
                        taskEnded.complete(wire.getAllocatedMemory());
                    } catch (RuntimeException e) {
                        taskEnded.completeExceptionally(e);
                    }
                }))
                .build();
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        ChunkDecoder decoder = new ChunkDecoder(receiverAllocator, "loopback sender");
        List<List<Object>> received = new ArrayList<>();

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(service, true)) {
            ManagedChannel narrow = ExchangeTransport.configurePlaintextChannel(NettyChannelBuilder.forAddress("127.0.0.1", server.port()))
                    .flowControlWindow(64 << 10)
                    .maxInboundMessageSize(TestingExchangeServer.MAX_MESSAGE_SIZE)
                    .build();
            try {
                status = TestingPacketReceiver.receiveAll(narrow, receiver, packet -> {
                    assertThat(taskEnded).succeedsWithin(Duration.ofMinutes(1))
                            .as("bytes held for the wire once the task ended")
                            .isNotEqualTo(0L);
                    decodeAll(decoder, packet, received);
                });
            } finally {
                narrow.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }

        assertThat(status.isOk()).as(status.toString()).isTrue();
        assertThat(received).isEqualTo(expectedRows());
        assertThat(sender.inPlaceWrites()).isPositive();
        assertThat(wire.getAllocatedMemory()).isZero();
        wire.close();
    }

    /** Decodes every chunk of {@code packet}, adding the rows of its batches to {@code rows}. */
    private static void decodeAll(ChunkDecoder decoder, InboundPacket packet, List<List<Object>> rows) {
        for (ArrowBuf chunk : packet.chunks()) {
            try (VectorSchemaRoot batch = decoder.decode(chunk)) {
                if (batch != null) {
                    rows.addAll(TestingBatchesAccess.rows(batch));
                }
            }
        }
    }

    private static boolean hasLargeBuffer(OutboundPacket packet) {
        for (EncodedChunk chunk : packet.chunks()) {
            for (int i = 0; i < chunk.segmentCount(); i++) {
                if (chunk.segment(i).isDirect() && chunk.segment(i).remaining() >= WirePacketBuffer.WRAP_THRESHOLD) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void largeFramesAreAvailable() {
        // The hook into Netty behind ExchangeTransport's frame size; a Netty upgrade may move it.
        assertThat(ExchangeTransport.largeFramesSupported()).isTrue();
    }

    @Test
    void batchesRoundTripOverAStockChannel() throws Exception {
        // gRPC's default settings: 16 KiB frames, so the big batch is copied from many buffers.
        List<OutboundPacket> packets = batchPackets(new ChunkEncoder(Compression.NONE));
        long chunks = packets.stream().mapToLong(packet -> packet.chunks().size()).sum();
        OutboundPacketMarshaller sender = new OutboundPacketMarshaller();
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        ChunkDecoder decoder = new ChunkDecoder(receiverAllocator, "loopback sender");
        List<List<Object>> received = new ArrayList<>();

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(sender, request -> packets.iterator())) {
            status = TestingPacketReceiver.receiveAll(server.stockChannel(), receiver, packet -> {
                decodeAll(decoder, packet, received);
            });
        }

        assertThat(status.isOk()).as(status.toString()).isTrue();
        assertThat(received).isEqualTo(expectedRows());
        assertThat(sender.fallbackWrites()).isZero();
        assertThat(receiver.wrappedChunks() + receiver.copiedChunks() + receiver.streamedChunks()).isEqualTo(chunks);
        assertThat(receiver.copiedChunks()).as("the big batch spans 16 KiB frames").isPositive();
    }

    @Test
    void aStockClientReadsOurServer() throws Exception {
        List<OutboundPacket> packets = batchPackets(new ChunkEncoder(Compression.LZ4_FRAME));
        packets.add(OutboundPacket.ofError(TestingPackets.error()));
        List<MPPDataPacket> expected = packets.stream().map(OutboundPacket::toProto).toList();
        OutboundPacketMarshaller sender = new OutboundPacketMarshaller();
        List<MPPDataPacket> received = new ArrayList<>();

        try (TestingExchangeServer server = TestingExchangeServer.serving(sender, request -> packets.iterator())) {
            Iterator<MPPDataPacket> stream = TikvGrpc.newBlockingStub(server.stockChannel())
                    .withMaxInboundMessageSize(TestingExchangeServer.MAX_MESSAGE_SIZE)
                    .establishMPPConnection(TestingPacketReceiver.request());
            stream.forEachRemaining(received::add);
        }

        assertThat(received).isEqualTo(expected);
        assertThat(sender.fallbackWrites()).isZero();
    }

    @Test
    void ourClientReadsAStockServer() throws Exception {
        Random random = new Random(42);
        List<MPPDataPacket> expected = new ArrayList<>();
        for (int size : new int[] {100, 10_000, 300_000, 2_000_000}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            expected.add(MPPDataPacket.newBuilder()
                    .setVersion(PacketFormat.ARROW_IPC_V1)
                    .addChunks(ByteString.copyFrom(bytes))
                    .addChunks(ByteString.copyFromUtf8("a small second chunk"))
                    .addAllStreamIds(List.of(1L, (long) size))
                    .build());
        }
        expected.add(MPPDataPacket.newBuilder().setError(TestingPackets.error()).build());
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        List<MPPDataPacket> received = new ArrayList<>();
        TikvGrpc.TikvImplBase stock = new TikvGrpc.TikvImplBase() {
            @Override
            public void establishMPPConnection(EstablishMPPConnectionRequest request, StreamObserver<MPPDataPacket> observer) {
                expected.forEach(observer::onNext);
                observer.onCompleted();
            }
        };

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(stock)) {
            status = TestingPacketReceiver.receiveAll(server.channel(), receiver, packet -> {
                for (ArrowBuf chunk : packet.chunks()) {
                    assertThat(chunk.capacity()).isEqualTo(chunk.writerIndex());
                }
                received.add(TestingPackets.toProto(packet));
            });
        }

        assertThat(status.isOk()).as(status.toString()).isTrue();
        assertThat(received).isEqualTo(expected);
        assertThat(receiver.wrappedChunks() + receiver.copiedChunks() + receiver.streamedChunks()).isEqualTo(8);
    }

    @Test
    void aMalformedPacketFailsTheCallWithTheParseErrorAndLeaksNothing() throws Exception {
        // A server that writes raw bytes under the method's name: one good packet, then a chunk
        // that claims more bytes than the message holds.
        MethodDescriptor<EstablishMPPConnectionRequest, byte[]> raw = TikvGrpc.getEstablishMPPConnectionMethod()
                .toBuilder(ProtoUtils.marshaller(EstablishMPPConnectionRequest.getDefaultInstance()), new RawBytes())
                .build();
        byte[] good = MPPDataPacket.newBuilder().addChunks(ByteString.copyFromUtf8("fine")).build().toByteArray();
        byte[] bad = HexFormat.of().parseHex("1a640102");
        ServerServiceDefinition service = ServerServiceDefinition.builder("tikvpb.Tikv")
                .addMethod(raw, ServerCalls.asyncServerStreamingCall((request, observer) -> {
                    observer.onNext(good);
                    observer.onNext(bad);
                    observer.onCompleted();
                }))
                .build();
        InboundPacketMarshaller receiver = new InboundPacketMarshaller(receiverAllocator);
        List<String> received = new ArrayList<>();

        Status status;
        try (TestingExchangeServer server = TestingExchangeServer.serving(service)) {
            status = TestingPacketReceiver.receiveAll(server.channel(), receiver,
                    packet -> received.add(new String(TestingPackets.bytes(packet.chunks().getFirst()))));
        }

        assertThat(received).containsExactly("fine");
        assertThat(status.isOk()).isFalse();
        assertThat(status.getCause())
                .isInstanceOf(MppException.class)
                .hasMessageContaining("malformed MPPDataPacket: field 3 claims 100 bytes but only 2 remain");
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
    }

    /** Schema and batches of every type on one stream over three packets, the last batch spanning many HTTP/2 frames, then a data-only packet. */
    private List<OutboundPacket> batchPackets(ChunkEncoder encoder) {
        return batchPackets(encoder, senderAllocator);
    }

    private static List<OutboundPacket> batchPackets(ChunkEncoder encoder, BufferAllocator allocator) {
        List<EncodedChunk> chunks = new ArrayList<>();
        chunks.add(encoder.encodeSchema(TestingBatchesAccess.ALL_TYPES));
        for (List<Object[]> rows : batchRows()) {
            try (VectorSchemaRoot batch = TestingBatchesAccess.batch(allocator, TestingBatchesAccess.ALL_TYPES, rows)) {
                chunks.add(encoder.encodeBatch(batch));
            }
        }
        List<OutboundPacket> packets = new ArrayList<>();
        packets.add(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks.subList(0, 2), new long[] {STREAM, STREAM}));
        packets.add(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks.subList(2, 4), new long[] {STREAM, STREAM}));
        packets.add(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks.subList(4, 5), new long[] {STREAM}));
        packets.add(OutboundPacket.ofData(PacketFormat.ARROW_IPC_V1, ByteString.copyFromUtf8("execution summaries")));
        return packets;
    }

    private static List<List<Object[]>> batchRows() {
        List<Object[]> big = new ArrayList<>();
        for (int row = 0; row < BIG_ROWS; row++) {
            big.add(row % 7 == 3 ? TestingBatchesAccess.nullRow() : TestingBatchesAccess.fullRow(100_000 + row));
        }
        return List.of(TestingPackets.rows(0), TestingPackets.rows(1), TestingPackets.rows(2), big);
    }

    private static List<List<Object>> expectedRows() {
        List<List<Object>> rows = new ArrayList<>();
        batchRows().forEach(batch -> rows.addAll(TestingBatchesAccess.asLists(batch)));
        return rows;
    }

    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
