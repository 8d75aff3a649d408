package io.mppnode.exchange.tunnel;

/**
 * Observes a tunnel, for metrics. Called under the tunnel's lock: must be cheap and never block.
 */
public interface TunnelListener {
    TunnelListener NONE = new TunnelListener() {};

    /** A packet of this many bytes went to the transport. */
    default void packetSent(long bytes) {}

    /** The bytes waiting in the tunnel's buffer changed by {@code delta}. */
    default void bufferedBytesChanged(long delta) {}

    /** A writer waited this long for the buffer to drain below its bound. */
    default void writerBlocked(long nanos) {}
}
