package io.mppnode.exchange.tunnel;

import io.mppnode.proto.Mpp.MPPDataPacket;

/**
 * The transport end of a remote tunnel: where the packets of one stream go. The gRPC adapter
 * implements it over a server call; it tells the tunnel when the transport becomes ready again
 * ({@link Tunnel#onReady()}) and when the receiver goes away ({@link Tunnel#onReceiverGone()}).
 * A tunnel calls these methods under its own lock, one at a time.
 */
public interface PacketStream {
    /** Whether the transport can take a packet now without buffering it. */
    boolean isReady();

    void send(MPPDataPacket packet);

    /** Ends the stream normally. Nothing is sent after it. */
    void complete();
}
