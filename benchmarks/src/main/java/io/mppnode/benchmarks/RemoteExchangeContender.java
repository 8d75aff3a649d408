package io.mppnode.benchmarks;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.mppnode.exchange.grpc.ExchangeTransport;
import io.mppnode.exchange.grpc.OutboundPacketMarshaller;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.grpc.ExchangeMethods;
import io.mppnode.exchange.grpc.GrpcExchangeConnector;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.server.task.MppVersions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * REMOTE_n: the exchange between two nodes over loopback gRPC, as the node runs it. A real Netty
 * gRPC server on 127.0.0.1 serves EstablishMPPConnection with the node's zero-copy packet
 * marshaller and transport settings ({@link ExchangeTransport}): its handler
 * connects the call to the waiting {@link Tunnel#remote} tunnel through an adapter like the
 * node's {@code GrpcReceiverStream} (ready and cancel handlers registered before it returns,
 * sending only while the call is ready). Each tunnel is fed by an {@code ExchangeWriter}
 * (pass-through) on its own sender thread that waits on the writer's back-pressure future.
 * One {@link ExchangeReceiver} with the {@link GrpcExchangeConnector} over one Netty channel
 * (as the node's channel pool: one channel per peer) reads every stream and the benchmark
 * thread polls and closes the batches.
 *
 * <p>{@code readyThreshold} (when positive) sets the calls' on-ready threshold and
 * {@code flowControlWindow} (when positive) the channel's HTTP/2 window, for measuring what
 * other transport buffers bring; by default both are the node's.
 *
 * <p>With {@code streams} > 1 there are that many tunnels and calls at once, stream {@code s}
 * carrying the batches {@code s, s + streams, ...}, merged by the one receiver.
 */
final class RemoteExchangeContender implements ExchangeContender {
    private final ExchangeBatches batches;
    private final int streams;
    private final int readyThreshold;
    private final long bufferBytes;
    private final BufferAllocator receiverAllocator;
    private final BufferAllocator wireAllocator;
    private final ExecutorService senders;
    private final ExecutorService rpcExecutor;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(ExchangeBenchmark.threads("bench-timer-"));
    private final ExchangeMetrics metrics = ExchangeMetrics.unregistered();
    private final Map<Long, Tunnel<OutboundPacket>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong nextTaskId = new AtomicLong(1);
    private final Server server;
    private final ManagedChannel channel;
    private final String address;
    private final GrpcExchangeConnector connector;

    RemoteExchangeContender(ExchangeBatches batches, BufferAllocator parent, long bufferBytes, int streams, int readyThreshold,
            int flowControlWindow) throws IOException {
        this.batches = batches;
        this.streams = streams;
        this.readyThreshold = readyThreshold;
        this.bufferBytes = bufferBytes;
        this.receiverAllocator = parent.newChildAllocator("remote receiver", 0, Long.MAX_VALUE);
        this.wireAllocator = parent.newChildAllocator("remote wire", 0, Long.MAX_VALUE);
        this.senders = Executors.newFixedThreadPool(streams, ExchangeBenchmark.threads("bench-remote-sender-"));
        // As the node: a fixed pool of max(2, cores) threads runs the server's handlers.
        this.rpcExecutor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                ExchangeBenchmark.threads("bench-rpc-"));
        ServerServiceDefinition service = ServerServiceDefinition.builder(TikvGrpc.SERVICE_NAME)
                .addMethod(ExchangeMethods.establishMppConnectionServer(new OutboundPacketMarshaller(wireAllocator)),
                        ServerCalls.asyncServerStreamingCall(this::establish))
                .build();
        this.server = ExchangeTransport.configureServer(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))
                .executor(rpcExecutor)
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .addService(service)
                .build()
                .start();
        this.address = "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
        NettyChannelBuilder channelBuilder = ExchangeTransport.configurePlaintextChannel(NettyChannelBuilder.forTarget(address))
                .maxInboundMessageSize(Integer.MAX_VALUE);
        if (flowControlWindow > 0) {
            channelBuilder.flowControlWindow(flowControlWindow);
        }
        this.channel = channelBuilder.build();
        this.connector = new GrpcExchangeConnector(target -> channel);
    }

    /** The server side of EstablishMPPConnection: attaches the call to its tunnel. */
    private void establish(EstablishMPPConnectionRequest request, StreamObserver<OutboundPacket> observer) {
        ServerCallStreamObserver<OutboundPacket> call = (ServerCallStreamObserver<OutboundPacket>) observer;
        Tunnel<OutboundPacket> tunnel = waiting.remove(request.getSenderMeta().getTaskId());
        if (tunnel == null) {
            call.onError(Status.NOT_FOUND.withDescription("no tunnel from task " + request.getSenderMeta().getTaskId()).asRuntimeException());
            return;
        }
        if (readyThreshold > 0) {
            call.setOnReadyThreshold(readyThreshold);
        }
        call.setOnReadyHandler(tunnel::onReady);
        call.setOnCancelHandler(tunnel::onReceiverGone);
        tunnel.connect(new CallStream(call));
    }

    @Override
    public long moveAll() throws Exception {
        long firstTaskId = nextTaskId.getAndAdd(streams);
        TaskMeta receiverMeta = TaskMeta.newBuilder().setTaskId(0).setAddress(address).setMppVersion(MppVersions.CURRENT).build();
        List<Tunnel<OutboundPacket>> tunnels = new ArrayList<>(streams);
        List<ExchangeSource> sources = new ArrayList<>(streams);
        for (int s = 0; s < streams; s++) {
            long taskId = firstTaskId + s;
            Tunnel<OutboundPacket> tunnel = Tunnel.remote("bench tunnel from task " + taskId, bufferBytes, MppVersions.CURRENT, TunnelListener.NONE);
            tunnels.add(tunnel);
            waiting.put(taskId, tunnel);
            sources.add(new ExchangeSource(TaskMeta.newBuilder().setTaskId(taskId).setAddress(address)
                    .setMppVersion(MppVersions.CURRENT).build(), receiverMeta, false));
        }
        List<Future<?>> sending = new ArrayList<>(streams);
        for (int s = 0; s < streams; s++) {
            Tunnel<OutboundPacket> tunnel = tunnels.get(s);
            int first = s;
            sending.add(senders.submit(() -> ExchangeBenchmark.send(batches, tunnel, Compression.NONE, first, streams)));
        }
        try (ExchangeReceiver receiver = new ExchangeReceiver("bench remote receiver", sources, batches.schema(),
                receiverAllocator, bufferBytes, connector, timer, metrics)) {
            receiver.start();
            long rows = ExchangeBenchmark.drain(receiver);
            for (Future<?> future : sending) {
                future.get();
            }
            for (Tunnel<OutboundPacket> tunnel : tunnels) {
                tunnel.done().join();
            }
            return rows;
        } catch (Exception | Error e) {
            for (int s = 0; s < streams; s++) {
                waiting.remove(firstTaskId + s);
                tunnels.get(s).abort(MppException.wrap(e));
                sending.get(s).cancel(true);
            }
            throw e;
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown();
        server.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        ExchangeBenchmark.stop(senders);
        ExchangeBenchmark.stop(rpcExecutor);
        ExchangeBenchmark.stop(timer);
        ExchangeBenchmark.closeChecked(receiverAllocator);
        ExchangeBenchmark.closeChecked(wireAllocator);
    }

    /** A server call as the receiving end of a tunnel, like the node's GrpcReceiverStream. */
    private record CallStream(ServerCallStreamObserver<OutboundPacket> call) implements PacketStream<OutboundPacket> {
        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public void send(OutboundPacket packet) {
            // The marshaller writes the packet out inside onNext and releases it; closing again
            // is a no-op, and frees it if gRPC dropped it unsent.
            try {
                call.onNext(packet);
            } finally {
                packet.close();
            }
        }

        @Override
        public void complete() {
            call.onCompleted();
        }
    }
}
