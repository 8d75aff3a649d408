package io.mppnode.exchange.tunnel;

/** Observes what a tunnel sends, for metrics. Called under the tunnel's lock: must be cheap and never block. */
public interface TunnelListener {
    TunnelListener NONE = bytes -> {};

    void packetSent(long bytes);
}
