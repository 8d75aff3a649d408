package io.mppnode.server.cli;

import io.mppnode.error.MppException;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.server.admin.TpchLoad;
import io.mppnode.server.coordinator.CoordinatorServer;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.tpch.TpchQueries;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpp demo}: starts a local cluster of node processes on loopback, loads TPC-H into it
 * (every node generates its own regions), runs the 22 queries as distributed plans through the
 * reference coordinator, prints a table of query, rows, time and bytes exchanged, and stops the
 * cluster.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Starts a local cluster, loads TPC-H and runs the 22 queries distributed.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--scale-factor", defaultValue = "0.1", paramLabel = "<sf>", description = "TPC-H scale factor (default: 0.1)")
    double scaleFactor;

    @Option(names = "--nodes", defaultValue = "3", paramLabel = "<n>", description = "node processes to start (default: 3)")
    int nodeCount;

    @Option(names = "--queries", split = ",", paramLabel = "<q,...>", description = "the queries to run, 1-22 (default: all)")
    List<Integer> queries;

    @Option(names = "--rows", description = "also print each query's rows")
    boolean printRows;

    @Option(names = "--summaries", description = "also print each query's execution summaries")
    boolean printSummaries;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "<seconds>", description = "per query (default: 300)")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (scaleFactor <= 0 || nodeCount < 1 || nodeCount > 16) {
            System.err.println("mpp demo: --scale-factor must be positive and --nodes between 1 and 16");
            return 2;
        }
        List<Integer> selected = queries == null || queries.isEmpty()
                ? java.util.stream.IntStream.rangeClosed(1, TpchQueries.COUNT).boxed().toList() : queries;
        for (int query : selected) {
            if (query < 1 || query > TpchQueries.COUNT) {
                System.err.println("mpp demo: there is no query " + query + "; the queries are 1 to " + TpchQueries.COUNT);
                return 2;
            }
        }
        return run(System.out, selected);
    }

    int run(PrintStream out, List<Integer> selected) throws Exception {
        Path workDir = Files.createTempDirectory("mpp-demo");
        out.printf("== starting %d nodes (data and logs in %s)%n", nodeCount, workDir);
        boolean ok = false;
        List<String> flags = List.of("--memory-limit=" + Math.max(4L << 30, (long) (scaleFactor * 3 * (1L << 30)) / nodeCount));
        try (LocalCluster cluster = LocalCluster.start(nodeCount, workDir, flags)) {
            Thread stopOnSignal = new Thread(cluster::close, "mpp-demo-stop");
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            try {
                List<String> nodes = cluster.addresses();
                out.println("== nodes: " + String.join(", ", nodes));
                try (CoordinatorServer coordinator = CoordinatorServer.start("127.0.0.1:0", "")) {
                    load(out, coordinator, nodes);
                    ok = runQueries(out, coordinator, nodes, selected);
                }
            } finally {
                cluster.close();
                out.println(cluster.stoppedCleanly() ? "== cluster stopped" : "== cluster stopped; a node did not stop cleanly (logs kept in " + workDir + ")");
                ok &= cluster.stoppedCleanly();
                try {
                    Runtime.getRuntime().removeShutdownHook(stopOnSignal);
                } catch (IllegalStateException ignored) {
                    // already shutting down
                }
            }
        } finally {
            if (ok) {
                deleteTree(workDir);
            }
        }
        return ok ? 0 : 1;
    }

    private void load(PrintStream out, CoordinatorServer coordinator, List<String> nodes) {
        long started = System.nanoTime();
        ProgressBar bar = new ProgressBar("loading TPC-H sf " + scaleFactor, 1, out, ProgressBar.isTerminal());
        long rows = TpchLoad.load(coordinator.channels(), nodes, scaleFactor, 2, TimeUnit.HOURS.toMillis(2), (done, total) -> {
            bar.total(total);
            bar.update(done);
        });
        bar.finish();
        double seconds = (System.nanoTime() - started) / 1e9;
        out.printf(Locale.ROOT, "== loaded %,d rows in %.1f s (%,.0f rows/s) over %d nodes%n", rows, seconds, rows / seconds, nodes.size());
    }

    private boolean runQueries(PrintStream out, CoordinatorServer coordinator, List<String> nodes, List<Integer> selected) {
        out.println();
        out.printf("%-5s | %8s | %10s | %16s | %s%n", "query", "rows", "time_ms", "bytes_exchanged", "status");
        out.println("------+----------+------------+------------------+-------");
        int failed = 0;
        double logSum = 0;
        int timed = 0;
        for (int query : selected) {
            try {
                QueryResult result = coordinator.coordinator().execute(QuerySpec.of(TpchQueries.plan(query), nodes)
                        .withTimeout(Duration.ofSeconds(timeoutSeconds))
                        .withReportExecutionSummary(true));
                long bytes = result.summaries().values().stream().flatMap(List::stream)
                        .mapToLong(ExecutionSummary::getExchangeBytesSent).sum() + result.bytes();
                double millis = result.elapsed().toNanos() / 1e6;
                logSum += Math.log(millis);
                timed++;
                out.printf(Locale.ROOT, "q%-4d | %8d | %10.1f | %16d | ok%n", query, result.rows().size(), millis, bytes);
                if (printRows) {
                    out.print(result.format());
                }
                if (printSummaries) {
                    out.print(result.formatSummaries());
                }
            } catch (MppException e) {
                failed++;
                out.printf("q%-4d | %8s | %10s | %16s | failed: %s%n", query, "-", "-", "-", e.getMessage());
            }
        }
        out.println();
        if (timed > 0) {
            out.printf(Locale.ROOT, "== %d queries ok, %d failed; geometric mean %.1f ms%n", timed, failed, Math.exp(logSum / timed));
        }
        return failed == 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
