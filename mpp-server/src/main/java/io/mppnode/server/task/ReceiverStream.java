package io.mppnode.server.task;

import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelPacket;

/**
 * The receiving end of one connection, as the registry sees it: an EstablishMPPConnection call
 * (remote) or a receiver task on this node (local). It gets packets, and routes its ready and
 * cancel events to the tunnel once it is attached to it.
 *
 * @param <P> the packet type: {@code OutboundPacket} for remote, {@code LocalPacket} for local
 */
public interface ReceiverStream<P extends TunnelPacket> extends PacketStream<P> {
    /** Whether this end is a task on this node. */
    boolean isLocal();

    /** Routes the end's events to the tunnel from now on (and replays a cancel that came before). */
    void attach(Tunnel<P> tunnel);

    /** Runs the action if the receiver goes away before the stream is attached to a tunnel. */
    void onCancelledBeforeAttach(Runnable action);

    /** Answers a connection that cannot be served with this error and ends it. */
    void fail(io.mppnode.error.MppException error, long mppVersion);
}
