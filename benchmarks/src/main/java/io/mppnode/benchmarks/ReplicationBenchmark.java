package io.mppnode.benchmarks;

import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.replication.ReplicationManager;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Replication throughput from a real MariaDB server (issue 7) for a bulk insert, in rows/s (the
 * score: one operation is one replicated row).
 *
 * <p>Per trial (fork), {@link BenchMariaDb} starts a MariaDB server (binlog on, ROW format) and
 * {@link ReplicationWorkload} loads {@value #ROWS} rows of {@code bench.lineitem} into it in
 * {@value #ROWS_PER_TRANSACTION}-row INSERT transactions, remembering the binlog position before
 * and after the load. Nothing writes to the server afterwards, so every invocation reads the same
 * binlog range, and MariaDB's insert speed is not part of any measurement.
 *
 * <ul>
 *   <li>{@link #replicate} (ours): each invocation gets a fresh node (its setup, not timed:
 *       {@code MppNode.start} on a temporary data dir, {@code sample-tables=false},
 *       {@code binlog-fsync} = {@code fsync}). Timed: {@code ReplicationManager.start} with
 *       {@code replicate-start=FILE:POS} (the position before the load) and
 *       {@code replicate-mode=non-blocking}, up to {@code finished()}: the source checks and
 *       connection, the CREATE TABLE on the node, then the stream to the end of the binlog, each
 *       upstream transaction written as a PREWRITE and a COMMIT into the node's binlog and applied
 *       to its replica. The run fails unless replication ends CAUGHT_UP at the end position with
 *       every row applied.
 *   <li>{@link #connectorOnly} (the peer): the binlog connector alone ({@link ConnectorOnlyReader})
 *       over the same range in non-blocking mode, decoding every row with the node's deserializer
 *       and counting them; no node. The difference to {@link #replicate} is the node's share.
 * </ul>
 *
 * <p>Client, node and MariaDB share the machine's cores. The warm-up is 6 x 5 s: the node's
 * replication keeps speeding up for about 30 s as the JIT compiles its paths. Run:
 * {@code bin/mpp bench ReplicationBenchmark -rf json -rff replication.json} (the defaults below
 * take about 4 minutes; {@code -p fsync=always} for one setting). The lag under a steady write
 * load is {@link ReplicationLag}, a main of its own.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class ReplicationBenchmark {
    /** Rows loaded and replicated per invocation. */
    static final int ROWS = 200_000;
    static final int ROWS_PER_TRANSACTION = 1000;
    private static final int PEER_SERVER_ID = 7000;

    /** The node and the JDBC driver log at INFO on every start; only warnings are kept. Held: JUL keeps loggers weakly. */
    private static final java.util.logging.Logger NODE_LOG = java.util.logging.Logger.getLogger("io.mppnode");

    static {
        NODE_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** The MariaDB server and the binlog range of the load. */
    @State(Scope.Benchmark)
    public static class Source {
        BenchMariaDb maria;
        BenchMariaDb.Position from;
        BenchMariaDb.Position to;

        @Setup(Level.Trial)
        public void load() throws Exception {
            maria = BenchMariaDb.start();
            maria.createReplicationUser();
            ReplicationWorkload.createTable(maria);
            from = maria.masterStatus();
            long started = System.nanoTime();
            ReplicationWorkload.load(maria, 1, ROWS, ROWS_PER_TRANSACTION);
            double seconds = (System.nanoTime() - started) / 1e9;
            to = maria.masterStatus();
            System.out.printf("%nMariaDB: %d rows in %d transactions loaded in %.1f s (%.0f rows/s); binlog %s .. %s (%.1f MB)%n", ROWS,
                    ROWS / ROWS_PER_TRANSACTION, seconds, ROWS / seconds, from.startPoint(), to.startPoint(),
                    from.file().equals(to.file()) ? (to.position() - from.position()) / 1e6 : Double.NaN);
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            maria.close();
        }
    }

    /** A fresh node for each invocation. */
    @State(Scope.Benchmark)
    public static class Replica {
        /** The node's binlog-fsync: always (an fsync before each entity is acknowledged) or none. */
        @Param({"always", "none"})
        public String fsync;

        ReplicationWorkload.Node node;

        @Setup(Level.Invocation)
        public void startNode() throws Exception {
            node = new ReplicationWorkload.Node(fsync);
        }

        @TearDown(Level.Invocation)
        public void stopNode() throws Exception {
            node.close();
            node = null;
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long replicate(Source source, Replica replica) throws Exception {
        ReplicationManager replication = replica.node.replication();
        replication.start(ReplicationWorkload.spec(source.maria, source.from.startPoint(), "non-blocking"));
        ReplicationState state = replication.finished().get(10, TimeUnit.MINUTES);
        ReplicationStatus status = replication.status();
        BenchMariaDb.Position applied = new BenchMariaDb.Position(status.getApplied().getFile(), status.getApplied().getPosition());
        if (state != ReplicationState.CAUGHT_UP || status.getRowsApplied() != ROWS || applied.compareTo(source.to) < 0) {
            throw new IllegalStateException("replication ended " + state + " at " + applied.startPoint() + " with "
                    + status.getRowsApplied() + " rows applied; expected CAUGHT_UP at " + source.to.startPoint() + " with " + ROWS
                    + " rows (" + status.getLastError() + ")");
        }
        return status.getRowsApplied();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long connectorOnly(Source source) throws Exception {
        ConnectorOnlyReader reader = new ConnectorOnlyReader(source.maria, PEER_SERVER_ID, source.from, false);
        long rows = reader.readToEnd();
        if (rows != ROWS) {
            throw new IllegalStateException("the connector read " + rows + " rows; the binlog range holds " + ROWS);
        }
        return rows;
    }
}
