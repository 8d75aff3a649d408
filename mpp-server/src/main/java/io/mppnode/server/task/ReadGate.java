package io.mppnode.server.task;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Holds a task back until the data it reads is there: a scan of a binlog-fed table at
 * {@code start_ts} may start only once the replica has applied everything committed at or below
 * it. The future fails (with the error the task fails with) when that takes longer than the
 * task's timeout.
 */
@FunctionalInterface
public interface ReadGate {
    /** Every read may start at once: tables loaded directly are visible at every ts after their load. */
    ReadGate OPEN = (tables, startTs, timeout) -> CompletableFuture.completedFuture(null);

    CompletableFuture<Void> await(Set<Long> scannedTables, long startTs, Duration timeout);
}
