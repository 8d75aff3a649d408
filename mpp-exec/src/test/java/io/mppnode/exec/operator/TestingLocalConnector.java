package io.mppnode.exec.operator;

import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A connector for local sources only, as the node's task registry: each source's tunnel is
 * given by the test, attached to the receiver's end when the receiver opens it, and told of
 * the receiver's room-again and cancel events.
 */
final class TestingLocalConnector implements ExchangeConnector {
    private final Map<Long, Tunnel<LocalPacket>> tunnels = new HashMap<>();

    /** The tunnel of the sender task {@code taskId}. */
    synchronized void add(long taskId, Tunnel<LocalPacket> tunnel) {
        tunnels.put(taskId, tunnel);
    }

    @Override
    public RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
        throw new UnsupportedOperationException("local sources only");
    }

    @Override
    public LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end) {
        Tunnel<LocalPacket> tunnel;
        synchronized (this) {
            tunnel = tunnels.get(source.sender().getTaskId());
        }
        tunnel.connect(end);
        return new LocalConnection() {
            @Override
            public void onReady() {
                tunnel.onReady();
            }

            @Override
            public void cancel() {
                tunnel.onReceiverGone();
            }
        };
    }
}
