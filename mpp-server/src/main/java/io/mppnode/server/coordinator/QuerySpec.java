package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A query for the coordinator: its root fragment, how long it may run, whether the nodes report
 * execution summaries out of band (ReportMPPTaskStatus) instead of in the last packet, the
 * snapshot ({@code startTs} 0 means "now", a TSO from the clock), and what every task's plan
 * carries: the query's memory limit on each node and the task concurrency (0 means the node's
 * setting for either).
 */
public record QuerySpec(Fragment root, Duration timeout, boolean reportExecutionSummary, long startTs,
        long memoryLimitBytes, int concurrency) {
    public QuerySpec {
        requireNonNull(root, "root is null");
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
        return new QuerySpec(root, Duration.ofSeconds(60), false, 0, 0, 0);
    }

    public QuerySpec withTimeout(Duration newTimeout) {
        return new QuerySpec(root, newTimeout, reportExecutionSummary, startTs, memoryLimitBytes, concurrency);
    }

    public QuerySpec withReportExecutionSummary(boolean report) {
        return new QuerySpec(root, timeout, report, startTs, memoryLimitBytes, concurrency);
    }

    public QuerySpec withMemoryLimit(long bytes) {
        return new QuerySpec(root, timeout, reportExecutionSummary, startTs, bytes, concurrency);
    }

    public QuerySpec withConcurrency(int drivers) {
        return new QuerySpec(root, timeout, reportExecutionSummary, startTs, memoryLimitBytes, drivers);
    }
}
