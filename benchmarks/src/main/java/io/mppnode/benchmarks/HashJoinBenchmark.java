package io.mppnode.benchmarks;

import io.mppnode.benchmarks.OperatorBenchmark.Contender;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
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
 * The two halves of a hash join measured apart, in rows per second of the half's own input:
 * the join of {@link OperatorBenchmark}'s {@code JOIN} ({@link HashJoinWorkload}: lineitem's
 * {@code l_orderkey, l_quantity} probing {@link OrdersData}'s 1,048,576 unique int64 keys with
 * {@code o_custkey}, exactly one match per probe row). The whole join, build and probe, against
 * DuckDB's, is {@code OperatorBenchmark -p operation=JOIN}.
 *
 * <ul>
 *   <li>{@link #build}: the score counts the 1,048,576 build rows. {@code MPP}: a new join
 *       context, bridge and {@code HashBuildOperator}, fed every orders batch zero-copy, then
 *       finished, which builds the table (the rows concatenated, a hash of the keys, the chains
 *       of rows per key) and publishes it; then closed, which frees it. {@code DUCKDB_1} and
 *       {@code DUCKDB_2} (threads=1 and 2, as in {@link OperatorBenchmark}): DuckDB cannot build
 *       a table alone, so it runs the same join with a probe side of one row, {@code SELECT
 *       count(*), sum(o_custkey) FROM (SELECT l_orderkey FROM lineitem LIMIT 1) JOIN orders ON
 *       l_orderkey = o_orderkey}, with {@code disabled_optimizers = 'join_order,
 *       build_side_probe_side'} so that the written order stands and orders stays the build
 *       side (its optimizer would build on the one row; setup checks the plan): its hash table
 *       of 1,048,576 keys with {@code o_custkey} as payload, plus one probe row and the query's
 *       fixed costs, and its scan of its own table (ours gets the batches with no copy);
 *   <li>{@link #probe}, ours alone: the score counts the 4,194,304 probe rows. A
 *       {@code LookupJoinOperator} streams every lineitem batch (zero-copy) through a table
 *       built once per trial, and its output (batches of 8192 joined rows) is summed; the bridge
 *       declares {@code Integer.MAX_VALUE} probe instances, so each invocation is one more probe
 *       instance of the same join, with its own context reference, and the table lives until
 *       the trial closes the bridge. DuckDB cannot keep a hash table across queries, so its
 *       probe is not measured: its time per probe row can be estimated from its whole join
 *       ({@code OperatorBenchmark}'s JOIN) less its build here, an estimate from two runs.
 * </ul>
 *
 * <p>Setup checks our probe's checksum against DuckDB's whole join once (relative 1e-9), and
 * that a second probe of the same table gives the same. Every Arrow allocator is closed at the
 * end of the trial: a leak fails it.
 *
 * <p>Run: {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar HashJoinBenchmark -rf json -rff hash-join.json}
 * ({@code HashJoinBenchmark.build -p contender=MPP,DUCKDB_1} for a subset).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HashJoinBenchmark {
    private static final int PROBE_BATCHES = 512;
    private static final int PROBE_ROWS = PROBE_BATCHES * LineitemData.BATCH_ROWS;
    /** The build half alone in DuckDB: the join with one probe row, orders kept as the build side. */
    private static final String DUCKDB_BUILD_SQL = "SELECT count(*), sum(o_custkey)"
            + " FROM (SELECT l_orderkey FROM lineitem LIMIT 1) JOIN orders ON l_orderkey = o_orderkey";
    private static final List<String> DUCKDB_BUILD_SETTINGS = List.of("SET disabled_optimizers = 'join_order,build_side_probe_side'");
    private static final String DUCKDB_JOIN_SQL = OperatorBenchmark.Operation.JOIN.duckDbSql();

    /** The build half, by our operator or by DuckDB. */
    @State(Scope.Benchmark)
    public static class Build {
        @Param({"MPP", "DUCKDB_1", "DUCKDB_2"})
        public Contender contender;

        private BufferAllocator root;
        private OrdersData orders;
        private LineitemData probeRow;
        private HashJoinWorkload ours;
        private DuckDbContender duckDb;

        @Setup(Level.Trial)
        public void setUp() throws SQLException {
            root = new RootAllocator(Long.MAX_VALUE);
            orders = new OrdersData(root.newChildAllocator("orders", 0, Long.MAX_VALUE));
            if (contender == Contender.MPP) {
                ours = new HashJoinWorkload(orders);
                return;
            }
            // DuckDB's probe side reads one row: one batch of lineitem is enough.
            probeRow = new LineitemData(root.newChildAllocator("lineitem", 0, Long.MAX_VALUE), 1);
            duckDb = new DuckDbContender(probeRow, orders, contender.duckDbThreads(), DUCKDB_BUILD_SETTINGS, DUCKDB_BUILD_SQL);
            String plan = duckDb.plan(DUCKDB_BUILD_SQL);
            // The plan's only tables: the join's probe child is listed before its build child.
            int join = plan.indexOf("HASH_JOIN");
            int probe = plan.indexOf("memory.main.lineitem");
            int build = plan.indexOf("memory.main.orders");
            if (join < 0 || probe < join || build < probe) {
                throw new IllegalStateException("DuckDB's plan does not build the join's table on orders:\n" + plan);
            }
        }

        double run() throws SQLException {
            return contender == Contender.MPP ? ours.buildOnly(root) : duckDb.run();
        }

        /** Fails on a leak: the tables' allocators, then the root. */
        @TearDown(Level.Trial)
        public void tearDown() throws SQLException {
            try {
                if (duckDb != null) {
                    duckDb.close();
                }
            } finally {
                try {
                    if (probeRow != null) {
                        probeRow.close();
                    }
                } finally {
                    if (orders != null) {
                        orders.close();
                    }
                    ExchangeBenchmark.closeChecked(root);
                }
            }
        }
    }

    /** The probe half, ours, through a table built once. */
    @State(Scope.Benchmark)
    public static class Probe {
        private BufferAllocator root;
        private OrdersData orders;
        private LineitemData lineitem;
        private HashJoinWorkload.BuiltJoin join;

        @Setup(Level.Trial)
        public void setUp() throws SQLException {
            root = new RootAllocator(Long.MAX_VALUE);
            lineitem = new LineitemData(root.newChildAllocator("lineitem", 0, Long.MAX_VALUE), PROBE_BATCHES);
            orders = new OrdersData(root.newChildAllocator("orders", 0, Long.MAX_VALUE));
            join = new HashJoinWorkload(orders).build(root, Integer.MAX_VALUE);
            double first = join.probe(lineitem);
            double second = join.probe(lineitem);
            double duckDbChecksum;
            try (DuckDbContender duckDb = new DuckDbContender(lineitem, orders, 1, List.of(), DUCKDB_JOIN_SQL)) {
                duckDbChecksum = duckDb.run();
            }
            System.out.printf("%nprobe: %,d rows; checksum ours %s, again %s, DuckDB %s%n", lineitem.rows(), first, second, duckDbChecksum);
            if (first != second || Math.abs(first - duckDbChecksum) > 1e-9 * Math.max(Math.abs(first), Math.abs(duckDbChecksum))) {
                throw new IllegalStateException("probe: ours and DuckDB disagree: " + first + ", " + second + " vs " + duckDbChecksum);
            }
        }

        /** Fails on a leak: the join's allocator, the tables', then the root. */
        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                if (join != null) {
                    join.close();
                }
            } finally {
                try {
                    if (orders != null) {
                        orders.close();
                    }
                } finally {
                    if (lineitem != null) {
                        lineitem.close();
                    }
                    ExchangeBenchmark.closeChecked(root);
                }
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(OrdersData.ROWS)
    public double build(Build state) throws SQLException {
        return state.run();
    }

    @Benchmark
    @OperationsPerInvocation(PROBE_ROWS)
    public double probe(Probe state) {
        return state.join.probe(state.lineitem);
    }
}
