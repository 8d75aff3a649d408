package io.mppnode.benchmarks;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.Binlog.PullBinlogReq;
import io.mppnode.proto.Binlog.PullBinlogResp;
import io.mppnode.server.binlog.Tso;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the node's Pump service (issue 6) over loopback gRPC, with TPC-H lineitem as the
 * data ({@link BinlogTransactions}: one transaction per 1000 generated rows, a PREWRITE of 1000
 * inserts, about 0.15 MB, and its COMMIT). Client and node share the process and the cores.
 *
 * <ul>
 *   <li>{@link #writeTransaction}: WriteBinlog ingest. Each of 4 writer threads (JMH threads,
 *       blocking stubs) writes one transaction per operation: its PREWRITE, and once that is
 *       acknowledged its COMMIT, with timestamps from one {@link Tso}, as TiDB does; so up to 4
 *       entities wait on the log's group commit at a time. {@code fsync}: the node's
 *       {@code binlog-fsync}, {@code always} (acknowledged after an fsync) or {@code none}. Each
 *       iteration gets a fresh node with an empty binlog and the lineitem table (one region), and
 *       writes each transaction of the pool at most once, so no handle is written twice and the
 *       node's memory holds one iteration's rows; an iteration that would need more transactions
 *       than {@code ingestScaleFactor} gives fails (raise it).
 *   <li>{@link #pullAll}: PullBinlogs read throughput. The node's binlog holds the CREATE TABLE
 *       and every transaction of lineitem at {@code pullScaleFactor} (written once per trial,
 *       {@code binlog-fsync none}, so the segments are in the page cache); one operation pulls
 *       from the start on an async stub until the last entity arrives, then cancels.
 * </ul>
 *
 * <p>Read the secondary results: {@code rows} is rows/s, {@code megabytes} is MB/s of payload
 * bytes (10^6 bytes of WriteBinlogReq.payload or Entity.payload per second, the protobuf
 * {@code BinlogEvent}s, not what gRPC puts on the wire), {@code entities} is entities/s; the
 * primary score is transactions/s (write) or whole pulls/s (pull). The payloads are encoded
 * before the measurement; an operation costs the client only the gRPC calls. A refused write or
 * a pull that does not deliver every payload byte fails the run. The fork runs with
 * {@code -Xmx4g}: the pool of payloads is on the heap, the node's rows in Arrow memory off it
 * (its {@code memory-limit} is 8 GiB). The warm-up is long (6 x 5 s) because ingest keeps
 * speeding up, as the JIT compiles the node's parse, check and apply paths, for about 30 s.
 *
 * <p>Run ({@code bin/mpp bench} does the same after building):
 * {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar BinlogBenchmark -rf json -rff binlog.json}
 * ({@code -p fsync=none} for one setting; {@code BinlogBenchmark.writeTransaction -t 8} for 8 writers).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class BinlogBenchmark {
    /** Rows per transaction. */
    static final int BATCH_ROWS = 1000;

    /** The node logs its start and stop at INFO, once per iteration here; only warnings are kept. Held: JUL keeps loggers weakly. */
    private static final java.util.logging.Logger NODE_LOG = java.util.logging.Logger.getLogger("io.mppnode");

    static {
        NODE_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** The write benchmark's node, replaced each iteration, and its pool of transactions. */
    @State(Scope.Benchmark)
    public static class Ingest {
        @Param({"always", "none"})
        public String fsync;

        /**
         * Lineitem's scale factor for the pool of transactions: 1 is 6 million rows in 6001
         * transactions, about 0.9 GB of heap, enough for a 5 s iteration at 1200 transactions/s.
         */
        @Param("1")
        public double ingestScaleFactor;

        BinlogTransactions transactions;
        PumpNode node;
        final Tso tso = new Tso();
        final AtomicInteger next = new AtomicInteger();

        @Setup(Level.Trial)
        public void generate() {
            transactions = BinlogTransactions.lineitem(ingestScaleFactor, BATCH_ROWS);
            System.out.printf("%npool: %d transactions, %d rows, %.1f MB of mutations%n", transactions.count(),
                    transactions.totalRows(), transactions.totalMutationBytes() / 1e6);
        }

        @Setup(Level.Iteration)
        public void startNode() throws Exception {
            node = PumpNode.start(fsync);
            node.createLineitem(tso.next());
            next.set(0);
        }

        @TearDown(Level.Iteration)
        public void stopNode() throws Exception {
            System.out.printf("%n(%d transactions of %d written this iteration)%n", Math.min(next.get(), transactions.count()),
                    transactions.count());
            node.close();
            node = null;
        }
    }

    /** The pull benchmark's node and what its binlog holds. */
    @State(Scope.Benchmark)
    public static class Filled {
        /** Lineitem's scale factor for the binlog: 0.1 is 600 thousand rows, 1201 entities. */
        @Param("0.1")
        public double pullScaleFactor;

        PumpNode node;
        long entities;
        long rows;
        long payloadBytes;

        @Setup(Level.Trial)
        public void fill() throws Exception {
            BinlogTransactions transactions = BinlogTransactions.lineitem(pullScaleFactor, BATCH_ROWS);
            Tso tso = new Tso();
            node = PumpNode.start("none");
            payloadBytes = node.createLineitem(tso.next());
            entities = 1;
            for (int i = 0; i < transactions.count(); i++) {
                long startTs = tso.next();
                ByteString prewrite = transactions.prewrite(i, startTs);
                node.write(prewrite);
                ByteString commit = BinlogTransactions.commit(startTs, tso.next());
                node.write(commit);
                payloadBytes += prewrite.size() + commit.size();
                entities += 2;
            }
            rows = transactions.totalRows();
            System.out.printf("%nbinlog: %d entities, %d rows, %.1f MB of payloads%n", entities, rows, payloadBytes / 1e6);
        }

        @TearDown(Level.Trial)
        public void stopNode() throws Exception {
            node.close();
        }
    }

    /** The secondary results: rows/s, MB/s of payloads, entities/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Moved {
        public long rows;
        public double megabytes;
        public long entities;

        @Setup(Level.Iteration)
        public void reset() {
            rows = 0;
            megabytes = 0;
            entities = 0;
        }
    }

    @Benchmark
    @Threads(4)
    public int writeTransaction(Ingest ingest, Moved moved) {
        int index = ingest.next.getAndIncrement();
        if (index >= ingest.transactions.count()) {
            throw new IllegalStateException("the iteration used all " + ingest.transactions.count()
                    + " transactions of the pool; raise ingestScaleFactor (-p ingestScaleFactor=...)");
        }
        long startTs = ingest.tso.next();
        ByteString prewrite = ingest.transactions.prewrite(index, startTs);
        ingest.node.write(prewrite);
        // The commit ts is taken once the prewrite is acknowledged, so it is above the node's resolved ts.
        ByteString commit = BinlogTransactions.commit(startTs, ingest.tso.next());
        ingest.node.write(commit);
        int rows = ingest.transactions.rows(index);
        moved.rows += rows;
        moved.megabytes += (prewrite.size() + commit.size()) / 1e6;
        moved.entities += 2;
        return rows;
    }

    @Benchmark
    public long pullAll(Filled filled, Moved moved) throws Exception {
        long bytes = pullFromStart(filled);
        if (bytes != filled.payloadBytes) {
            throw new IllegalStateException("pulled " + bytes + " payload bytes; the binlog holds " + filled.payloadBytes);
        }
        moved.megabytes += bytes / 1e6;
        moved.entities += filled.entities;
        moved.rows += filled.rows;
        return bytes;
    }

    /** Pulls from the start until the last entity arrives, then cancels; returns the payload bytes received. */
    private static long pullFromStart(Filled filled) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        PullBinlogReq request = PullBinlogReq.newBuilder().setClusterID(PumpNode.CLUSTER_ID).setStartFrom(Pos.getDefaultInstance()).build();
        filled.node.async().pullBinlogs(request, new ClientResponseObserver<PullBinlogReq, PullBinlogResp>() {
            private ClientCallStreamObserver<PullBinlogReq> call;
            private long entities;
            private long bytes;

            @Override
            public void beforeStart(ClientCallStreamObserver<PullBinlogReq> requestStream) {
                call = requestStream;
            }

            @Override
            public void onNext(PullBinlogResp response) {
                entities++;
                bytes += response.getEntity().getPayload().size();
                if (entities == filled.entities) {
                    done.complete(bytes);
                    call.cancel("read every entity", null);
                }
            }

            @Override
            public void onError(Throwable t) {
                // After our cancel this is the CANCELLED status, and done is already complete.
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.completeExceptionally(new IllegalStateException("the stream ended after " + entities + " of " + filled.entities + " entities"));
            }
        });
        return done.get(120, TimeUnit.SECONDS);
    }
}
