package io.mppnode.server.service;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.server.task.AttachableReceiverStream;
import io.mppnode.server.task.ReceiverStream;

/**
 * An EstablishMPPConnection server call as a {@link ReceiverStream}. The ready and cancel
 * handlers are registered at once, before the handler returns (as gRPC requires), and are
 * routed to the tunnel once the call is attached to one.
 */
final class GrpcReceiverStream extends AttachableReceiverStream<OutboundPacket> {
    private final ServerCallStreamObserver<OutboundPacket> call;

    GrpcReceiverStream(StreamObserver<OutboundPacket> observer) {
        this.call = (ServerCallStreamObserver<OutboundPacket>) observer;
        call.setOnReadyHandler(this::ready);
        call.setOnCancelHandler(this::cancelled);
    }

    @Override
    public boolean isLocal() {
        return false;
    }

    @Override
    public void fail(MppException error, long mppVersion) {
        send(OutboundPacket.ofError(error.toWire(mppVersion)));
        complete();
    }

    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public void send(OutboundPacket packet) {
        // The marshaller hands the packet to the transport inside onNext (its chunk memory held
        // by the node's wire allocator until written) and releases it; closing again is a
        // no-op, and frees it if gRPC dropped it unsent.
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
