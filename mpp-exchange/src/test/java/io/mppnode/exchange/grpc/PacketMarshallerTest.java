package io.mppnode.exchange.grpc;

import static io.mppnode.exchange.grpc.TestingPackets.assertSameContent;
import static io.mppnode.exchange.grpc.TestingPackets.grpcMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.codec.TestingBatchesAccess;
import io.mppnode.exchange.grpc.TestingPackets.GrpcMessage;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The marshallers against the stock protobuf encoding, without a network: our bytes are the
 * stock encoder's, byte for byte; stock bytes (as a plain stream, and as gRPC's own buffer
 * stream cut at every kind of place) parse to the same content; malformed input fails clearly
 * and leaks nothing.
 */
class PacketMarshallerTest {
    private BufferAllocator allocator;
    private final ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        // Fails the test on a leak.
        allocator.close();
    }

    enum Shape {
        CHUNKS_WITH_STREAM_IDS,
        ERROR_ONLY,
        DATA_ONLY,
        EMPTY,
        EVERYTHING;

        OutboundPacket build(BufferAllocator allocator, ChunkEncoder encoder) {
            return switch (this) {
                case CHUNKS_WITH_STREAM_IDS -> TestingPackets.allTypesPacket(allocator, encoder, 3);
                case ERROR_ONLY -> OutboundPacket.ofError(TestingPackets.error());
                case DATA_ONLY -> OutboundPacket.ofData(PacketFormat.ARROW_IPC_V1, ByteString.copyFromUtf8("execution summaries"));
                case EMPTY -> new OutboundPacket(0, List.of(), new long[0], ByteString.EMPTY, null);
                case EVERYTHING -> {
                    // A negative version and a stream id above Long.MAX_VALUE take 10-byte varints.
                    try (OutboundPacket chunks = TestingPackets.allTypesPacket(allocator, encoder, 1)) {
                        List<EncodedChunk> retained = new ArrayList<>();
                        chunks.chunks().forEach(chunk -> retained.add(chunk.retain()));
                        yield new OutboundPacket(-5, retained, new long[] {-1L, 0}, ByteString.copyFromUtf8("summary"), TestingPackets.error());
                    }
                }
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void streamedBytesAreTheStockEncoding(Shape shape) throws IOException {
        OutboundPacket packet = shape.build(allocator, encoder);
        MPPDataPacket expected = packet.toProto();
        OutboundPacketMarshaller marshaller = new OutboundPacketMarshaller();

        byte[] bytes;
        try (InputStream stream = marshaller.stream(packet)) {
            assertThat(stream.available()).isEqualTo(expected.getSerializedSize());
            bytes = stream.readAllBytes();
        }

        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(HexFormat.of().formatHex(expected.toByteArray()));
        assertThat(MPPDataPacket.parseFrom(bytes)).isEqualTo(expected);
        assertThat(packet.serializedSize()).isEqualTo(bytes.length);
        assertThat(packet.isClosed()).as("read to the end releases the packet").isTrue();
    }

    @Test
    void byteByByteReadsGiveTheSameBytes() throws IOException {
        OutboundPacket packet = Shape.EVERYTHING.build(allocator, encoder);
        byte[] expected = packet.toProto().toByteArray();
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        try (InputStream stream = new OutboundPacketMarshaller().stream(packet)) {
            assertThat(stream.skip(3)).isEqualTo(3);
            read.write(expected, 0, 3);
            int value;
            while ((value = stream.read()) >= 0) {
                read.write(value);
            }
            assertThat(stream.read(new byte[4], 0, 4)).isEqualTo(-1);
        }
        assertThat(read.toByteArray()).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void drainingIntoAnyOtherStreamWritesTheSameBytesAndCountsAFallback(Shape shape) throws IOException {
        OutboundPacket packet = shape.build(allocator, encoder);
        byte[] expected = packet.toProto().toByteArray();
        OutboundPacketMarshaller marshaller = new OutboundPacketMarshaller();
        ByteArrayOutputStream target = new ByteArrayOutputStream();

        try (InputStream stream = marshaller.stream(packet)) {
            assertThat(((io.grpc.Drainable) stream).drainTo(target)).isEqualTo(expected.length);
            assertThat(stream).isNotInstanceOf(io.grpc.KnownLength.class);
        }

        assertThat(target.toByteArray()).isEqualTo(expected);
        assertThat(marshaller.fallbackWrites()).as("an empty packet writes nothing").isEqualTo(expected.length > 0 ? 1 : 0);
        assertThat(marshaller.zeroCopyWrites()).isZero();
        assertThat(packet.isClosed()).isTrue();
    }

    @Test
    void closingTheStreamUnreadReleasesThePacketOnce() throws IOException {
        OutboundPacket packet = Shape.CHUNKS_WITH_STREAM_IDS.build(allocator, encoder);
        InputStream stream = new OutboundPacketMarshaller().stream(packet);
        stream.close();
        stream.close();
        assertThat(packet.isClosed()).isTrue();
        assertThat(allocator.getAllocatedMemory()).isZero();
        assertThatThrownBy(stream::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> ((io.grpc.Drainable) stream).drainTo(new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void readingAfterAnEarlyCloseFailsInsteadOfReadingReleasedMemory() throws IOException {
        OutboundPacket packet = Shape.CHUNKS_WITH_STREAM_IDS.build(allocator, encoder);
        InputStream stream = new OutboundPacketMarshaller().stream(packet);
        assertThat(stream.read(new byte[10])).isEqualTo(10);
        stream.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        assertThat(stream.available()).isZero();
        assertThatThrownBy(() -> stream.read(new byte[10])).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> ((io.grpc.Drainable) stream).drainTo(new ByteArrayOutputStream())).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void stockBytesParseFromAPlainStream(Shape shape) {
        MPPDataPacket expected = stockPacket(shape);
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);

        try (InboundPacket packet = marshaller.parse(new ByteArrayInputStream(expected.toByteArray()))) {
            assertSameContent(packet, expected);
            assertThat(marshaller.streamedChunks()).isEqualTo(expected.getChunksCount());
        }
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void stockBytesInOneGrpcBufferAreWrappedWithoutACopy(Shape shape) throws IOException {
        MPPDataPacket expected = stockPacket(shape);
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);
        GrpcMessage message = grpcMessage(expected.toByteArray());

        InboundPacket packet = marshaller.parse(message.stream());
        message.stream().close(); // as gRPC does after parse: the detached part lives on
        try (packet) {
            assertSameContent(packet, expected);
            assertThat(marshaller.wrappedChunks()).isEqualTo(expected.getChunksCount());
            assertThat(marshaller.copiedChunks()).isZero();
            assertThat(message.allClosed()).as("gRPC buffers stay while chunks point into them").isEqualTo(expected.getChunksCount() == 0);
        }
        assertThat(message.allClosed()).isTrue();
    }

    @Test
    void chunksSplitAcrossGrpcBuffersAreCopiedOnceAndWholeOnesWrapped() throws IOException {
        MPPDataPacket expected = MPPDataPacket.newBuilder()
                .setVersion(1)
                .addChunks(randomBytes(5000, 1))
                .addChunks(randomBytes(3000, 2))
                .addChunks(randomBytes(7000, 3))
                .addAllStreamIds(List.of(1L, 2L, 3L))
                .build();
        byte[] bytes = expected.toByteArray();
        // Pieces of at least 1 KiB (gRPC merges runs of smaller ones into a heap array): the
        // first chunk is cut in two, the second lies whole in the second piece, the third is
        // cut twice.
        int[] cuts = {2500, 9000, 12000};
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);
        GrpcMessage message = grpcMessage(bytes, cuts);

        InboundPacket packet = marshaller.parse(message.stream());
        message.stream().close();
        try (packet) {
            assertSameContent(packet, expected);
            assertThat(marshaller.copiedChunks()).isEqualTo(2);
            assertThat(marshaller.wrappedChunks()).isEqualTo(1);
            assertThat(message.allClosed()).as("the wrapped chunk holds the gRPC buffers").isFalse();
        }
        assertThat(message.allClosed()).isTrue();
    }

    @Test
    void runsOfSmallGrpcBuffersAreReadThroughTheStream() throws IOException {
        // gRPC coalesces runs of buffers under 1 KiB into a heap array and then offers no
        // ByteBuffers for the message: it is read through the stream, still into Arrow memory.
        MPPDataPacket expected = stockPacket(Shape.CHUNKS_WITH_STREAM_IDS);
        byte[] bytes = expected.toByteArray();
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);
        GrpcMessage message = grpcMessage(bytes, 10, 20, 30, 40);

        try (InboundPacket packet = marshaller.parse(message.stream())) {
            assertSameContent(packet, expected);
            assertThat(marshaller.streamedChunks()).isEqualTo(expected.getChunksCount());
        }
        message.stream().close();
        assertThat(message.allClosed()).isTrue();
    }

    private static ByteString randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new java.util.Random(seed).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    @Test
    void decodedBatchesOutliveThePacketAndItsGrpcBuffers() throws IOException {
        OutboundPacket outbound = TestingPackets.allTypesPacket(allocator, encoder, 3);
        byte[] bytes = new OutboundPacketMarshaller().stream(outbound).readAllBytes();
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);
        GrpcMessage message = grpcMessage(bytes);

        List<VectorSchemaRoot> batches = new ArrayList<>();
        try (InboundPacket packet = marshaller.parse(message.stream())) {
            message.stream().close();
            ChunkDecoder decoder = new ChunkDecoder(allocator, "test sender");
            for (var chunk : packet.chunks()) {
                VectorSchemaRoot batch = decoder.decode(chunk);
                if (batch != null) {
                    batches.add(batch);
                }
            }
        }
        assertThat(marshaller.wrappedChunks()).isEqualTo(4);
        assertThat(message.allClosed()).as("the batches still point into the gRPC buffers").isFalse();
        for (int i = 0; i < batches.size(); i++) {
            assertThat(TestingBatchesAccess.rows(batches.get(i))).isEqualTo(TestingBatchesAccess.asLists(TestingPackets.rows(i)));
        }
        batches.forEach(VectorSchemaRoot::close);
        assertThat(message.allClosed()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void ourStreamParsesWithoutGrpcAsTheInProcessTransportHandsItOver(Shape shape) throws IOException {
        OutboundPacket outbound = shape.build(allocator, encoder);
        MPPDataPacket expected = outbound.toProto();
        InboundPacketMarshaller marshaller = new InboundPacketMarshaller(allocator);

        InputStream stream = new OutboundPacketMarshaller().stream(outbound);
        try (InboundPacket packet = marshaller.parse(stream)) {
            assertSameContent(packet, expected);
            assertThat(marshaller.streamedChunks()).isEqualTo(expected.getChunksCount());
            assertThat(outbound.isClosed()).as("read to the end").isEqualTo(expected.getSerializedSize() > 0);
        }
        stream.close(); // as gRPC does after parse
        assertThat(outbound.isClosed()).isTrue();
    }

    @Test
    void unpackedStreamIdsUnknownFieldsAndRepeatedFieldsParseAsTheStockParserReadsThem() throws IOException {
        byte[] bytes = unusualEncoding();
        MPPDataPacket stock = MPPDataPacket.parseFrom(bytes);
        MPPDataPacket expected = stock.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build();
        assertThat(expected.getStreamIdsList()).containsExactly(7L, 8L, 9L, 10L);
        assertThat(expected.getData().toStringUtf8()).isEqualTo("second");

        for (InputStream stream : List.of(new ByteArrayInputStream(bytes), grpcMessage(bytes, 5, 17, 30).stream(), unknownLength(bytes))) {
            try (InboundPacket packet = new InboundPacketMarshaller(allocator).parse(stream)) {
                assertThat(TestingPackets.toProto(packet)).isEqualTo(expected);
                assertThat(packet.wireSize()).isEqualTo(bytes.length);
            }
            stream.close();
        }
    }

    /** Fields out of order, stream ids unpacked then packed, data and error twice, unknown fields of every wire type. */
    private static byte[] unusualEncoding() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeInt64(5, 1);
        out.writeUInt64(4, 7);
        out.writeBytes(3, ByteString.copyFromUtf8("first chunk"));
        out.writeUInt64(99, 12345);
        out.writeFixed64(100, 1);
        out.writeFixed32(101, 2);
        out.writeBytes(102, ByteString.copyFromUtf8("unknown"));
        out.writeTag(103, 3);
        out.writeUInt64(1, 5);
        out.writeTag(104, 3);
        out.writeFixed32(1, 5);
        out.writeTag(104, 4);
        out.writeTag(103, 4);
        out.writeUInt64(4, 8);
        out.writeBytes(1, ByteString.copyFromUtf8("first"));
        out.writeMessage(2, io.mppnode.proto.Mpp.Error.newBuilder().setCode(1).build());
        out.writeBytes(3, ByteString.copyFromUtf8("second chunk"));
        out.writeTag(4, 2);
        out.writeUInt32NoTag(2);
        out.writeUInt64NoTag(9);
        out.writeUInt64NoTag(10);
        out.writeBytes(1, ByteString.copyFromUtf8("second"));
        out.writeMessage(2, io.mppnode.proto.Mpp.Error.newBuilder().setMsg("merged").build());
        // version as a fixed64 (a wrong wire type): an unknown field to the stock parser too.
        out.writeFixed64(5, 99);
        out.flush();
        return bytes.toByteArray();
    }

    enum Malformed {
        TRUNCATED_TAG("80", "varint of the field tag is cut short"),
        TRUNCATED_LENGTH("1a80", "varint of the length of field 3 is cut short"),
        OVERLONG_VARINT("28ffffffffffffffffffff01", "longer than 10 bytes"),
        LENGTH_BEYOND_MESSAGE("1a640102030405060708090a", "field 3 claims 100 bytes but only 10 remain"),
        DATA_BEYOND_MESSAGE("0a0501", "field 1 claims 5 bytes but only 1 remain"),
        BAD_WIRE_TYPE("0f", "field 1 has the invalid wire type 7"),
        FIELD_ZERO("0201", "invalid field number 0"),
        END_GROUP_OUTSIDE_GROUP("a401", "end-group tag for field 20 outside a group"),
        UNCLOSED_GROUP("a3010800", "group 20 is not closed"),
        PACKED_ID_OVERRUN("22018001", "packed stream id runs past"),
        BAD_ERROR_MESSAGE("1201ff", "not an mpp.Error"),
        CHUNK_THEN_GARBAGE("1a0a0102030405060708090a0f", "invalid wire type 7"),
        FIXED64_CUT_SHORT("a10101", "field 20 is cut short");

        final String hex;
        final String message;

        Malformed(String hex, String message) {
            this.hex = hex;
            this.message = message;
        }
    }

    @ParameterizedTest
    @EnumSource(Malformed.class)
    void malformedBytesFailClearlyFromAPlainStream(Malformed input) {
        byte[] bytes = HexFormat.of().parseHex(input.hex);
        assertThatThrownBy(() -> new InboundPacketMarshaller(allocator).parse(new ByteArrayInputStream(bytes)))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REMOTE_TASK_FAILED))
                .hasMessageStartingWith("malformed MPPDataPacket: ")
                .hasMessageContaining(input.message);
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Malformed.class)
    void malformedBytesFailClearlyFromGrpcBuffersAndReturnThem(Malformed input) throws IOException {
        byte[] bytes = HexFormat.of().parseHex(input.hex);
        GrpcMessage message = grpcMessage(bytes, bytes.length / 2);
        assertThatThrownBy(() -> new InboundPacketMarshaller(allocator).parse(message.stream()))
                .isInstanceOf(MppException.class)
                .hasMessageContaining(input.message);
        message.stream().close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        assertThat(message.allClosed()).isTrue();
    }

    @Test
    void aLengthBeyondAStreamOfUnknownLengthFailsAsCutShort() {
        assertThatThrownBy(() -> new InboundPacketMarshaller(allocator).parse(unknownLength(HexFormat.of().parseHex("1a640102"))))
                .isInstanceOf(MppException.class)
                .hasMessageContaining("a chunk of 100 bytes is cut short by the end of the message");
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anAllocatorThatRefusesAChunkLeavesNothingBehind(boolean oneGrpcBuffer) throws IOException {
        MPPDataPacket expected = MPPDataPacket.newBuilder()
                .addChunks(ByteString.copyFrom(new byte[100]))
                .addChunks(ByteString.copyFrom(new byte[5000]))
                .build();
        byte[] bytes = expected.toByteArray();
        try (BufferAllocator small = allocator.newChildAllocator("small", 0, 4096)) {
            GrpcMessage message = oneGrpcBuffer ? grpcMessage(bytes) : grpcMessage(bytes, 50, 200, 3000);
            assertThatThrownBy(() -> new InboundPacketMarshaller(small).parse(message.stream()))
                    .isInstanceOf(OutOfMemoryException.class);
            message.stream().close();
            assertThat(small.getAllocatedMemory()).isZero();
            assertThat(message.allClosed()).isTrue();
            assertThatThrownBy(() -> new InboundPacketMarshaller(small).parse(new ByteArrayInputStream(bytes)))
                    .isInstanceOf(OutOfMemoryException.class);
            assertThat(small.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void marshallersRefuseTheOtherDirection() {
        assertThatThrownBy(() -> new OutboundPacketMarshaller().parse(new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(UnsupportedOperationException.class);
        try (InboundPacket packet = new InboundPacketMarshaller(allocator).parse(new ByteArrayInputStream(new byte[0]))) {
            assertThatThrownBy(() -> new InboundPacketMarshaller(allocator).stream(packet))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    /** The stock message for a shape (its chunks copied to the heap, the Arrow memory released). */
    private MPPDataPacket stockPacket(Shape shape) {
        try (OutboundPacket packet = shape.build(allocator, encoder)) {
            return packet.toProto();
        }
    }

    /** A stream that tells nothing about its length (not KnownLength, not a ByteArrayInputStream). */
    private static InputStream unknownLength(byte[] bytes) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {};
    }
}
