package io.mppnode.server.exchange;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.TikvGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A sender on a loopback port that is not one of ours: a stock grpc-java server that answers
 * every EstablishMPPConnection with a scripted list of packets (built with the stock protobuf
 * classes), then ends the stream normally or, for a sender that disappears mid-stream, with
 * UNAVAILABLE.
 */
final class TestingSenderServer extends TikvGrpc.TikvImplBase implements AutoCloseable {
    private final List<MPPDataPacket> packets;
    private final boolean breakAfterPackets;
    private final Server server;

    TestingSenderServer(List<MPPDataPacket> packets, boolean breakAfterPackets) {
        this.packets = List.copyOf(packets);
        this.breakAfterPackets = breakAfterPackets;
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void establishMPPConnection(EstablishMPPConnectionRequest request, StreamObserver<MPPDataPacket> response) {
        packets.forEach(response::onNext);
        if (breakAfterPackets) {
            response.onError(Status.UNAVAILABLE.withDescription("the sender's node went away").asRuntimeException());
        } else {
            response.onCompleted();
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
    }
}
