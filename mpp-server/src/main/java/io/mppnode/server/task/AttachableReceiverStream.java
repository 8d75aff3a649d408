package io.mppnode.server.task;

import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelPacket;

/**
 * The event routing every {@link ReceiverStream} needs: the receiving end's ready and cancel
 * events may come before the stream is attached to its tunnel, after, or in between; they reach
 * the tunnel once it is attached, and a cancel that came first is replayed.
 *
 * @param <P> the packet type
 */
public abstract class AttachableReceiverStream<P extends TunnelPacket> implements ReceiverStream<P> {
    private final Object lock = new Object();
    private Tunnel<P> tunnel;
    private Runnable onCancelledBeforeAttach;
    private boolean cancelled;

    @Override
    public final void attach(Tunnel<P> target) {
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
    public final void onCancelledBeforeAttach(Runnable action) {
        boolean runNow;
        synchronized (lock) {
            onCancelledBeforeAttach = action;
            runNow = cancelled && tunnel == null;
        }
        if (runNow) {
            action.run();
        }
    }

    /** The receiving end can take packets again. */
    protected final void ready() {
        Tunnel<P> target;
        synchronized (lock) {
            target = tunnel;
        }
        if (target != null) {
            target.onReady();
        }
    }

    /** The receiving end went away. Only the first call counts. */
    protected final void cancelled() {
        Tunnel<P> target;
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
