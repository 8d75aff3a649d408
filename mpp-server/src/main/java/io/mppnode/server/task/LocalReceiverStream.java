package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.MppException;
import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;

/**
 * The end of a local tunnel on the receiving task's side: packets go straight to the task's
 * {@code ExchangeReceiver}; its room-again and cancel events go to the tunnel once attached.
 */
final class LocalReceiverStream implements ReceiverStream<LocalPacket>, ExchangeConnector.LocalConnection {
    private final PacketStream<LocalPacket> end;
    private final Object lock = new Object();
    private Tunnel<LocalPacket> tunnel;
    private Runnable onCancelledBeforeAttach;
    private boolean cancelled;

    LocalReceiverStream(PacketStream<LocalPacket> end) {
        this.end = requireNonNull(end, "end is null");
    }

    @Override
    public boolean isLocal() {
        return true;
    }

    @Override
    public boolean isReady() {
        return end.isReady();
    }

    @Override
    public void send(LocalPacket packet) {
        end.send(packet);
    }

    @Override
    public void complete() {
        end.complete();
    }

    @Override
    public void fail(MppException error, long mppVersion) {
        end.send(LocalPacket.ofError(error));
        end.complete();
    }

    @Override
    public void attach(Tunnel<LocalPacket> target) {
        boolean wasCancelled;
        synchronized (lock) {
            tunnel = target;
            wasCancelled = cancelled;
        }
        if (wasCancelled) {
            target.onReceiverGone();
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

    @Override
    public void onReady() {
        Tunnel<LocalPacket> target;
        synchronized (lock) {
            target = tunnel;
        }
        if (target != null) {
            target.onReady();
        }
    }

    @Override
    public void cancel() {
        Tunnel<LocalPacket> target;
        Runnable action;
        synchronized (lock) {
            if (cancelled) {
                return;
            }
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
