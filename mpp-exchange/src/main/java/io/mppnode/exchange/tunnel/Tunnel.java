package io.mppnode.exchange.tunnel;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One stream from a sender task to one receiver. The sender writes packets; they wait in a
 * buffer bounded in bytes until the receiver has connected and its transport is ready. When the
 * buffer is over its bound, {@link #write} returns an incomplete future that completes when the
 * buffer has drained below it, so a slow receiver slows its sender without parking a thread.
 *
 * <p>Thread-safe. Futures are completed outside the lock, so callbacks may call back in.
 */
public final class Tunnel {
    public enum State { WAITING_FOR_RECEIVER, CONNECTED, FINISHED, ABORTED }

    private static final CompletableFuture<Void> WRITABLE = CompletableFuture.completedFuture(null);

    private final String name;
    private final long bufferLimitBytes;
    private final long mppVersion;
    private final TunnelListener listener;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private final ArrayDeque<MPPDataPacket> queue = new ArrayDeque<>();
    private long bufferedBytes;
    private boolean endQueued;
    private PacketStream stream;
    private State state = State.WAITING_FOR_RECEIVER;
    private MppException abortCause;
    private CompletableFuture<Void> writable = WRITABLE;

    /**
     * @param name names both ends, for errors and logs
     * @param bufferLimitBytes the bound of the send buffer; a single larger packet is still taken
     * @param mppVersion stamped on the error packet of an abort
     */
    public Tunnel(String name, long bufferLimitBytes, long mppVersion, TunnelListener listener) {
        if (bufferLimitBytes <= 0) {
            throw new IllegalArgumentException("bufferLimitBytes must be positive: " + bufferLimitBytes);
        }
        this.name = requireNonNull(name, "name is null");
        this.bufferLimitBytes = bufferLimitBytes;
        this.mppVersion = mppVersion;
        this.listener = requireNonNull(listener, "listener is null");
    }

    public String name() {
        return name;
    }

    /**
     * Queues a packet. The returned future is complete while the buffer is within its bound;
     * otherwise the sender should wait for it before writing more.
     *
     * @throws MppException the abort cause, when the tunnel was aborted
     */
    public CompletableFuture<Void> write(MPPDataPacket packet) {
        requireNonNull(packet, "packet is null");
        Runnable after;
        CompletableFuture<Void> result;
        synchronized (this) {
            if (state == State.ABORTED) {
                throw abortCause;
            }
            if (endQueued) {
                throw new IllegalStateException(name + ": write after finish");
            }
            queue.add(packet);
            bufferedBytes += packet.getSerializedSize();
            after = drainLocked();
            if (bufferedBytes > bufferLimitBytes && writable.isDone()) {
                writable = new CompletableFuture<>();
            }
            result = writable;
        }
        after.run();
        return result;
    }

    /** Ends the stream after the packets already written. */
    public void finish() {
        Runnable after;
        synchronized (this) {
            if (state == State.ABORTED || endQueued) {
                return;
            }
            endQueued = true;
            after = drainLocked();
        }
        after.run();
    }

    /**
     * Attaches the receiver's transport. A tunnel already aborted answers it with the error
     * packet at once.
     *
     * @throws MppException when a receiver is already connected
     */
    public void connect(PacketStream receiver) {
        requireNonNull(receiver, "receiver is null");
        Runnable after;
        synchronized (this) {
            if (state == State.ABORTED) {
                receiver.send(errorPacket(abortCause));
                receiver.complete();
                return;
            }
            if (stream != null) {
                throw new MppException(ErrorCode.INVALID_REQUEST, name + " is already connected to a receiver");
            }
            stream = receiver;
            state = State.CONNECTED;
            after = drainLocked();
        }
        connected.complete(null);
        after.run();
    }

    /** The transport became ready: send what waits. */
    public void onReady() {
        Runnable after;
        synchronized (this) {
            after = drainLocked();
        }
        after.run();
    }

    /** The receiver cancelled its call or its connection broke. */
    public void onReceiverGone() {
        abort(new MppException(ErrorCode.RECEIVER_GONE, "the receiver of " + name + " went away"), false);
    }

    /** Drops what waits, sends the error packet if a receiver is connected, and ends the stream. */
    public void abort(MppException cause) {
        abort(cause, true);
    }

    private void abort(MppException cause, boolean sendError) {
        requireNonNull(cause, "cause is null");
        CompletableFuture<Void> waiting;
        synchronized (this) {
            if (state == State.ABORTED || state == State.FINISHED) {
                return;
            }
            state = State.ABORTED;
            abortCause = cause;
            queue.clear();
            bufferedBytes = 0;
            if (stream != null && sendError) {
                stream.send(errorPacket(cause));
                stream.complete();
            }
            waiting = writable;
            writable = WRITABLE;
        }
        waiting.complete(null);
        connected.completeExceptionally(cause);
        done.completeExceptionally(cause);
    }

    public synchronized State state() {
        return state;
    }

    public synchronized long bufferedBytes() {
        return bufferedBytes;
    }

    public synchronized int bufferedPackets() {
        return queue.size();
    }

    /** Completes when a receiver connects; fails when the tunnel is aborted first. */
    public CompletableFuture<Void> connected() {
        return connected;
    }

    /** Completes when the stream ended normally (all sent); fails with the abort cause. */
    public CompletableFuture<Void> done() {
        return done;
    }

    private MPPDataPacket errorPacket(MppException cause) {
        return MPPDataPacket.newBuilder().setError(cause.toWire(mppVersion)).build();
    }

    /** Sends while the transport is ready; returns what must run once the lock is released. */
    private Runnable drainLocked() {
        if (state != State.CONNECTED) {
            return () -> {};
        }
        while (!queue.isEmpty() && stream.isReady()) {
            MPPDataPacket packet = queue.poll();
            long size = packet.getSerializedSize();
            bufferedBytes -= size;
            stream.send(packet);
            listener.packetSent(size);
        }
        boolean finished = false;
        if (queue.isEmpty() && endQueued) {
            stream.complete();
            state = State.FINISHED;
            finished = true;
        }
        CompletableFuture<Void> release = null;
        if (bufferedBytes <= bufferLimitBytes && !writable.isDone()) {
            release = writable;
            writable = WRITABLE;
        }
        if (!finished && release == null) {
            return () -> {};
        }
        boolean complete = finished;
        CompletableFuture<Void> toRelease = release;
        return () -> {
            if (toRelease != null) {
                toRelease.complete(null);
            }
            if (complete) {
                done.complete(null);
            }
        };
    }
}
