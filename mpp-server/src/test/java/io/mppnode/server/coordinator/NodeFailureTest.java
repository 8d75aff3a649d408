package io.mppnode.server.coordinator;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.error.MppException;
import io.mppnode.exec.plan.PlanJson;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.TestingNode;
import io.mppnode.server.admin.TpchLoad;
import io.mppnode.server.cli.LocalCluster;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process killed in the middle of a query: the query fails within the task timeout
 * naming that node, the other nodes end its tasks and free their memory, and the next query on
 * the remaining nodes works.
 */
class NodeFailureTest {
    static Plan plan(String resource) throws Exception {
        try (InputStream in = NodeFailureTest.class.getResourceAsStream(resource)) {
            return PlanJson.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aNodeKilledMidQueryFailsTheQueryNamingItAndTheOthersRecover(@TempDir Path workDir) throws Exception {
        Plan slow = plan("/plans/slow-join.json");
        Plan summary = plan("/plans/lineitem-summary.json");
        try (BufferAllocator allocator = new RootAllocator();
                TestingNode first = TestingNode.start(java.util.Map.of("task-timeout", "5s"));
                TestingNode second = TestingNode.start(java.util.Map.of("task-timeout", "5s"));
                LocalCluster doomed = LocalCluster.start(1, workDir, List.of("--task-timeout=5s"))) {
            List<TestingNode> survivors = List.of(first, second);
            String victim = doomed.addresses().getFirst();
            List<String> all = new ArrayList<>(List.of(first.address(), second.address(), victim));
            TpchLoad.load(first.node().channels(), all, 0.01, 2, 120_000, (done, total) -> {});
            long[] baseline = survivors.stream().mapToLong(node -> node.node().allocator().getAllocatedMemory()).toArray();

            Coordinator coordinator = first.node().newCoordinator(allocator);
            CompletableFuture<QueryResult> query = CompletableFuture.supplyAsync(() ->
                    coordinator.execute(QuerySpec.of(slow, all).withTimeout(Duration.ofSeconds(60))));
            awaitTrue("the query's tasks run", () -> first.node().tasks().taskCount() > 0 && second.node().tasks().taskCount() > 0);
            long killed = System.nanoTime();
            doomed.kill(0);

            Throwable failure = null;
            try {
                query.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                failure = e.getCause();
            }
            assertThat(failure).isInstanceOf(MppException.class).hasMessageContaining(victim);
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("the query fails within the task timeout")
                    .isLessThan(Duration.ofSeconds(5));
            for (int i = 0; i < survivors.size(); i++) {
                TestingNode node = survivors.get(i);
                long memory = baseline[i];
                awaitTrue("the other nodes end the query's tasks and free their memory",
                        () -> node.node().tasks().taskCount() == 0 && node.node().allocator().getAllocatedMemory() == memory);
            }

            QueryResult next = coordinator.execute(QuerySpec.of(summary, List.of(first.address(), second.address())));
            assertThat(next.rows()).isNotEmpty();
        }
    }
}
