package io.mppnode.server.rpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.mppnode.exchange.grpc.ExchangeTransport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One plaintext gRPC channel per host:port, with the exchange's transport settings, shared by everything in the process that calls out. Thread-safe. */
public final class ChannelPool implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ManagedChannel channel(String address) {
        if (closed) {
            throw new IllegalStateException("the channel pool is closed");
        }
        // The exchange's transport settings (plaintext, large HTTP/2 frames, a 4 MiB window, the
        // shared buffer pool): they keep data packets off the heap; see ExchangeTransport.
        return channels.computeIfAbsent(address, target -> ExchangeTransport.configurePlaintextChannel(NettyChannelBuilder.forTarget(target))
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .build());
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdown);
        for (ManagedChannel channel : channels.values()) {
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
    }
}
