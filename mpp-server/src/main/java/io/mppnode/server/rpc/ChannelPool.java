package io.mppnode.server.rpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One plaintext gRPC channel per host:port, shared by everything in the process that calls out. Thread-safe. */
public final class ChannelPool implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ManagedChannel channel(String address) {
        if (closed) {
            throw new IllegalStateException("the channel pool is closed");
        }
        return channels.computeIfAbsent(address, target -> NettyChannelBuilder.forTarget(target)
                .usePlaintext()
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
