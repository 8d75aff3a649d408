package io.mppnode.exchange.tunnel;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.OutboundPacket;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One stream from a sender task to one receiver. The sender writes packets; they wait in a
 * buffer bounded in bytes until the receiver has connected and its end is ready. When the
 * buffer is over its bound, {@link #write} returns an incomplete future that completes when the
 * buffer has drained below it, so a slow receiver slows its sender without parking a thread
 * and the memory held stays under the bound (plus the one packet that crossed it).
 *
 * <p>The same class serves both kinds of receiver: a remote one ({@code OutboundPacket}s to a
 * gRPC call, see {@link #remote}) and a local one ({@link LocalPacket}s moving batches by
 * ownership, see {@link #local}). The tunnel owns every packet written to it until it hands it
 * to the stream, and closes what it drops on abort.
 *
 * <p>Thread-safe. Futures are completed outside the lock, so callbacks may call back in.
 *
 * @param <P> the packet type
 */
public final class Tunnel<P extends TunnelPacket> {
    public enum State { WAITING_FOR_RECEIVER, CONNECTED, FINISHED, ABORTED }

    private static final CompletableFuture<Void> WRITABLE = CompletableFuture.completedFuture(null);

    private final String name;
    private final boolean local;
    private final long bufferLimitBytes;
    private final Function<MppException, P> errorPacket;
    private final TunnelListener listener;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private final ArrayDeque<P> queue = new ArrayDeque<>();
    private long bufferedBytes;
    private boolean endQueued;
    private PacketStream<P> stream;
    private State state = State.WAITING_FOR_RECEIVER;
    private MppException abortCause;
    private CompletableFuture<Void> writable = WRITABLE;
    private long blockedSince;

    /**
     * @param name names both ends, for errors and logs
     * @param local whether the receiver is on this node
     * @param bufferLimitBytes the bound of the send buffer; a single larger packet is still taken
     * @param errorPacket makes the packet that tells the receiver of an abort
     */
    public Tunnel(String name, boolean local, long bufferLimitBytes, Function<MppException, P> errorPacket, TunnelListener listener) {
        if (bufferLimitBytes <= 0) {
            throw new IllegalArgumentException("bufferLimitBytes must be positive: " + bufferLimitBytes);
        }
        this.name = requireNonNull(name, "name is null");
        this.local = local;
        this.bufferLimitBytes = bufferLimitBytes;
        this.errorPacket = requireNonNull(errorPacket, "errorPacket is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** A tunnel to a receiver on this node: batches move by ownership. */
    public static Tunnel<LocalPacket> local(String name, long bufferLimitBytes, TunnelListener listener) {
        return new Tunnel<>(name, true, bufferLimitBytes, LocalPacket::ofError, listener);
    }

    /** A tunnel to a receiver on another node: encoded packets to its gRPC call. */
    public static Tunnel<OutboundPacket> remote(String name, long bufferLimitBytes, long mppVersion, TunnelListener listener) {
        return new Tunnel<>(name, false, bufferLimitBytes, cause -> OutboundPacket.ofError(cause.toWire(mppVersion)), listener);
    }

    public String name() {
        return name;
    }

    public boolean isLocal() {
        return local;
    }

    /**
     * Queues a packet, taking it over. The returned future is complete while the buffer is
     * within its bound; otherwise the sender should wait for it before writing more.
     *
     * @throws MppException the abort cause, when the tunnel was aborted (the packet is closed)
     */
    public CompletableFuture<Void> write(P packet) {
        requireNonNull(packet, "packet is null");
        Runnable after;
        CompletableFuture<Void> result;
        synchronized (this) {
            if (state == State.ABORTED) {
                packet.close();
                throw abortCause;
            }
            if (endQueued) {
                packet.close();
                throw new IllegalStateException(name + ": write after finish");
            }
            queue.add(packet);
            bufferedBytes += packet.sizeBytes();
            listener.bufferedBytesChanged(packet.sizeBytes());
            after = drainLocked();
            if (bufferedBytes > bufferLimitBytes && writable.isDone()) {
                writable = new CompletableFuture<>();
                blockedSince = System.nanoTime();
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
     * Attaches the receiver's end. A tunnel already aborted answers it with the error packet at
     * once.
     *
     * @throws MppException when a receiver is already connected
     */
    public void connect(PacketStream<P> receiver) {
        requireNonNull(receiver, "receiver is null");
        Runnable after;
        synchronized (this) {
            if (state == State.ABORTED) {
                receiver.send(errorPacket.apply(abortCause));
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

    /** The receiving end became ready: send what waits. */
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
            for (P packet : queue) {
                packet.close();
            }
            queue.clear();
            listener.bufferedBytesChanged(-bufferedBytes);
            bufferedBytes = 0;
            if (stream != null && sendError) {
                stream.send(errorPacket.apply(cause));
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

    /** Completes when the stream ended normally (all handed to the receiver); fails with the abort cause. */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Sends while the receiving end is ready; returns what must run once the lock is released. */
    private Runnable drainLocked() {
        if (state != State.CONNECTED) {
            return () -> {};
        }
        while (!queue.isEmpty() && stream.isReady()) {
            P packet = queue.poll();
            long size = packet.sizeBytes();
            bufferedBytes -= size;
            listener.bufferedBytesChanged(-size);
            stream.send(packet);
            listener.packetSent(size);
            if (state != State.CONNECTED) {
                // A local receiver failed on the packet and cancelled from inside send: the
                // tunnel is aborted (on this thread, the lock is reentrant) and abort did the rest.
                return () -> {};
            }
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
            listener.writerBlocked(System.nanoTime() - blockedSince);
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
