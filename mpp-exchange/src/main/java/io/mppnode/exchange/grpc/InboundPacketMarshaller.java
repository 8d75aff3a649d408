package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.mppnode.exchange.packet.InboundPacket;
import java.io.InputStream;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Reads {@code mpp.MPPDataPacket} protobuf bytes into {@link InboundPacket}s for the receiving
 * side ({@code EstablishMPPConnection} clients), with each chunk as Arrow memory accounted to
 * the receiver's allocator and no chunk byte passing through the heap.
 *
 * <p>Copies on receive: over grpc-netty the message is detached from gRPC (its pooled direct
 * buffers become ours) and parsed in place; a chunk that lies inside one of those buffers is
 * wrapped as Arrow memory with no copy ({@link #wrappedChunks()}); one spread over several
 * (HTTP/2 frames are 16 KiB, so any larger chunk is) is copied once into a buffer from the
 * allocator ({@link #copiedChunks()}). A transport without buffers (in-process, a plain stream)
 * is read through the stream, one copy into Arrow memory ({@link #streamedChunks()}).
 *
 * <p>Ownership: the returned packet owns its chunks and whoever receives it closes it. A
 * wrapped chunk keeps the gRPC message's buffers alive (pooled Netty memory, beyond the chunk's
 * bytes accounted to the allocator) until every chunk wrapped from it was closed, including
 * batches decoded from it. Thread-safe: gRPC calls {@code parse} on its own threads; one
 * marshaller per call (or per allocator) is the intended use.
 */
public final class InboundPacketMarshaller implements MethodDescriptor.Marshaller<InboundPacket> {
    private final BufferAllocator allocator;
    private final LongAdder wrappedChunks = new LongAdder();
    private final LongAdder copiedChunks = new LongAdder();
    private final LongAdder streamedChunks = new LongAdder();

    /** @param allocator chunks are accounted to it; it must outlive every packet parsed */
    public InboundPacketMarshaller(BufferAllocator allocator) {
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    /**
     * Parses one message. The stream stays the caller's (gRPC closes it); a detached part is
     * closed here once no chunk needs it.
     *
     * @throws io.mppnode.error.MppException ({@code REMOTE_TASK_FAILED}) when the bytes are not
     *     an MPPDataPacket; nothing stays allocated
     * @throws org.apache.arrow.memory.OutOfMemoryException when the allocator refuses a chunk;
     *     nothing stays allocated
     */
    @Override
    public InboundPacket parse(InputStream stream) {
        requireNonNull(stream, "stream is null");
        WireInput input;
        if (stream instanceof Detachable detachable && stream instanceof HasByteBuffer buffers && buffers.byteBufferSupported()) {
            InputStream detached = detachable.detach();
            input = detached instanceof HasByteBuffer
                    ? new BufferWireInput(detached, allocator, this)
                    : new StreamWireInput(detached, allocator, this, true);
        } else {
            input = new StreamWireInput(stream, allocator, this, false);
        }
        return InboundPacketParser.parse(input);
    }

    /** Not supported: a receiver never sends packets; senders use {@link OutboundPacketMarshaller}. */
    @Override
    public InputStream stream(InboundPacket packet) {
        throw new UnsupportedOperationException("an InboundPacket is only read; send with OutboundPacketMarshaller");
    }

    /** Chunks wrapped from gRPC's buffers with no copy. */
    public long wrappedChunks() {
        return wrappedChunks.sum();
    }

    /** Chunks copied once from gRPC's buffers (spread over several, or heap). */
    public long copiedChunks() {
        return copiedChunks.sum();
    }

    /** Chunks read through a plain stream (no gRPC buffers: in-process transport, tests). */
    public long streamedChunks() {
        return streamedChunks.sum();
    }

    void countWrappedChunk() {
        wrappedChunks.increment();
    }

    void countCopiedChunk() {
        copiedChunks.increment();
    }

    void countStreamedChunk() {
        streamedChunks.increment();
    }
}
