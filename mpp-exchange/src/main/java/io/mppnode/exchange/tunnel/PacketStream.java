package io.mppnode.exchange.tunnel;

/**
 * The receiving end of a tunnel: the gRPC server call of a remote receiver, or the receiver
 * itself for a local one. It tells the tunnel when it can take packets again
 * ({@link Tunnel#onReady()}) and when the receiver goes away ({@link Tunnel#onReceiverGone()}).
 * A tunnel calls these methods under its own lock, one at a time.
 *
 * @param <P> the packet type
 */
public interface PacketStream<P extends TunnelPacket> {
    /** Whether the receiving end can take a packet now without buffering it. */
    boolean isReady();

    /** Takes the packet over: from now on the stream owns it and closes it. */
    void send(P packet);

    /** Ends the stream normally. Nothing is sent after it. */
    void complete();
}
