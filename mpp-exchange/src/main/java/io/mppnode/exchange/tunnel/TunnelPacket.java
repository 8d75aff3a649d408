package io.mppnode.exchange.tunnel;

/**
 * What a tunnel carries: an {@link io.mppnode.exchange.packet.OutboundPacket} to a remote
 * receiver, a {@link LocalPacket} to one on the same node. A tunnel owns the packets written to
 * it until it hands them to its transport; it closes the ones it drops on abort.
 */
public interface TunnelPacket extends AutoCloseable {
    /** The bytes the packet holds, counted against the tunnel's buffer bound. */
    long sizeBytes();

    /** Releases what the packet holds. Idempotent. */
    @Override
    void close();
}
