package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.server.task.ReadGate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The read gate of binlog-fed tables: a task reading one at a {@code start_ts} ahead of the
 * replica's resolved ts waits for it (no thread is held), up to the task's timeout, and then
 * fails with {@link ErrorCode#REPLICA_BEHIND} saying how far behind the replica is.
 */
public final class ReplicaReadGate implements ReadGate {
    private final BinlogReplica replica;
    private final ScheduledExecutorService timer;

    public ReplicaReadGate(BinlogReplica replica, ScheduledExecutorService timer) {
        this.replica = requireNonNull(replica, "replica is null");
        this.timer = requireNonNull(timer, "timer is null");
    }

    @Override
    public CompletableFuture<Void> await(Set<Long> scannedTables, long startTs, Duration timeout) {
        if (scannedTables.stream().noneMatch(replica::isReplicated)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> resolved = replica.awaitResolved(startTs);
        if (resolved.isDone()) {
            return resolved;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        resolved.whenComplete((ignored, error) -> result.complete(null));
        ScheduledFuture<?> expiry = timer.schedule(() -> result.completeExceptionally(behind(startTs, timeout)),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((ignored, error) -> expiry.cancel(false));
        return result;
    }

    private MppException behind(long startTs, Duration waited) {
        long resolvedTs = replica.resolvedTs();
        long behindMillis = Tso.physicalMillis(startTs) - Tso.physicalMillis(resolvedTs);
        return new MppException(ErrorCode.REPLICA_BEHIND, "the binlog replica is behind: start_ts " + startTs
                + " is ahead of the resolved ts " + resolvedTs + " by " + behindMillis + " ms after waiting " + waited.toMillis()
                + " ms (" + replica.waitingPrewrites() + " prewrites wait for their commit; an idle source must send heartbeats)");
    }
}
