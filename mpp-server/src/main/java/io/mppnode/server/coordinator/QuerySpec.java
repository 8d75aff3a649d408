package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.Plan;
import java.time.Duration;
import java.util.List;

/**
 * A query for the coordinator: either a distributed {@link Plan} and the nodes of the cluster
 * (the coordinator cuts and places it, see {@link FragmentPlanner}), or a root {@link Fragment}
 * placed by hand; how long it may run; whether the nodes report execution summaries out of
 * band (ReportMPPTaskStatus) instead of in the last packet; the snapshot ({@code startTs} 0
 * means "now", a TSO from the clock); and what every task's plan carries: the query's memory
 * limit on each node and the task concurrency (0 means the node's setting for either).
 */
public record QuerySpec(Fragment root, Plan plan, List<String> nodes, Duration timeout, boolean reportExecutionSummary,
        long startTs, long memoryLimitBytes, int concurrency) {
    public QuerySpec {
        if ((root == null) == (plan == null)) {
            throw new IllegalArgumentException("a query has either a root fragment or a distributed plan");
        }
        nodes = List.copyOf(nodes);
        if (plan != null && nodes.isEmpty()) {
            throw new IllegalArgumentException("a distributed plan needs the nodes of the cluster");
        }
        requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (memoryLimitBytes < 0 || concurrency < 0) {
            throw new IllegalArgumentException("memoryLimitBytes " + memoryLimitBytes + " and concurrency " + concurrency
                    + " must not be negative");
        }
    }

    public static QuerySpec of(Fragment root) {
        return new QuerySpec(root, null, List.of(), Duration.ofSeconds(60), false, 0, 0, 0);
    }

    /** A distributed plan over the given nodes (host:port). */
    public static QuerySpec of(Plan plan, List<String> nodes) {
        return new QuerySpec(null, plan, nodes, Duration.ofSeconds(60), false, 0, 0, 0);
    }

    public QuerySpec withTimeout(Duration newTimeout) {
        return new QuerySpec(root, plan, nodes, newTimeout, reportExecutionSummary, startTs, memoryLimitBytes, concurrency);
    }

    public QuerySpec withReportExecutionSummary(boolean report) {
        return new QuerySpec(root, plan, nodes, timeout, report, startTs, memoryLimitBytes, concurrency);
    }

    public QuerySpec withMemoryLimit(long bytes) {
        return new QuerySpec(root, plan, nodes, timeout, reportExecutionSummary, startTs, bytes, concurrency);
    }

    public QuerySpec withConcurrency(int drivers) {
        return new QuerySpec(root, plan, nodes, timeout, reportExecutionSummary, startTs, memoryLimitBytes, drivers);
    }

    public QuerySpec withStartTs(long ts) {
        return new QuerySpec(root, plan, nodes, timeout, reportExecutionSummary, ts, memoryLimitBytes, concurrency);
    }
}
