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
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real gRPC server over Netty on 127.0.0.1 (an ephemeral port) and a plaintext channel to it.
 * Either it serves {@code EstablishMPPConnection} with {@link OutboundPacket}s through
 * {@link ExchangeMethods} (sending only while the call is ready, as a production tunnel does),
 * or any given service (a stock one). Closing shuts both down, bounded.
 */
final class TestingExchangeServer implements AutoCloseable {
    /** Large enough for any packet the tests send. */
    static final int MAX_MESSAGE_SIZE = 64 << 20;

    private final Server server;
    private final ManagedChannel channel;

    private TestingExchangeServer(ServerServiceDefinition service) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service)
                .build()
                .start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
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
        return new TestingExchangeServer(service);
    }

    static TestingExchangeServer serving(BindableService service) throws IOException {
        return new TestingExchangeServer(service.bindService());
    }

    static TestingExchangeServer serving(ServerServiceDefinition service) throws IOException {
        return new TestingExchangeServer(service);
    }

    ManagedChannel channel() {
        return channel;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown();
        server.shutdown();
        if (!channel.awaitTermination(10, TimeUnit.SECONDS)) {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
            server.shutdownNow();
            server.awaitTermination(10, TimeUnit.SECONDS);
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
