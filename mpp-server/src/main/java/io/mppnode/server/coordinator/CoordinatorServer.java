package io.mppnode.server.coordinator;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.rpc.ChannelPool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A coordinator in a process of its own (the command line's): a small gRPC server that takes
 * the nodes' ReportMPPTaskStatus calls (every other Tikv method answers UNIMPLEMENTED), the
 * channels to the nodes, and the memory of query results.
 */
public final class CoordinatorServer implements AutoCloseable {
    private final Server server;
    private final ChannelPool channels = new ChannelPool();
    private final BufferAllocator allocator = new RootAllocator();
    private final Coordinator coordinator;

    private CoordinatorServer(String listenAddress, String advertisedAddress) throws IOException {
        CoordinatorRegistry registry = new CoordinatorRegistry();
        server = NettyServerBuilder.forAddress(new InetSocketAddress(NodeConfig.host(listenAddress), NodeConfig.port(listenAddress)))
                .addService(new TikvGrpc.TikvImplBase() {
                    @Override
                    public void reportMPPTaskStatus(ReportTaskStatusRequest request, StreamObserver<ReportTaskStatusResponse> response) {
                        response.onNext(registry.report(request));
                        response.onCompleted();
                    }
                })
                .build()
                .start();
        int port = ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
        String address = advertisedAddress.isEmpty() ? NodeConfig.host(listenAddress) + ":" + port : advertisedAddress;
        coordinator = new Coordinator(address, registry, channels, allocator);
    }

    /**
     * Starts the report endpoint on {@code listenAddress} (host:port, port 0 picks one); nodes
     * reach it at {@code advertisedAddress}, or at the listen address when that is empty.
     */
    public static CoordinatorServer start(String listenAddress, String advertisedAddress) throws IOException {
        return new CoordinatorServer(listenAddress, advertisedAddress);
    }

    public Coordinator coordinator() {
        return coordinator;
    }

    public ChannelPool channels() {
        return channels;
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channels.close();
        allocator.close();
    }
}
