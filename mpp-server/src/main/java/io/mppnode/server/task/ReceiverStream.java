package io.mppnode.server.task;

import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;

/**
 * The transport of one EstablishMPPConnection call, as the registry sees it: where packets go,
 * and where the transport's ready and cancel events are routed once the call is attached to
 * its tunnel.
 */
public interface ReceiverStream extends PacketStream {
    /** Routes the transport's events to the tunnel from now on (and replays a cancel that came before). */
    void attach(Tunnel tunnel);

    /** Runs the action if the receiver goes away before the stream is attached to a tunnel. */
    void onCancelledBeforeAttach(Runnable action);
}
