package io.mppnode.server.cli;

import io.mppnode.exec.plan.PlanJson;
import io.mppnode.exec.storage.Table;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.MppNode;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.coordinator.Coordinator;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.sample.SampleTables;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Command;

/**
 * {@code mpp demo}: starts a node on loopback with the sample table, runs a plan on it through
 * the reference coordinator (which runs in the same process and takes its reports on the
 * node's port), and prints the plan, the rows, the execution summaries and the exchange figures.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts a node and a coordinator on loopback and runs a sample plan end to end.")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        return run(System.out);
    }

    static int run(PrintStream out) throws Exception {
        Path dataDir = Files.createTempDirectory("mpp-demo");
        NodeConfig config = NodeConfig.load(Map.of(
                "listen-address", "127.0.0.1:0",
                "metrics-address", "127.0.0.1:0",
                "data-dir", dataDir.toString(),
                "sample-tables", "true"));
        try (MppNode node = MppNode.start(config);
                BufferAllocator results = node.allocator().newChildAllocator("demo results", 0, Long.MAX_VALUE)) {
            Table table = node.catalog().table(SampleTables.SAMPLE_ORDERS_ID);
            Executor plan = SampleTables.scanAndSend(table.columns().stream().map(column -> column.name()).toList());
            out.println("== mpp demo: one node at " + node.address() + ", coordinator in the same process");
            out.println("== plan (the coordinator fills in the receivers):");
            out.println(PlanJson.toJson(Plan.newBuilder().setRoot(plan).build()));
            Coordinator coordinator = node.newCoordinator(results);
            QueryResult result = coordinator.execute(QuerySpec.of(Fragment.of(plan, List.of(node.address()))));
            out.println("== " + result.rows().size() + " rows from table " + table.name() + ":");
            out.print(result.format());
            out.printf("== %.1f ms, %d packets, %d bytes over the exchange%n",
                    result.elapsed().toNanos() / 1e6, result.packets(), result.bytes());
            out.println("== execution summaries:");
            out.print(result.formatSummaries());
        } finally {
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        return 0;
    }
}
