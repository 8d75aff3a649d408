package io.mppnode.benchmarks;

import io.mppnode.error.MppException;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.MppNode;
import io.mppnode.server.admin.TpchLoad;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.coordinator.CoordinatorServer;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.tpch.TpchQueries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.stream.IntStream;

/**
 * The TPC-H benchmark of issue 5, one run: TPC-H at one scale factor on (a) a 1-node and (b) a
 * 3-node in-process cluster (real gRPC over loopback, the reference coordinator, the 22
 * distributed plans of {@link TpchQueries}), and (c) DuckDB in process (JDBC, in memory, the
 * same rows, {@code SET threads} to the node's worker-thread count) running the same queries'
 * SQL. Each side loads its data (timed: rows/s), then runs every query once to warm up and
 * {@code --runs} times measured; the figure is the median. The clusters run one after the
 * other, each closed before the next starts, and DuckDB last.
 *
 * <p>Prints a table of query, rows, 1-node ms, 3-node ms, DuckDB ms and the ratios to DuckDB,
 * and the geometric means of the ratios over the queries both sides finished. Every result's
 * row count is checked against DuckDB's; a mismatch is printed loudly and makes the exit status
 * 1, as does a failed query. A query of ours that fails or exceeds {@code --timeout} is recorded
 * as such and the run goes on.
 *
 * <p>Timing: ours is the wall time of {@code Coordinator.execute} (dispatch, execution, pulling
 * and decoding the result into Java rows); DuckDB's the wall time of {@code executeQuery} plus
 * reading every value of the result with {@code getObject}. The load is the nodes' LoadTpch
 * (each node generates its regions with the TPC-H generator and stores them, one loader thread
 * per node) and, for DuckDB, the same generator's Arrow batches appended through its Appender
 * on one thread.
 *
 * <pre>
 * bin/mpp bench-tpch [--sf 1] [--runs 3] [--queries 1,6,14] [--threads N] [--task-concurrency N]
 *     [--timeout 300] [--skip 1node,3node,duckdb] [--summaries 9,18]
 * (that is: java @bin/jvm.options -Xmx4g -cp benchmarks/target/benchmarks.jar io.mppnode.benchmarks.TpchBenchmark ...)
 * </pre>
 */
public final class TpchBenchmark {
    private static final PrintStream out = System.out;

    private double scaleFactor = 1;
    private int runs = 3;
    private List<Integer> queries = IntStream.rangeClosed(1, TpchQueries.COUNT).boxed().toList();
    private int threads = NodeConfig.defaults().workerThreads();
    private int taskConcurrency = NodeConfig.defaults().taskConcurrency();
    private int timeoutSeconds = 300;
    private boolean run1 = true;
    private boolean run3 = true;
    private boolean runDuck = true;
    private List<Integer> summaries = List.of();
    private boolean helped;

    /** One side's figures: load and per query. */
    static final class Side {
        final String name;
        long loadedRows;
        double loadSeconds;
        final Map<Integer, Timing> timings = new TreeMap<>();

        Side(String name) {
            this.name = name;
        }
    }

    /** One query on one side: its row count and measured times (ms), or why it has none. */
    record Timing(long rows, double warmUpMillis, double[] millis, String failure) {
        double median() {
            double[] sorted = millis.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        boolean ok() {
            return failure == null;
        }
    }

    public static void main(String[] args) throws Exception {
        TpchBenchmark benchmark = new TpchBenchmark();
        if (!benchmark.parse(args)) {
            System.exit(benchmark.helped ? 0 : 2);
        }
        System.exit(benchmark.run());
    }

    private boolean parse(String[] args) {
        try {
            return parseOrThrow(args);
        } catch (IllegalArgumentException e) { // NumberFormatException too
            System.err.println("TpchBenchmark: " + e.getMessage());
            return false;
        }
    }

    private boolean parseOrThrow(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            boolean help = arg.equals("-h") || arg.equals("--help");
            if (!help && value == null) {
                System.err.println("TpchBenchmark: " + arg + " needs a value");
                return false;
            }
            switch (arg) {
                case "--sf", "--scale-factor" -> scaleFactor = Double.parseDouble(value);
                case "--runs" -> runs = Integer.parseInt(value);
                case "--queries" -> queries = parseQueries(value);
                case "--threads" -> threads = Integer.parseInt(value);
                case "--task-concurrency" -> taskConcurrency = Integer.parseInt(value);
                case "--timeout" -> timeoutSeconds = Integer.parseInt(value);
                case "--skip" -> {
                    List<String> skipped = List.of(value.split(","));
                    run1 = !skipped.contains("1node");
                    run3 = !skipped.contains("3node");
                    runDuck = !skipped.contains("duckdb");
                }
                case "--summaries" -> summaries = parseQueries(value);
                case "-h", "--help" -> {
                    out.println("""
                            TpchBenchmark: TPC-H on a 1-node and a 3-node loopback cluster and on DuckDB, one run.
                              --sf <sf>                 scale factor (default 1)
                              --runs <n>                measured runs per query after one warm-up; the median counts (default 3)
                              --queries <q,...>         queries 1-22 (default all)
                              --threads <n>             worker threads of every node and DuckDB's threads (default: the node's default)
                              --task-concurrency <n>    the nodes' task-concurrency (default: the node's default)
                              --timeout <seconds>       per query run of ours (default 300)
                              --skip 1node,3node,duckdb leave a side out (without DuckDB there is no table, only the runs)
                              --summaries <q,...>       after measuring, run these once more on the 1-node cluster and print
                                                        their execution summaries""");
                    helped = true;
                    return false;
                }
                default -> {
                    System.err.println("TpchBenchmark: unknown argument " + arg + " (--help lists them)");
                    return false;
                }
            }
            i++;
        }
        if (!(scaleFactor > 0) || runs < 1 || threads < 1 || taskConcurrency < 1 || timeoutSeconds < 1) {
            System.err.println("TpchBenchmark: --sf, --runs, --threads, --task-concurrency and --timeout must be positive");
            return false;
        }
        return true;
    }

    private static List<Integer> parseQueries(String text) {
        List<Integer> parsed = Arrays.stream(text.split(",")).map(String::trim).map(Integer::parseInt).toList();
        for (int query : parsed) {
            if (query < 1 || query > TpchQueries.COUNT) {
                throw new IllegalArgumentException("there is no query " + query + "; the queries are 1 to " + TpchQueries.COUNT);
            }
        }
        return parsed;
    }

    private int run() throws Exception {
        java.util.logging.Logger.getLogger("").setLevel(Level.WARNING);
        Runtime runtime = Runtime.getRuntime();
        out.printf(Locale.ROOT, "== TPC-H sf %s, queries %s, 1 warm-up + %d measured runs (median)%n", scaleFactor, queries, runs);
        out.printf(Locale.ROOT, "== machine: %d cores; JDK %s; max heap %d MiB; every node: worker-threads=%d task-concurrency=%d; DuckDB threads=%d%n",
                runtime.availableProcessors(), Runtime.version(), runtime.maxMemory() >> 20, threads, taskConcurrency, threads);
        List<Side> sides = new ArrayList<>();
        if (run1) {
            sides.add(runCluster(1));
        }
        if (run3) {
            sides.add(runCluster(3));
        }
        if (!runDuck) {
            return 0;
        }
        Side duckdb = runDuckDb();
        return report(sides, duckdb);
    }

    // ----- our clusters -----

    private Side runCluster(int nodeCount) throws IOException {
        Side side = new Side(nodeCount + "-node");
        out.printf("%n== %s cluster%n", side.name);
        // SF 1 is about 1.5 GB of Arrow memory over the cluster; a query gets most of what is left.
        long perNode = Math.max(4L << 30, (long) Math.ceil(scaleFactor * 12 / nodeCount) << 30);
        Path root = Files.createTempDirectory("mpp-tpch-bench");
        List<MppNode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < nodeCount; i++) {
                Map<String, String> properties = new LinkedHashMap<>();
                properties.put("listen-address", "127.0.0.1:0");
                properties.put("metrics-address", "");
                properties.put("data-dir", root.resolve("node" + i).toString());
                properties.put("worker-threads", String.valueOf(threads));
                properties.put("task-concurrency", String.valueOf(taskConcurrency));
                properties.put("memory-limit", perNode + "B");
                properties.put("query-memory-limit", (perNode * 3 / 4) + "B");
                properties.put("task-timeout", "60s");
                nodes.add(MppNode.start(NodeConfig.load(properties)));
            }
            List<String> addresses = nodes.stream().map(MppNode::address).toList();
            try (CoordinatorServer coordinator = CoordinatorServer.start("127.0.0.1:0", "")) {
                long started = System.nanoTime();
                side.loadedRows = TpchLoad.load(coordinator.channels(), addresses, scaleFactor, 2, TimeUnit.HOURS.toMillis(2), (done, total) -> {});
                side.loadSeconds = (System.nanoTime() - started) / 1e9;
                out.printf(Locale.ROOT, "   loaded %,d rows in %.1f s: %,.0f rows/s (%d node%s, 2 regions per table per node)%n",
                        side.loadedRows, side.loadSeconds, side.loadedRows / side.loadSeconds, nodeCount, nodeCount == 1 ? "" : "s");
                for (int query : queries) {
                    Timing timing = measureOurs(coordinator, addresses, query);
                    side.timings.put(query, timing);
                    printProgress(side.name, query, timing);
                }
                if (nodeCount == 1) {
                    for (int query : summaries) {
                        printSummaries(coordinator, addresses, query);
                    }
                }
            }
        } finally {
            for (MppNode node : nodes) {
                node.close();
            }
            deleteTree(root);
        }
        return side;
    }

    private Timing measureOurs(CoordinatorServer coordinator, List<String> addresses, int query) {
        Plan plan = TpchQueries.plan(query);
        QuerySpec spec = QuerySpec.of(plan, addresses).withTimeout(Duration.ofSeconds(timeoutSeconds));
        double warmUp = -1;
        double[] millis = new double[runs];
        long rows = -1;
        try {
            for (int run = -1; run < runs; run++) {
                long started = System.nanoTime();
                QueryResult result = coordinator.coordinator().execute(spec);
                double elapsed = (System.nanoTime() - started) / 1e6;
                if (rows >= 0 && rows != result.rows().size()) {
                    return new Timing(rows, warmUp, new double[0], "row count changed between runs: " + rows + " then " + result.rows().size());
                }
                rows = result.rows().size();
                if (run < 0) {
                    warmUp = elapsed;
                } else {
                    millis[run] = elapsed;
                }
            }
        } catch (MppException e) {
            return new Timing(rows, warmUp, new double[0], e.getMessage());
        }
        return new Timing(rows, warmUp, millis, null);
    }

    /** One more run with every task's summaries, printed per task and summed per executor over the tasks. */
    private void printSummaries(CoordinatorServer coordinator, List<String> addresses, int query) {
        try {
            QueryResult result = coordinator.coordinator().execute(QuerySpec.of(TpchQueries.plan(query), addresses)
                    .withTimeout(Duration.ofSeconds(timeoutSeconds)).withReportExecutionSummary(true));
            out.printf(Locale.ROOT, "%n-- Q%d execution summaries (1 node, one extra run: %.0f ms)%n", query, result.elapsed().toNanos() / 1e6);
            out.print(result.formatSummaries());
            Map<String, long[]> byExecutor = new TreeMap<>();
            for (List<ExecutionSummary> task : result.summaries().values()) {
                for (ExecutionSummary summary : task) {
                    long[] sums = byExecutor.computeIfAbsent(summary.getExecutorId(), id -> new long[2]);
                    sums[0] += summary.getTimeProcessedNs();
                    sums[1] += summary.getNumProducedRows();
                }
            }
            out.println("   executors by time (wall time in the executor's own calls, not its children's, summed over its tasks and drivers):");
            byExecutor.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                    .forEach(e -> out.printf(Locale.ROOT, "   %-40s %10.1f ms %,14d rows%n", e.getKey(), e.getValue()[0] / 1e6, e.getValue()[1]));
        } catch (MppException e) {
            out.printf("%n-- Q%d execution summaries: the run failed: %s%n", query, e.getMessage());
        }
    }

    // ----- DuckDB -----

    private Side runDuckDb() throws SQLException {
        Side side = new Side("DuckDB");
        out.printf("%n== DuckDB (in memory, threads=%d)%n", threads);
        try (TpchDuckDb duckdb = TpchDuckDb.open(threads)) {
            long started = System.nanoTime();
            side.loadedRows = duckdb.load(scaleFactor);
            side.loadSeconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "   loaded %,d rows in %.1f s: %,.0f rows/s (generator + Appender, one thread)%n",
                    side.loadedRows, side.loadSeconds, side.loadedRows / side.loadSeconds);
            for (int query : queries) {
                String sql = TpchQueries.sql(query);
                double warmUp = -1;
                double[] millis = new double[runs];
                long rows = -1;
                String failure = null;
                try {
                    for (int run = -1; run < runs; run++) {
                        long begun = System.nanoTime();
                        long count = duckdb.run(sql);
                        double elapsed = (System.nanoTime() - begun) / 1e6;
                        rows = count;
                        if (run < 0) {
                            warmUp = elapsed;
                        } else {
                            millis[run] = elapsed;
                        }
                    }
                } catch (SQLException e) {
                    failure = e.getMessage();
                    millis = new double[0];
                }
                Timing timing = new Timing(rows, warmUp, millis, failure);
                side.timings.put(query, timing);
                printProgress(side.name, query, timing);
            }
        }
        return side;
    }

    // ----- the report -----

    private static void printProgress(String side, int query, Timing timing) {
        if (!timing.ok()) {
            out.printf(Locale.ROOT, "   %s Q%d FAILED (warm-up %s): %s%n", side, query,
                    timing.warmUpMillis() < 0 ? "failed" : String.format(Locale.ROOT, "%.0f ms", timing.warmUpMillis()), timing.failure());
            return;
        }
        out.printf(Locale.ROOT, "   %s Q%d: %d rows; warm-up %.0f ms; runs %s ms; median %.1f ms%n", side, query, timing.rows(),
                timing.warmUpMillis(), Arrays.stream(timing.millis()).mapToObj(m -> String.format(Locale.ROOT, "%.0f", m)).toList(),
                timing.median());
    }

    private int report(List<Side> sides, Side duckdb) {
        out.printf("%n== TPC-H sf %s: median of %d runs after 1 warm-up, ms; ratio = ours / DuckDB (lower is better; 1 means as fast)%n",
                scaleFactor, runs);
        StringBuilder header = new StringBuilder(String.format("%-5s | %8s", "query", "rows"));
        for (Side side : sides) {
            header.append(String.format(" | %10s", side.name + " ms"));
        }
        header.append(String.format(" | %10s", "DuckDB ms"));
        for (Side side : sides) {
            header.append(String.format(" | %13s", side.name + "/DuckDB"));
        }
        header.append(" | check");
        out.println(header);
        out.println("-".repeat(header.length()));
        boolean mismatch = false;
        boolean failed = false;
        double[] logSums = new double[sides.size()];
        int[] counted = new int[sides.size()];
        for (int query : queries) {
            Timing theirs = duckdb.timings.get(query);
            StringBuilder line = new StringBuilder(String.format("Q%-4d | %8s", query, theirs.ok() ? String.valueOf(theirs.rows()) : "-"));
            List<String> problems = new ArrayList<>();
            for (Side side : sides) {
                Timing ours = side.timings.get(query);
                line.append(String.format(Locale.ROOT, " | %10s", ours.ok() ? String.format(Locale.ROOT, "%.1f", ours.median()) : "FAILED"));
                if (!ours.ok()) {
                    failed = true;
                    problems.add(side.name + " failed");
                } else if (theirs.ok() && ours.rows() != theirs.rows()) {
                    mismatch = true;
                    problems.add("ROW COUNT MISMATCH " + side.name + " " + ours.rows() + " vs DuckDB " + theirs.rows());
                }
            }
            line.append(String.format(Locale.ROOT, " | %10s", theirs.ok() ? String.format(Locale.ROOT, "%.1f", theirs.median()) : "FAILED"));
            for (int i = 0; i < sides.size(); i++) {
                Timing ours = sides.get(i).timings.get(query);
                if (ours.ok() && theirs.ok()) {
                    double ratio = ours.median() / theirs.median();
                    logSums[i] += Math.log(ratio);
                    counted[i]++;
                    line.append(String.format(Locale.ROOT, " | %13.2f", ratio));
                } else {
                    line.append(String.format(" | %13s", "-"));
                }
            }
            if (!theirs.ok()) {
                failed = true;
                problems.add("DuckDB failed");
            }
            line.append(" | ").append(problems.isEmpty() ? "rows ok" : String.join("; ", problems));
            out.println(line);
        }
        out.println();
        for (int i = 0; i < sides.size(); i++) {
            if (counted[i] > 0) {
                out.printf(Locale.ROOT, "geometric mean of %s / DuckDB over %d queries: %.2f%s%n", sides.get(i).name, counted[i],
                        Math.exp(logSums[i] / counted[i]), counted[i] < queries.size() ? " (failed queries left out)" : "");
            }
        }
        for (Side side : sides) {
            printLoad(side);
        }
        printLoad(duckdb);
        if (mismatch) {
            out.println();
            out.println("!!!!! ROW COUNT MISMATCH: some of our results do not have DuckDB's row count (see the check column) !!!!!");
        }
        if (failed) {
            out.println("!! some queries failed (see the table)");
        }
        return mismatch || failed ? 1 : 0;
    }

    private static void printLoad(Side side) {
        out.printf(Locale.ROOT, "load %-7s: %,d rows in %.1f s = %,.0f rows/s%n", side.name, side.loadedRows, side.loadSeconds,
                side.loadedRows / side.loadSeconds);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
