package io.mppnode.benchmarks;

import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ReceivedBatch;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.server.config.NodeConfig;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the exchange: moving the same Arrow batches ({@link ExchangeBatches}: 64 batches
 * of about 1 MiB, int64, decimal(15,2), utf8 and date columns) from a sender thread to a
 * consumer on the benchmark thread, which releases each batch as it arrives. One operation moves
 * every batch once. The contenders ({@link Contender}) differ only in the transport:
 *
 * <ul>
 *   <li>{@code LOCAL}: ExchangeWriter to a local tunnel to an ExchangeReceiver, by ownership
 *       ({@link LocalExchangeContender});
 *   <li>{@code REMOTE_1}, {@code REMOTE_4}: the same over loopback gRPC, 1 or 4 concurrent
 *       tunnels and calls merged by one receiver ({@link RemoteExchangeContender});
 *   <li>{@code FLIGHT}: Arrow Flight DoGet over loopback, the peer ({@link FlightContender});
 *   <li>{@code SOCKET}: the batches' IPC bytes over a plain loopback socket, the practical
 *       limit ({@link SocketContender}).
 * </ul>
 *
 * <p>Read the secondary results: {@code gigabytes} is GB/s (10^9 bytes of the batches' Arrow IPC
 * encoding per second, whatever a contender actually puts on the wire) and {@code batches} is
 * batches/s; the primary score is operations (whole sets of batches) per second. Buffers are
 * bounded as on a node with default settings (tunnel-buffer-size, also the receiver's bound).
 * Every allocator is closed at the end of the trial: a leak fails it.
 *
 * <p>Run ({@code bin/mpp bench} does the same after building):
 * {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar ExchangeBenchmark -rf json -rff exchange.json}
 * ({@code -p contender=REMOTE_1} for one contender).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class ExchangeBenchmark {
    public enum Contender { LOCAL, REMOTE_1, REMOTE_4, FLIGHT, SOCKET }

    @Param({"LOCAL", "REMOTE_1", "REMOTE_4", "FLIGHT", "SOCKET"})
    public Contender contender;

    /** Batches per operation, about 1 MiB each. */
    @Param("64")
    public int batchCount;

    /**
     * REMOTE only: the server call's on-ready threshold in bytes
     * ({@code ServerCallStreamObserver.setOnReadyThreshold}); 0 keeps gRPC's default (32 KiB),
     * as the node does today. Flight sets 10 MiB.
     */
    @Param("0")
    public int readyThreshold;

    /**
     * REMOTE only: the receiving channel's HTTP/2 flow-control window in bytes; 0 keeps the
     * node's transport settings ({@code ExchangeTransport}: a 4 MiB window).
     */
    @Param("0")
    public int flowControlWindow;

    private BufferAllocator root;
    private ExchangeBatches batches;
    private ExchangeContender mover;

    /** The secondary results: GB/s and batches/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Moved {
        public double gigabytes;
        public long batches;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
            batches = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        root = new RootAllocator(Long.MAX_VALUE);
        batches = new ExchangeBatches(root.newChildAllocator("batches", 0, Long.MAX_VALUE), batchCount);
        long bufferBytes = NodeConfig.defaults().tunnelBufferBytes();
        mover = switch (contender) {
            case LOCAL -> new LocalExchangeContender(batches, root, bufferBytes);
            case REMOTE_1 -> new RemoteExchangeContender(batches, root, bufferBytes, 1, readyThreshold, flowControlWindow);
            case REMOTE_4 -> new RemoteExchangeContender(batches, root, bufferBytes, 4, readyThreshold, flowControlWindow);
            case FLIGHT -> new FlightContender(batches, root);
            case SOCKET -> new SocketContender(batches, root);
        };
        System.out.printf("%n%d batches, %d rows, %d bytes as Arrow IPC (%.2f MiB per batch)%n", batches.count(), batches.rows(),
                batches.encodedBytes(), batches.encodedBytes() / (double) batches.count() / (1 << 20));
    }

    @Benchmark
    public long moveBatches(Moved moved) throws Exception {
        long rows = mover.moveAll();
        if (rows != batches.rows()) {
            throw new IllegalStateException(contender + " delivered " + rows + " rows of " + batches.rows());
        }
        moved.gigabytes += batches.encodedBytes() / 1e9;
        moved.batches += batches.count();
        return rows;
    }

    /** Fails on the first leak found; the root is checked only when its children were clean (else it leaks by consequence). */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        Exception failure = null;
        try {
            if (mover != null) {
                mover.close();
            }
        } catch (Exception e) {
            failure = e;
        }
        try {
            if (batches != null) {
                batches.close();
            }
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        closeChecked(root);
    }

    // ----- shared by the contenders -----

    /**
     * A sender task: writes batches {@code first, first + step, ...} into {@code tunnel} through a
     * pass-through {@link ExchangeWriter}, waiting on its back-pressure future after each, then
     * finishes the writer and the tunnel. A failure aborts the tunnel, so the receiver sees it.
     */
    static Void send(ExchangeBatches batches, Tunnel<?> tunnel, Compression compression, int first, int step) {
        ExchangeWriter writer = new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), batches.schema(), compression, 1, null);
        try {
            for (int i = first; i < batches.count(); i += step) {
                writer.write(batches.share(i)).join();
            }
            writer.finish().join();
            tunnel.finish();
            return null;
        } catch (RuntimeException | Error e) {
            writer.close();
            tunnel.abort(MppException.wrap(e));
            throw e;
        }
    }

    /** The consumer: takes every batch from the receiver and closes it; returns the rows. */
    static long drain(ExchangeReceiver receiver) {
        long rows = 0;
        while (true) {
            ReceivedBatch received = receiver.poll();
            if (received != null) {
                rows += received.batch().getRowCount();
                received.batch().close();
            } else if (receiver.isFinished()) {
                return rows;
            } else {
                receiver.isBlocked().join();
            }
        }
    }

    /** Closes {@code allocator}. @throws IllegalStateException naming what leaked */
    static void closeChecked(BufferAllocator allocator) {
        long leaked = allocator.getAllocatedMemory();
        if (leaked != 0) {
            throw new IllegalStateException("leak: allocator '" + allocator.getName() + "' still holds " + leaked
                    + " bytes at the end of the benchmark\n" + allocator.toVerboseString());
        }
        allocator.close();
    }

    static ThreadFactory threads(String prefix) {
        AtomicInteger next = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + next.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    static void stop(ExecutorService executor) {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("threads of " + executor + " did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
