package io.mppnode.benchmarks;

import io.mppnode.proto.plan.Executor;
import io.mppnode.server.MppNode;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.coordinator.Coordinator;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.sample.SampleTables;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one small query's whole lifecycle on a node over loopback gRPC: the coordinator
 * dispatches a TableScan -> ExchangeSender task, establishes the root stream, decodes the rows
 * and the summaries, and the task leaves the registry. It measures the fixed per-query overhead
 * of the protocol, not data throughput (the exchange benchmarks do that).
 *
 * <p>Run: {@code bin/mpp bench QueryLifecycleBenchmark -rf json -rff query-lifecycle.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class QueryLifecycleBenchmark {
    private MppNode node;
    private BufferAllocator results;
    private Coordinator coordinator;
    private QuerySpec spec;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        node = MppNode.start(NodeConfig.load(Map.of(
                "listen-address", "127.0.0.1:0",
                "metrics-address", "",
                "data-dir", Files.createTempDirectory("mpp-bench").toString(),
                "sample-tables", "true")));
        results = node.allocator().newChildAllocator("benchmark results", 0, Long.MAX_VALUE);
        coordinator = node.newCoordinator(results);
        Executor plan = SampleTables.scanAndSend(List.of("order_id", "customer", "price", "order_date"));
        spec = QuerySpec.of(Fragment.of(plan, List.of(node.address())));
    }

    @Benchmark
    public QueryResult smallQuery() {
        return coordinator.execute(spec);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        results.close();
        node.close();
    }
}
