package io.mppnode.server.cli;

import io.mppnode.error.MppException;
import io.mppnode.exec.plan.PlanJson;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.coordinator.CoordinatorServer;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpp query --plan FILE --nodes HOST:PORT,...}: runs one distributed plan (JSON) on a
 * running cluster through the reference coordinator and prints the rows. Ctrl-C cancels the
 * query's tasks on every node before the process exits.
 */
@Command(name = "query", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a distributed plan (JSON) against running nodes and prints its rows.")
final class QueryCommand implements Callable<Integer> {
    @Option(names = "--plan", required = true, paramLabel = "<file>", description = "the plan, in protobuf's JSON form (see mpp-server/plans/)")
    Path planFile;

    @Option(names = "--nodes", required = true, paramLabel = "<host:port,...>", split = ",", description = "the nodes of the cluster")
    List<String> nodes;

    @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "60s", description = "how long the query may run (default: 60s)")
    String timeout;

    @Option(names = "--summaries", description = "also print the execution summaries of every task")
    boolean summaries;

    @Option(names = "--coordinator-address", paramLabel = "<host:port>", defaultValue = "127.0.0.1:0",
            description = "where this coordinator takes the nodes' status reports (default: 127.0.0.1:0)")
    String coordinatorAddress;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        Plan plan;
        Duration limit;
        try {
            plan = readPlan(planFile);
            limit = NodeConfig.duration("--timeout", timeout);
            nodes.forEach(node -> NodeConfig.port(node));
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("mpp query: " + e.getMessage());
            return 2;
        }
        if (nodes.stream().anyMatch(String::isBlank)) {
            err.println("mpp query: --nodes has an empty address");
            return 2;
        }
        try (CoordinatorServer coordinator = CoordinatorServer.start(coordinatorAddress, "")) {
            Thread main = Thread.currentThread();
            Thread cancelOnSignal = new Thread(() -> {
                err.println("mpp query: interrupted; cancelling the query on every node");
                main.interrupt();
                try {
                    main.join(10_000);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
            }, "mpp-query-cancel");
            Runtime.getRuntime().addShutdownHook(cancelOnSignal);
            try {
                QueryResult result = coordinator.coordinator().execute(QuerySpec.of(plan, nodes).withTimeout(limit)
                        .withReportExecutionSummary(summaries));
                out.print(result.format());
                out.printf("(%d rows, %.1f ms)%n", result.rows().size(), result.elapsed().toNanos() / 1e6);
                if (summaries) {
                    out.print(result.formatSummaries());
                }
                return 0;
            } catch (MppException e) {
                err.println("mpp query: " + e.getMessage());
                return 1;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cancelOnSignal);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for this thread
                }
            }
        } catch (IOException e) {
            err.println("mpp query: cannot start the coordinator's endpoint at " + coordinatorAddress + ": " + e.getMessage());
            return 2;
        }
    }

    /** @throws IllegalArgumentException naming the file and what is wrong */
    static Plan readPlan(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("plan file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read plan file " + file + ": " + e.getMessage());
        }
        try {
            return PlanJson.fromJson(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("plan file " + file + " is not a valid plan (protobuf JSON of mppnode.plan.Plan): "
                    + e.getMessage());
        }
    }

}
