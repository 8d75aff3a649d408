package io.mppnode.exchange.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.internal.CompositeReadableBuffer;
import io.grpc.internal.ForwardingReadableBuffer;
import io.grpc.internal.ReadableBuffer;
import io.grpc.internal.ReadableBuffers;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.codec.TestingBatchesAccess;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Packets, streams shaped like gRPC's, and content comparisons for the marshaller tests. */
final class TestingPackets {
    private TestingPackets() {}

    /** The schema chunk and {@code batches} batches of every type (stream ids 7, 8, 7, 8, ...). */
    static OutboundPacket allTypesPacket(BufferAllocator allocator, ChunkEncoder encoder, int batches) {
        List<EncodedChunk> chunks = new ArrayList<>();
        chunks.add(encoder.encodeSchema(TestingBatchesAccess.ALL_TYPES));
        for (int i = 0; i < batches; i++) {
            try (VectorSchemaRoot batch = TestingBatchesAccess.batch(allocator, TestingBatchesAccess.ALL_TYPES, rows(i))) {
                chunks.add(encoder.encodeBatch(batch));
            }
        }
        long[] ids = new long[chunks.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 7 + i % 2;
        }
        return OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks, ids);
    }

    /** The rows of batch {@code index} of {@link #allTypesPacket}. */
    static List<Object[]> rows(int index) {
        List<Object[]> rows = new ArrayList<>();
        for (int row = 0; row < 50 + index; row++) {
            rows.add(row % 5 == 4 ? TestingBatchesAccess.nullRow() : TestingBatchesAccess.fullRow(index * 1000 + row));
        }
        return rows;
    }

    static Mpp.Error error() {
        return Mpp.Error.newBuilder().setCode(3001).setMsg("sender failed: disk on fire").setMppVersion(2).build();
    }

    /** The packet as a stock message, copying the chunks into the heap (tests only). */
    static MPPDataPacket toProto(InboundPacket packet) {
        MPPDataPacket.Builder builder = MPPDataPacket.newBuilder().setVersion(packet.version()).setData(packet.data());
        if (packet.error() != null) {
            builder.setError(packet.error());
        }
        for (ArrowBuf chunk : packet.chunks()) {
            builder.addChunks(ByteString.copyFrom(bytes(chunk)));
        }
        for (int i = 0; i < packet.streamIdCount(); i++) {
            builder.addStreamIds(packet.streamId(i));
        }
        return builder.build();
    }

    static byte[] bytes(ArrowBuf buffer) {
        byte[] bytes = new byte[Math.toIntExact(buffer.capacity())];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    static void assertSameContent(InboundPacket actual, MPPDataPacket expected) {
        assertThat(toProto(actual)).isEqualTo(expected);
        assertThat(actual.wireSize()).isEqualTo(expected.getSerializedSize());
        for (ArrowBuf chunk : actual.chunks()) {
            assertThat(chunk.writerIndex()).isEqualTo(chunk.capacity());
        }
    }

    /**
     * A message as grpc-netty hands it to a marshaller: gRPC's own stream
     * ({@code ReadableBuffers.openStream}, Detachable and HasByteBuffer) over a composite of
     * direct buffers cut at {@code cuts} (offsets into the message). {@link GrpcMessage#closedPieces}
     * counts the pieces gRPC closed.
     */
    static GrpcMessage grpcMessage(byte[] message, int... cuts) {
        ByteBuffer all = ByteBuffer.allocateDirect(Math.max(1, message.length));
        all.put(message).flip();
        AtomicInteger closed = new AtomicInteger();
        CompositeReadableBuffer composite = new CompositeReadableBuffer();
        int start = 0;
        int pieces = 0;
        List<Integer> ends = new ArrayList<>();
        for (int cut : cuts) {
            ends.add(cut);
        }
        ends.add(message.length);
        for (int end : ends) {
            if (end > start) {
                composite.addBuffer(new ClosingCounted(ReadableBuffers.wrap(all.slice(start, end - start)), closed));
                pieces++;
                start = end;
            }
        }
        return new GrpcMessage(ReadableBuffers.openStream(composite, true), closed, pieces);
    }

    record GrpcMessage(InputStream stream, AtomicInteger closedPieces, int pieces) {
        boolean allClosed() {
            return closedPieces.get() == pieces;
        }
    }

    private static final class ClosingCounted extends ForwardingReadableBuffer {
        private final AtomicInteger closed;
        private boolean done;

        ClosingCounted(ReadableBuffer buffer, AtomicInteger closed) {
            super(buffer);
            this.closed = closed;
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                closed.incrementAndGet();
            }
            super.close();
        }
    }
}
