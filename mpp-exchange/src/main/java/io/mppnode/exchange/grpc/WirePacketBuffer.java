package io.mppnode.exchange.grpc;

import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.packet.OutboundPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;

/**
 * One outbound packet as a Netty buffer that does not copy the chunk bodies: a composite whose
 * large parts are views of the Arrow memory itself and whose small parts (protobuf framing,
 * IPC metadata, padding) are copied into one pooled direct buffer. The same idea as Arrow
 * Flight's {@code ArrowBufRetainingCompositeByteBuf}.
 *
 * <p>Lifetime: the composite holds its own references to the Arrow memory, taken in the wire
 * allocator ({@link EncodedChunk#retainMemory}), so the packet itself (and the task that made it)
 * can be released as soon as gRPC took the buffer. Netty releases the composite once the bytes
 * are written to the socket, or when the stream or connection fails; its last release drops
 * the Arrow references. Until then the memory is accounted to the wire allocator, which
 * therefore must outlive the transport (close it after the server terminated).
 */
final class WirePacketBuffer extends CompositeByteBuf {
    /** Parts at least this large are sent from Arrow memory; smaller ones are copied (cheaper than a component). */
    static final int WRAP_THRESHOLD = 16 * 1024;

    private List<ArrowBuf> references;

    private WirePacketBuffer(ByteBufAllocator allocator, int maxComponents, List<ArrowBuf> references) {
        super(allocator, true, maxComponents);
        this.references = references;
    }

    /**
     * The packet's protobuf bytes as a composite, or null when nothing in it is large enough to
     * be worth sending in place (or its memory cannot be held by {@code wire}); the caller then
     * copies. The caller keeps the packet either way.
     *
     * @param size the packet's serialized size
     * @param pool where the buffer for the small parts comes from
     */
    static ByteBuf compose(OutboundPacket packet, int size, ByteBufAllocator pool, BufferAllocator wire) {
        long large = 0;
        int largeParts = 0;
        for (EncodedChunk chunk : packet.chunks()) {
            for (int i = 0; i < chunk.segmentCount(); i++) {
                ByteBuffer segment = chunk.segment(i);
                if (isLarge(segment)) {
                    large += segment.remaining();
                    largeParts++;
                }
            }
        }
        if (largeParts == 0) {
            return null;
        }
        for (EncodedChunk chunk : packet.chunks()) {
            if (!chunk.memorySharesRoot(wire)) {
                return null;
            }
        }
        List<ArrowBuf> references = new ArrayList<>();
        WirePacketBuffer composite;
        try {
            for (EncodedChunk chunk : packet.chunks()) {
                chunk.retainMemory(wire, references);
            }
        } catch (RuntimeException | Error e) {
            closeAll(references);
            throw e;
        }
        // Small runs and large parts alternate: at most one run before and after each large part.
        composite = new WirePacketBuffer(pool, 2 * largeParts + 2, references);
        try {
            int small = Math.toIntExact(size - large);
            Sink sink = new Sink(composite, small == 0 ? null : pool.directBuffer(small, small), small);
            try {
                PacketWire.write(packet, sink);
                sink.endRun();
            } finally {
                sink.releaseRuns();
            }
            if (composite.readableBytes() != size) {
                throw new IllegalStateException("packet wrote " + composite.readableBytes() + " bytes, expected " + size);
            }
            return composite;
        } catch (RuntimeException | Error e) {
            composite.release();
            throw e;
        }
    }

    private static boolean isLarge(ByteBuffer segment) {
        return segment.isDirect() && segment.remaining() >= WRAP_THRESHOLD;
    }

    @Override
    protected void deallocate() {
        try {
            super.deallocate();
        } finally {
            List<ArrowBuf> held = references;
            references = null;
            if (held != null) {
                closeAll(held);
            }
        }
    }

    private static void closeAll(List<ArrowBuf> buffers) {
        // Arrow's helper closes every buffer, throwing the first failure with the rest suppressed.
        try {
            AutoCloseables.close(buffers);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("releasing a sent packet's Arrow memory failed", e);
        }
    }

    /** Builds the composite: small bytes go into the run buffer, large parts become components. */
    private static final class Sink implements PacketWire.Sink {
        private final CompositeByteBuf composite;
        private final ByteBuf runs;
        private final ByteBuffer view;
        private int runStart;

        Sink(CompositeByteBuf composite, ByteBuf runs, int capacity) {
            this.composite = composite;
            this.runs = runs;
            // Netty's own NIO view: put(ByteBuffer) copies heap or direct without a temporary.
            this.view = runs == null ? ByteBuffer.allocate(0) : runs.internalNioBuffer(0, capacity).slice();
        }

        @Override
        public void writeByte(int value) {
            view.put((byte) value);
        }

        @Override
        public void write(ByteBuffer bytes) {
            if (isLarge(bytes)) {
                endRun();
                composite.addComponent(true, Unpooled.wrappedBuffer(bytes));
            } else {
                view.put(bytes);
            }
        }

        void endRun() {
            int end = view.position();
            if (end > runStart) {
                composite.addComponent(true, runs.retainedSlice(runStart, end - runStart));
                runStart = end;
            }
        }

        /** Drops the sink's own reference to the run buffer (the components hold theirs). */
        void releaseRuns() {
            if (runs != null) {
                runs.release();
            }
        }
    }
}
