package io.mppnode.benchmarks;

import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.replication.ReplicationManager;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Replication lag under a steady write load (issue 7): a main, not JMH, that prints its figures.
 *
 * <p>Starts a MariaDB server ({@link BenchMariaDb}) and a node ({@code binlog-fsync} from
 * {@code --fsync}, default always), creates {@code bench.lineitem} ({@link ReplicationWorkload})
 * and starts the node's replication in follow mode from the end of the binlog. Then, for each
 * rate of {@code --rates}: a writer (one JDBC connection) commits {@code --rows}-row INSERT
 * transactions on a fixed schedule (transaction i is due at start + i x rows/rate; a late one goes
 * at once, so the offered rate holds unless MariaDB itself cannot keep up), first for
 * {@code --warmup} seconds (not recorded), then for {@code --rounds} rounds of {@code --seconds}
 * each. Before the first rate, {@code --jit-warmup} seconds at the highest rate (not recorded)
 * warm the JIT up.
 *
 * <p>The lag of a transaction: right after its COMMIT returns the writer takes the time and the
 * source's binlog end ({@code SHOW MASTER STATUS} on the same connection; the writer is the only
 * one writing, so that is the end of its transaction); an observer thread polls the node's
 * {@code ReplicationManager.status()} (parking 0.1 ms between polls) until the applied position
 * (the position after the last transaction whose COMMIT the node has written to its binlog and
 * applied to its replica, so readable there) reaches it. Lag = the poll that saw it minus the
 * commit time. The peer, in the same run: the binlog connector alone ({@link ConnectorOnlyReader}
 * following the binlog from the same start on a connection of its own, decoding every row, no
 * node), whose lag is the time until it has received the transaction's XID event, measured the
 * same way by a second observer thread. Each round prints p50/p90/p99/max/mean of both, the rate
 * achieved, the node status's {@code lag_events}/{@code lag_seconds} right after the round's
 * last commit and their largest value over the polls. {@code lag_seconds} follows Seconds_Behind_Master's rule on the binlog's
 * event timestamps, which have one-second resolution.
 *
 * <p>Run: {@code java @bin/jvm.options -Xmx2g -cp benchmarks/target/benchmarks.jar io.mppnode.benchmarks.ReplicationLag}
 * (defaults: {@code --rates 2000,10000 --rows 100 --jit-warmup 10 --warmup 5 --rounds 3 --seconds 5
 * --fsync always}; about 70 s).
 */
public final class ReplicationLag {
    private static final java.util.logging.Logger NODE_LOG = java.util.logging.Logger.getLogger("io.mppnode");
    private static final long POLL_NANOS = 100_000;
    private static final int PEER_SERVER_ID = 7001;

    private record Committed(long nanos, BenchMariaDb.Position end) {}

    private record Round(long[] lagNanos, long[] peerLagNanos, double rowsPerSecond, ReplicationStatus atEnd, long maxLagEvents,
            double maxLagSeconds) {}

    private ReplicationLag() {}

    public static void main(String[] args) throws Exception {
        NODE_LOG.setLevel(java.util.logging.Level.WARNING);
        List<Integer> rates = List.of(2000, 10_000);
        int rows = 100;
        int warmup = 5;
        int jitWarmup = 10;
        int rounds = 3;
        int seconds = 5;
        String fsync = "always";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--rates" -> rates = Arrays.stream(value.split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--rows" -> rows = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--jit-warmup" -> jitWarmup = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--fsync" -> fsync = value;
                default -> {
                    System.err.println("usage: ReplicationLag [--rates 2000,10000] [--rows 100] [--jit-warmup 10] [--warmup 5] [--rounds 3]"
                            + " [--seconds 5] [--fsync always|none]");
                    System.exit(args[i].equals("--help") ? 0 : 2);
                }
            }
            i++;
        }
        System.out.printf("replication lag: %d-row transactions, rates %s rows/s, JIT warm-up %d s, warm-up %d s per rate, %d rounds of"
                + " %d s, binlog-fsync %s, %d cores%n", rows, rates, jitWarmup, warmup, rounds, seconds, fsync,
                Runtime.getRuntime().availableProcessors());
        try (BenchMariaDb maria = BenchMariaDb.start(); ReplicationWorkload.Node node = new ReplicationWorkload.Node(fsync)) {
            maria.createReplicationUser();
            ReplicationWorkload.createTable(maria);
            BenchMariaDb.Position start = maria.masterStatus();
            ReplicationManager replication = node.replication();
            replication.start(ReplicationWorkload.spec(maria, start.startPoint(), "follow"));
            awaitApplied(replication, start, TimeUnit.SECONDS.toNanos(60));
            ConnectorOnlyReader peer = new ConnectorOnlyReader(maria, PEER_SERVER_ID, start, true);
            Thread peerThread = Thread.ofPlatform().daemon().name("connector-only-peer").start(() -> {
                try {
                    peer.connect();
                } catch (java.io.IOException e) {
                    System.err.println("the connector-only peer failed: " + e);
                }
            });
            long[] nextId = {1};
            try (Connection connection = maria.connect()) {
                connection.setAutoCommit(false);
                // The JIT first: at the highest rate, so that a low rate measured first is not measured cold.
                run(connection, replication, peer, nextId, rates.stream().max(Integer::compare).orElseThrow(), rows, jitWarmup);
                for (int rate : rates) {
                    run(connection, replication, peer, nextId, rate, rows, warmup);
                    List<long[]> all = new ArrayList<>();
                    List<long[]> allPeer = new ArrayList<>();
                    double[][] spreads = new double[4][rounds];
                    for (int r = 0; r < rounds; r++) {
                        Round round = run(connection, replication, peer, nextId, rate, rows, seconds);
                        all.add(round.lagNanos());
                        allPeer.add(round.peerLagNanos());
                        spreads[0][r] = percentile(round.lagNanos(), 0.50);
                        spreads[1][r] = percentile(round.lagNanos(), 0.99);
                        spreads[2][r] = percentile(round.peerLagNanos(), 0.50);
                        spreads[3][r] = percentile(round.peerLagNanos(), 0.99);
                        System.out.printf(Locale.ROOT, "rate %6d rows/s round %d: achieved %.0f rows/s%n  node: %s; at the last commit"
                                + " lag_events %d, lag_seconds %.1f; max over polls lag_events %d, lag_seconds %.1f%n  peer: %s%n", rate, r + 1,
                                round.rowsPerSecond(), describe(round.lagNanos()), round.atEnd().getLagEvents(), round.atEnd().getLagSeconds(),
                                round.maxLagEvents(), round.maxLagSeconds(), describe(round.peerLagNanos()));
                    }
                    System.out.printf(Locale.ROOT, "rate %6d rows/s, all %d rounds%n  node: %s; p50 over rounds %s ms, p99 over rounds %s ms%n"
                            + "  peer: %s; p50 over rounds %s ms, p99 over rounds %s ms%n", rate, rounds, describe(merge(all)), spread(spreads[0]),
                            spread(spreads[1]), describe(merge(allPeer)), spread(spreads[2]), spread(spreads[3]));
                }
            }
            peer.disconnect();
            peerThread.join(10_000);
            ReplicationStatus status = replication.status();
            System.out.printf("end: state %s, %d transactions and %d rows applied, %d events received%n", status.getState(),
                    status.getTransactionsApplied(), status.getRowsApplied(), status.getEventsReceived());
            replication.stop();
        }
    }

    /**
     * Waits, in commit order, for each committed transaction to reach a reader (the node, or the
     * connector-only peer) and records its lag; polls {@code position} every 0.1 ms.
     */
    private static final class Observer {
        private static final Committed LAST = new Committed(0, null);

        private final BlockingQueue<Committed> committed = new LinkedBlockingQueue<>();
        private final java.util.function.Supplier<BenchMariaDb.Position> position;
        private final long[] lags;
        private int count;
        private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        private final Thread thread;

        Observer(String name, int capacity, java.util.function.Supplier<BenchMariaDb.Position> position) {
            this.position = position;
            this.lags = new long[capacity];
            this.thread = Thread.ofPlatform().name(name).start(this::run);
        }

        void committed(Committed transaction) {
            committed.add(transaction);
        }

        private void run() {
            try {
                while (true) {
                    Committed next = committed.take();
                    if (next == LAST) {
                        return;
                    }
                    while (true) {
                        BenchMariaDb.Position at = position.get();
                        if (at != null && at.compareTo(next.end()) >= 0) {
                            break;
                        }
                        LockSupport.parkNanos(POLL_NANOS);
                    }
                    if (count == lags.length) {
                        throw new IllegalStateException("more transactions than planned");
                    }
                    lags[count++] = System.nanoTime() - next.nanos();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }

        /** Waits for every transaction handed in so far; returns their lags, sorted. */
        long[] finish(String what) throws InterruptedException {
            committed.add(LAST);
            thread.join(TimeUnit.SECONDS.toMillis(120));
            if (failure.get() != null) {
                throw new IllegalStateException("the lag observer of " + what + " failed", failure.get());
            }
            if (thread.isAlive()) {
                thread.interrupt();
                throw new IllegalStateException(what + " did not catch up within 120 s of the writer's end");
            }
            return Arrays.stream(lags, 0, count).sorted().toArray();
        }
    }

    /** One phase at {@code rate} for {@code seconds}: the writer on this thread, the observers on others. */
    private static Round run(Connection connection, ReplicationManager replication, ConnectorOnlyReader peer, long[] nextId, int rate,
            int rows, int seconds) throws Exception {
        int capacity = (int) ((long) rate * seconds / rows) + 16;
        long[] maxLagEvents = {0};
        double[] maxLagSeconds = {0};
        Observer node = new Observer("lag-observer-node", capacity, () -> {
            ReplicationStatus status = replication.status();
            if (status.getState() == ReplicationState.FAILED) {
                throw new IllegalStateException("replication failed: " + status.getLastError());
            }
            maxLagEvents[0] = Math.max(maxLagEvents[0], status.getLagEvents());
            maxLagSeconds[0] = Math.max(maxLagSeconds[0], status.getLagSeconds());
            return new BenchMariaDb.Position(status.getApplied().getFile(), status.getApplied().getPosition());
        });
        Observer connector = new Observer("lag-observer-peer", capacity, peer::committed);
        long period = TimeUnit.SECONDS.toNanos(1) * rows / rate;
        long started = System.nanoTime();
        long end = started + TimeUnit.SECONDS.toNanos(seconds);
        long written = 0;
        long lastCommit = started;
        try (Statement statement = connection.createStatement()) {
            for (long i = 0; ; i++) {
                long due = started + i * period;
                if (due >= end) {
                    break;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                statement.execute(ReplicationWorkload.insert(nextId[0], rows));
                connection.commit();
                lastCommit = System.nanoTime();
                nextId[0] += rows;
                written += rows;
                Committed transaction = new Committed(lastCommit, BenchMariaDb.masterStatus(connection));
                node.committed(transaction);
                connector.committed(transaction);
            }
        }
        ReplicationStatus atEnd = replication.status();
        long[] nodeLags = node.finish("the node");
        long[] peerLags = connector.finish("the connector-only peer");
        return new Round(nodeLags, peerLags, written / ((lastCommit - started) / 1e9), atEnd, maxLagEvents[0], maxLagSeconds[0]);
    }

    private static void awaitApplied(ReplicationManager replication, BenchMariaDb.Position position, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            ReplicationStatus status = replication.status();
            if (status.getState() == ReplicationState.FAILED) {
                throw new IllegalStateException("replication failed: " + status.getLastError());
            }
            if (status.getState() == ReplicationState.STREAMING && !status.getApplied().getFile().isEmpty()
                    && new BenchMariaDb.Position(status.getApplied().getFile(), status.getApplied().getPosition()).compareTo(position) >= 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("replication did not reach " + position.startPoint() + ": " + status);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static String describe(long[] sorted) {
        double mean = Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6;
        return String.format(Locale.ROOT, "%d transactions, lag ms p50 %.2f p90 %.2f p99 %.2f max %.2f mean %.2f", sorted.length,
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99), percentile(sorted, 1.0), mean);
    }

    private static long[] merge(List<long[]> rounds) {
        return rounds.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    }

    private static String spread(double[] values) {
        double min = Arrays.stream(values).min().orElse(Double.NaN);
        double max = Arrays.stream(values).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.2f..%.2f", min, max);
    }
}
