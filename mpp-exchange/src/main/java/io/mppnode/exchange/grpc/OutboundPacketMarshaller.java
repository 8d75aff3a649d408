package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.MethodDescriptor;
import io.mppnode.exchange.packet.OutboundPacket;
import io.netty.buffer.ByteBufAllocator;
import java.io.InputStream;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;

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
    private final BufferAllocator wireAllocator;
    private final LongAdder inPlaceWrites = new LongAdder();
    private final LongAdder zeroCopyWrites = new LongAdder();
    private final LongAdder fallbackWrites = new LongAdder();

    /**
     * Send buffers come from {@link ExchangeTransport#BUFFER_ALLOCATOR}: pooled like Netty's
     * default allocator, in chunks large enough that a MiB-sized buffer does not make Netty
     * free and re-create a chunk for every packet.
     */
    public OutboundPacketMarshaller() {
        this(ExchangeTransport.BUFFER_ALLOCATOR, null);
    }

    /**
     * A marshaller that sends chunk bodies from Arrow memory without copying them (see
     * {@link WirePacketBuffer}): until Netty wrote them, the bytes are held by references in
     * {@code wireAllocator}, so the producing task can end (and close its allocator) at once.
     * Close {@code wireAllocator} only after the transport terminated.
     *
     * @param wireAllocator shares the root allocator of the packets' memory (packets from
     *     another root are copied)
     */
    public OutboundPacketMarshaller(BufferAllocator wireAllocator) {
        this(ExchangeTransport.BUFFER_ALLOCATOR, requireNonNull(wireAllocator, "wireAllocator is null"));
    }

    /**
     * @param bufferAllocator where the direct send buffers come from (gRPC releases them once written)
     * @param wireAllocator null to copy every packet into one direct buffer; else as {@link #OutboundPacketMarshaller(BufferAllocator)}
     */
    public OutboundPacketMarshaller(ByteBufAllocator bufferAllocator, BufferAllocator wireAllocator) {
        this.bufferAllocator = requireNonNull(bufferAllocator, "bufferAllocator is null");
        this.wireAllocator = wireAllocator;
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

    /** Packets handed to gRPC's Netty transport as one direct buffer (the chunk bodies copied once, direct to direct). */
    public long zeroCopyWrites() {
        return zeroCopyWrites.sum();
    }

    /** Packets handed to gRPC's Netty transport with their large chunk buffers in place: no copy of them at all. */
    public long inPlaceWrites() {
        return inPlaceWrites.sum();
    }

    /** Packets written through an output stream (in-process transport, gRPC compression, tests). */
    public long fallbackWrites() {
        return fallbackWrites.sum();
    }

    ByteBufAllocator bufferAllocator() {
        return bufferAllocator;
    }

    BufferAllocator wireAllocator() {
        return wireAllocator;
    }

    void countInPlaceWrite() {
        inPlaceWrites.increment();
    }

    void countZeroCopyWrite() {
        zeroCopyWrites.increment();
    }

    void countFallbackWrite() {
        fallbackWrites.increment();
    }
}
