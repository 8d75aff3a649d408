package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real gRPC server over Netty on 127.0.0.1 (an ephemeral port) and plaintext channels to it:
 * {@link #channel()} with the production receive settings ({@link ExchangeTransport}),
 * {@link #stockChannel()} with gRPC's defaults (a stock client). Either it serves
 * {@code EstablishMPPConnection} with {@link OutboundPacket}s through {@link ExchangeMethods},
 * with the production send settings, sending only while the call is ready as a production
 * tunnel does; or any given service with gRPC's default server settings (a stock server).
 * Closing shuts everything down, bounded.
 */
final class TestingExchangeServer implements AutoCloseable {
    /** Large enough for any packet the tests send. */
    static final int MAX_MESSAGE_SIZE = 64 << 20;

    private final Server server;
    private final ManagedChannel channel;
    private final ManagedChannel stockChannel;

    private TestingExchangeServer(ServerServiceDefinition service, boolean exchangeSettings) throws IOException {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service);
        server = (exchangeSettings ? ExchangeTransport.configureServer(builder) : builder).build().start();
        channel = ExchangeTransport.configurePlaintextChannel(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()))
                .maxInboundMessageSize(MAX_MESSAGE_SIZE)
                .build();
        stockChannel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_SIZE)
                .build();
    }

    /**
     * Serves every call with the packets {@code packets} gives for its request, sent in order
     * as the call becomes ready, then completes the call.
     */
    static TestingExchangeServer serving(OutboundPacketMarshaller marshaller,
            Function<EstablishMPPConnectionRequest, Iterator<OutboundPacket>> packets) throws IOException {
        requireNonNull(packets, "packets is null");
        ServerServiceDefinition service = ServerServiceDefinition.builder("tikvpb.Tikv")
                .addMethod(ExchangeMethods.establishMppConnectionServer(marshaller),
                        ServerCalls.asyncServerStreamingCall((request, observer) -> new ReadySender(observer, packets.apply(request)).start()))
                .build();
        return new TestingExchangeServer(service, true);
    }

    /** A stock server: the service under gRPC's default settings. */
    static TestingExchangeServer serving(BindableService service) throws IOException {
        return new TestingExchangeServer(service.bindService(), false);
    }

    /** A stock server: the service under gRPC's default settings. */
    static TestingExchangeServer serving(ServerServiceDefinition service) throws IOException {
        return new TestingExchangeServer(service, false);
    }

    /** The service under the production server settings ({@code exchangeSettings}) or gRPC's defaults. */
    static TestingExchangeServer serving(ServerServiceDefinition service, boolean exchangeSettings) throws IOException {
        return new TestingExchangeServer(service, exchangeSettings);
    }

    /** The server's port on 127.0.0.1 (for a channel with other settings). */
    int port() {
        return server.getPort();
    }

    /** A channel with the production receive settings. */
    ManagedChannel channel() {
        return channel;
    }

    /** A channel with gRPC's default settings, as a stock client has. */
    ManagedChannel stockChannel() {
        return stockChannel;
    }

    /** Shuts down, waiting at most 10 seconds for each part before forcing it. */
    @Override
    public void close() {
        channel.shutdown();
        stockChannel.shutdown();
        server.shutdown();
        try {
            for (ManagedChannel each : List.of(channel, stockChannel)) {
                if (!each.awaitTermination(10, TimeUnit.SECONDS)) {
                    each.shutdownNow();
                }
            }
            if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
            stockChannel.shutdownNow();
            server.shutdownNow();
        }
    }

    /**
     * Sends while {@code isReady()}, resumes on the ready handler. gRPC runs the handler, the
     * ready and the cancel callbacks of one call one at a time, so no locking.
     */
    private static final class ReadySender implements Runnable {
        private final ServerCallStreamObserver<OutboundPacket> call;
        private final Iterator<OutboundPacket> packets;
        private boolean done;

        ReadySender(StreamObserver<OutboundPacket> observer, Iterator<OutboundPacket> packets) {
            this.call = (ServerCallStreamObserver<OutboundPacket>) observer;
            this.packets = packets;
        }

        void start() {
            call.setOnCancelHandler(() -> done = true);
            call.setOnReadyHandler(this);
            run();
        }

        @Override
        public void run() {
            while (!done && call.isReady()) {
                if (!packets.hasNext()) {
                    done = true;
                    call.onCompleted();
                    return;
                }
                OutboundPacket packet = packets.next();
                try {
                    call.onNext(packet);
                } catch (RuntimeException e) {
                    // Not handed over (the call was cancelled): still ours. Idempotent.
                    packet.close();
                    done = true;
                }
            }
        }
    }
}
