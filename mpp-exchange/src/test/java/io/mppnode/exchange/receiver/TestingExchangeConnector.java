package io.mppnode.exchange.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A connector under the test's control. Every remote connection it opens is recorded, in order
 * per source, and the test plays the transport: it delivers packets (never more than the
 * receiver asked for), completes or fails the stream, and reads the requests and cancels the
 * receiver made. For a local source the test gets the receiver's end and plays the tunnel, or
 * attaches a real one. Thread-safe: a receiver reconnects from its timer thread.
 */
final class TestingExchangeConnector implements ExchangeConnector {
    /** How long a test waits for a reconnection before it fails: a guard against a hang, not a timing. */
    private static final long WAIT_SECONDS = 30;

    private final Map<ExchangeSource, List<CompletableFuture<Remote>>> remotes = new HashMap<>();
    private final Map<ExchangeSource, Integer> openCounts = new HashMap<>();
    private final Map<ExchangeSource, Integer> failingOpens = new HashMap<>();
    private MppException openFailure;
    private final Map<ExchangeSource, Local> locals = new HashMap<>();

    @Override
    public RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
        Remote connection = new Remote(source, allocator, listener);
        CompletableFuture<Remote> opened;
        MppException failure = null;
        synchronized (this) {
            opened = attempt(source, openCounts.merge(source, 1, Integer::sum) - 1);
            if (failingOpens.getOrDefault(source, 0) > 0) {
                failingOpens.merge(source, -1, Integer::sum);
                failure = openFailure;
            }
        }
        if (failure != null) {
            // As the gRPC connector reports a missing channel: before openRemote returns.
            listener.onError(failure, true);
        }
        opened.complete(connection);
        return connection;
    }

    @Override
    public synchronized LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end) {
        Local connection = new Local(end);
        assertThat(locals.put(source, connection)).as("a second local connection to %s", source.name()).isNull();
        return connection;
    }

    /** Makes the next {@code count} opens of {@code source} fail with {@code cause} before they return. */
    synchronized void failOpens(ExchangeSource source, int count, MppException cause) {
        failingOpens.put(source, count);
        openFailure = cause;
    }

    /** The latest connection to {@code source}, which must have been opened. */
    synchronized Remote remote(ExchangeSource source) {
        int count = openCount(source);
        assertThat(count).as("connections to %s", source.name()).isPositive();
        return attempt(source, count - 1).join();
    }

    /** Waits for the connection of the given attempt (0 for the first) to {@code source}. */
    Remote awaitRemote(ExchangeSource source, int attempt) {
        CompletableFuture<Remote> opened;
        synchronized (this) {
            opened = attempt(source, attempt);
        }
        try {
            return opened.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection attempt " + (attempt + 1) + " to " + source.name() + " was not opened", e);
        }
    }

    /** How many connections to {@code source} were opened. */
    synchronized int openCount(ExchangeSource source) {
        return openCounts.getOrDefault(source, 0);
    }

    /** The future of one connection attempt, made by whichever comes first: the open or the wait. */
    private CompletableFuture<Remote> attempt(ExchangeSource source, int attempt) {
        List<CompletableFuture<Remote>> attempts = remotes.computeIfAbsent(source, ignored -> new ArrayList<>());
        while (attempts.size() <= attempt) {
            attempts.add(new CompletableFuture<>());
        }
        return attempts.get(attempt);
    }

    synchronized Local local(ExchangeSource source) {
        Local connection = locals.get(source);
        assertThat(connection).as("local connection to %s", source.name()).isNotNull();
        return connection;
    }

    /** A remote stream: the test delivers what the receiver asked for. */
    static final class Remote implements RemoteConnection {
        private final ExchangeSource source;
        private final BufferAllocator allocator;
        private final RemoteListener listener;
        private int requested;
        private int delivered;
        private final List<String> cancels = new ArrayList<>();
        private final CompletableFuture<Void> terminated = new CompletableFuture<>();
        private boolean holdTermination;

        Remote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
            this.source = source;
            this.allocator = allocator;
            this.listener = listener;
        }

        @Override
        public synchronized void request(int count) {
            assertThat(count).isPositive();
            requested += count;
            notifyAll();
        }

        /**
         * Waits until the receiver asked for {@code count} packets in all: a connection opened on
         * the receiver's timer thread is asked for its first packet just after it opened.
         */
        synchronized Remote awaitRequested(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (requested < count) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("%s asked for %d packets", source.name(), count).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return this;
        }

        @Override
        public void cancel(String reason) {
            boolean terminate;
            synchronized (this) {
                cancels.add(reason);
                terminate = !holdTermination;
                notifyAll();
            }
            if (terminate) {
                terminated.complete(null);
            }
        }

        @Override
        public CompletableFuture<Void> terminated() {
            return terminated;
        }

        /** From now on a cancel does not end the stream at once: the test plays a callback still under way, and ends it with {@link #terminate}. */
        synchronized void holdTermination() {
            holdTermination = true;
        }

        /** The stream's last callback returned. */
        void terminate() {
            terminated.complete(null);
        }

        /** Delivers a packet as the transport would: its chunks copied into the receiver's allocator. */
        void deliver(MPPDataPacket packet) {
            synchronized (this) {
                assertThat(delivered).as("packets delivered to %s, of %d requested", source.name(), requested).isLessThan(requested);
                delivered++;
            }
            listener.onPacket(InboundPacket.fromProto(packet, allocator));
        }

        /** Delivers an encoded packet, closing it. */
        void deliver(OutboundPacket packet) {
            try (packet) {
                deliver(packet.toProto());
            }
        }

        void complete() {
            try {
                listener.onCompleted();
            } finally {
                terminated.complete(null);
            }
        }

        void fail(MppException cause, boolean connectFailure) {
            try {
                listener.onError(cause, connectFailure);
            } finally {
                terminated.complete(null);
            }
        }

        synchronized int requested() {
            return requested;
        }

        /** Packets asked for and not delivered yet. */
        synchronized int credits() {
            return requested - delivered;
        }

        /** Waits until the receiver cancelled the stream (it may do so from another thread). */
        synchronized void awaitCancelled() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (cancels.isEmpty()) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("%s was cancelled", source.name()).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        synchronized boolean isCancelled() {
            return !cancels.isEmpty();
        }

        synchronized List<String> cancels() {
            return List.copyOf(cancels);
        }
    }

    /** A local connection: the receiver's end of the tunnel, and what the receiver told the tunnel. */
    static final class Local implements LocalConnection {
        private final PacketStream<LocalPacket> end;
        private Tunnel<LocalPacket> tunnel;
        private int readyCalls;
        private boolean cancelled;

        Local(PacketStream<LocalPacket> end) {
            this.end = end;
        }

        /** The receiver's end, for a test that plays the tunnel. */
        PacketStream<LocalPacket> end() {
            return end;
        }

        /** Connects a real tunnel to the receiver's end, and passes it the receiver's events from now on. */
        void attach(Tunnel<LocalPacket> target) {
            synchronized (this) {
                tunnel = target;
            }
            target.connect(end);
        }

        @Override
        public void onReady() {
            Tunnel<LocalPacket> target;
            synchronized (this) {
                readyCalls++;
                target = tunnel;
            }
            if (target != null) {
                target.onReady();
            }
        }

        @Override
        public void cancel() {
            Tunnel<LocalPacket> target;
            synchronized (this) {
                cancelled = true;
                target = tunnel;
            }
            if (target != null) {
                target.onReceiverGone();
            }
        }

        synchronized int readyCalls() {
            return readyCalls;
        }

        synchronized boolean isCancelled() {
            return cancelled;
        }
    }
}
