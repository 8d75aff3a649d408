package io.mppnode.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.Table;
import io.mppnode.proto.plan.Executor;
import io.mppnode.server.TestingNode;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.sample.SampleTables;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/** The Prometheus scrape endpoint, after a real query ran through the node. */
class MetricsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void scrapeShowsTheQueryInTheNodesMeters() throws Exception {
        try (TestingNode node = TestingNode.start();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            URI metrics = URI.create("http://127.0.0.1:" + node.node().metricsPort().orElseThrow() + "/metrics");
            String before = scrape(http, metrics);
            assertThat(value(before, "mpp_tasks_dispatched_total")).isZero();

            QueryResult result;
            try (BufferAllocator allocator = node.node().allocator().newChildAllocator("metrics test results", 0, Long.MAX_VALUE)) {
                result = node.node().newCoordinator(allocator).execute(QuerySpec.of(Fragment.of(sampleScan(node), List.of(node.address()))));
                assertThat(allocator.getAllocatedMemory()).isZero();
            }
            assertThat(result.rows()).hasSize(5);
            assertThat(result.bytes()).isPositive();

            // the task leaves the registry (and counts as ended) just after its last packet, so wait for it
            String after = awaitScrape(http, metrics, text ->
                    find(text, "mpp_tasks_ended_total", "state=\"finished\"").orElse(0) >= 1
                            && find(text, "mpp_tasks_running").orElse(-1) == 0);

            assertThat(after).contains("# TYPE mpp_tasks_dispatched_total counter");
            assertThat(value(after, "mpp_tasks_dispatched_total")).isGreaterThanOrEqualTo(1);
            assertThat(value(after, "mpp_tasks_ended_total", "state=\"finished\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(after, "mpp_tasks_ended_total", "state=\"failed\"")).isZero();
            assertThat(value(after, "mpp_tasks_running")).isZero();
            assertThat(value(after, "mpp_exchange_sent_bytes_total", "compression=\"none\"")).isPositive();
            assertThat(value(after, "mpp_exchange_sent_packets_total", "compression=\"none\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(after, "mpp_memory_used_bytes")).isGreaterThanOrEqualTo(0);
            assertThat(value(after, "mpp_memory_limit_bytes")).isEqualTo(node.node().config().memoryLimitBytes());
            assertThat(value(after, "mpp_rpc_seconds_count", "method=\"DispatchMPPTask\"", "status=\"OK\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(after, "mpp_rpc_seconds_sum", "method=\"DispatchMPPTask\"")).isGreaterThanOrEqualTo(0);
            assertThat(after).contains("mpp_connections_waiting");
        }
    }

    @Test
    void onlyGetIsServed() throws Exception {
        try (TestingNode node = TestingNode.start();
                HttpClient http = HttpClient.newHttpClient()) {
            URI metrics = URI.create("http://127.0.0.1:" + node.node().metricsPort().orElseThrow() + "/metrics");
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics)
                    .POST(HttpRequest.BodyPublishers.ofString("x")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void anEmptyMetricsAddressTurnsTheEndpointOff() {
        try (TestingNode node = TestingNode.start(java.util.Map.of("metrics-address", ""))) {
            assertThat(node.node().metricsPort()).isEmpty();
        }
    }

    private static Executor sampleScan(TestingNode node) {
        Table table = node.node().catalog().table(SampleTables.SAMPLE_ORDERS_ID);
        return SampleTables.scanAndSend(table.columns().stream().map(column -> column.name()).toList());
    }

    private static String scrape(HttpClient http, URI metrics) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        return response.body();
    }

    /** Scrapes until the text satisfies the condition (a bounded number of times), and returns the last scrape. */
    private static String awaitScrape(HttpClient http, URI metrics, java.util.function.Predicate<String> done)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String text = scrape(http, metrics);
        while (!done.test(text)) {
            assertThat(System.nanoTime()).as("waiting for the metrics to settle; last scrape:\n%s", text).isLessThan(deadline);
            Thread.onSpinWait();
            text = scrape(http, metrics);
        }
        return text;
    }

    /** The value of the sample with this name whose labels include all the given ones; fails when there is none. */
    static long value(String scrape, String name, String... labels) {
        return find(scrape, name, labels).orElseThrow(() -> new AssertionError(
                "no sample " + name + " with labels " + List.of(labels) + " in:\n" + scrape));
    }

    /** Like {@link #value}, empty when there is no such sample. A bare name matches a sample with or without labels. */
    static OptionalLong find(String scrape, String name, String... labels) {
        Pattern sample = Pattern.compile("^" + Pattern.quote(name) + "(\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);
        Matcher matcher = sample.matcher(scrape);
        while (matcher.find()) {
            String labelText = matcher.group(2) == null ? "" : matcher.group(2);
            if (List.of(labels).stream().allMatch(labelText::contains)) {
                return OptionalLong.of((long) Double.parseDouble(matcher.group(3)));
            }
        }
        return OptionalLong.empty();
    }
}
