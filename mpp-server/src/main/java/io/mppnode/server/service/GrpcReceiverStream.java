package io.mppnode.server.service;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.server.task.ReceiverStream;

/**
 * An EstablishMPPConnection server call as a {@link ReceiverStream}. The ready and cancel
 * handlers are registered at once, before the handler returns (as gRPC requires), and are
 * routed to the tunnel once the call is attached to one.
 */
final class GrpcReceiverStream implements ReceiverStream<OutboundPacket> {
    private final ServerCallStreamObserver<OutboundPacket> call;
    private final Object lock = new Object();
    private Tunnel<OutboundPacket> tunnel;
    private Runnable onCancelledBeforeAttach;
    private boolean cancelled;

    GrpcReceiverStream(StreamObserver<OutboundPacket> observer) {
        this.call = (ServerCallStreamObserver<OutboundPacket>) observer;
        call.setOnReadyHandler(this::onReady);
        call.setOnCancelHandler(this::onCancel);
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
        // The marshaller writes the packet into the transport's buffers inside onNext and
        // releases it; closing again is a no-op, and frees it if gRPC dropped it unsent.
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

    @Override
    public void attach(Tunnel<OutboundPacket> target) {
        boolean wasCancelled;
        synchronized (lock) {
            tunnel = target;
            wasCancelled = cancelled;
        }
        if (wasCancelled) {
            target.onReceiverGone();
        } else {
            // A ready event may have come between connect and attach.
            target.onReady();
        }
    }

    @Override
    public void onCancelledBeforeAttach(Runnable action) {
        boolean runNow;
        synchronized (lock) {
            onCancelledBeforeAttach = action;
            runNow = cancelled && tunnel == null;
        }
        if (runNow) {
            action.run();
        }
    }

    private void onReady() {
        Tunnel<OutboundPacket> target;
        synchronized (lock) {
            target = tunnel;
        }
        if (target != null) {
            target.onReady();
        }
    }

    private void onCancel() {
        Tunnel<OutboundPacket> target;
        Runnable action;
        synchronized (lock) {
            cancelled = true;
            target = tunnel;
            action = onCancelledBeforeAttach;
        }
        if (target != null) {
            target.onReceiverGone();
        } else if (action != null) {
            action.run();
        }
    }
}
