package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.MethodDescriptor;
import io.mppnode.exchange.packet.OutboundPacket;
import io.netty.buffer.ByteBufAllocator;
import java.io.InputStream;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes {@link OutboundPacket}s as {@code mpp.MPPDataPacket} protobuf bytes for the sending
 * side ({@code EstablishMPPConnection} servers), without copying chunk data into the heap. Over
 * grpc-netty each packet costs one copy: Arrow memory into one pooled direct Netty buffer that
 * gRPC sends as it is (see {@link OutboundPacketStream}). Other transports get the same bytes
 * through a small heap array; {@link #fallbackWrites()} counts those.
 *
 * <p>Ownership: {@link #stream} takes the packet over; the returned stream closes it (releasing
 * its Arrow memory) once gRPC framed it, or when gRPC closes the stream. When a send fails
 * before {@code stream} was called (e.g. {@code onNext} on a cancelled call), the packet is
 * still the caller's; closing an already closed packet does nothing, so a caller may always
 * close it after a failed send. Thread-safe; one marshaller serves every call.
 */
public final class OutboundPacketMarshaller implements MethodDescriptor.Marshaller<OutboundPacket> {
    private final ByteBufAllocator bufferAllocator;
    private final LongAdder zeroCopyWrites = new LongAdder();
    private final LongAdder fallbackWrites = new LongAdder();

    /**
     * Send buffers come from {@link ExchangeTransport#BUFFER_ALLOCATOR}: pooled like Netty's
     * default allocator, in chunks large enough that a MiB-sized buffer does not make Netty
     * free and re-create a chunk for every packet.
     */
    public OutboundPacketMarshaller() {
        this(ExchangeTransport.BUFFER_ALLOCATOR);
    }

    /** @param bufferAllocator where the direct send buffers come from (gRPC releases them once written) */
    public OutboundPacketMarshaller(ByteBufAllocator bufferAllocator) {
        this.bufferAllocator = requireNonNull(bufferAllocator, "bufferAllocator is null");
    }

    @Override
    public InputStream stream(OutboundPacket packet) {
        return new OutboundPacketStream(packet, this);
    }

    /** Not supported: a sender never reads its own response type; receivers use {@link InboundPacketMarshaller}. */
    @Override
    public OutboundPacket parse(InputStream stream) {
        throw new UnsupportedOperationException("an OutboundPacket is only written; parse with InboundPacketMarshaller");
    }

    /** Packets handed to gRPC's Netty transport as one direct buffer. */
    public long zeroCopyWrites() {
        return zeroCopyWrites.sum();
    }

    /** Packets written through an output stream (in-process transport, gRPC compression, tests). */
    public long fallbackWrites() {
        return fallbackWrites.sum();
    }

    ByteBufAllocator bufferAllocator() {
        return bufferAllocator;
    }

    void countZeroCopyWrite() {
        zeroCopyWrites.increment();
    }

    void countFallbackWrite() {
        fallbackWrites.increment();
    }
}
