package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A query for the coordinator: its root fragment, how long it may run, and whether the nodes
 * report execution summaries out of band (ReportMPPTaskStatus) instead of in the last packet.
 * {@code startTs} 0 means "now" (a TSO from the clock).
 */
public record QuerySpec(Fragment root, Duration timeout, boolean reportExecutionSummary, long startTs) {
    public QuerySpec {
        requireNonNull(root, "root is null");
        requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    public static QuerySpec of(Fragment root) {
        return new QuerySpec(root, Duration.ofSeconds(60), false, 0);
    }

    public QuerySpec withTimeout(Duration newTimeout) {
        return new QuerySpec(root, newTimeout, reportExecutionSummary, startTs);
    }

    public QuerySpec withReportExecutionSummary(boolean report) {
        return new QuerySpec(root, timeout, report, startTs);
    }
}
