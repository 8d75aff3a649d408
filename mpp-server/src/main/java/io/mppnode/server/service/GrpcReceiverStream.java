package io.mppnode.server.service;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.server.task.ReceiverStream;

/**
 * An EstablishMPPConnection server call as a {@link ReceiverStream}. The ready and cancel
 * handlers are registered at once, before the handler returns (as gRPC requires), and are
 * routed to the tunnel once the call is attached to one.
 */
final class GrpcReceiverStream implements ReceiverStream {
    private final ServerCallStreamObserver<MPPDataPacket> call;
    private final Object lock = new Object();
    private Tunnel tunnel;
    private Runnable onCancelledBeforeAttach;
    private boolean cancelled;

    GrpcReceiverStream(StreamObserver<MPPDataPacket> observer) {
        this.call = (ServerCallStreamObserver<MPPDataPacket>) observer;
        call.setOnReadyHandler(this::onReady);
        call.setOnCancelHandler(this::onCancel);
    }

    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public void send(MPPDataPacket packet) {
        call.onNext(packet);
    }

    @Override
    public void complete() {
        call.onCompleted();
    }

    @Override
    public void attach(Tunnel target) {
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
        Tunnel target;
        synchronized (lock) {
            target = tunnel;
        }
        if (target != null) {
            target.onReady();
        }
    }

    private void onCancel() {
        Tunnel target;
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
