package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.Table;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.log.SegmentedLog;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the replica does now and then, off the write path: compacts the versions of binlog-fed
 * tables below the safe point (the resolved ts minus the GC life time, as TiDB's GC safe
 * point), writes a checkpoint ({@link ReplicaCheckpoint}), and frees binlog segments by the
 * retention rules, never one at or after the checkpoint's replay position (a restart needs it).
 */
public final class ReplicaMaintenance {
    private static final Logger log = LoggerFactory.getLogger(ReplicaMaintenance.class);

    private final Catalog catalog;
    private final BinlogReplica replica;
    private final SegmentedLog binlog;
    private final Duration gcLifeTime;
    private final java.nio.file.Path checkpoints;
    private final org.apache.arrow.memory.BufferAllocator allocator;

    public ReplicaMaintenance(Catalog catalog, BinlogReplica replica, SegmentedLog binlog, Duration gcLifeTime,
            java.nio.file.Path checkpoints, org.apache.arrow.memory.BufferAllocator allocator) {
        this.checkpoints = requireNonNull(checkpoints, "checkpoints is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.replica = requireNonNull(replica, "replica is null");
        this.binlog = requireNonNull(binlog, "binlog is null");
        this.gcLifeTime = requireNonNull(gcLifeTime, "gcLifeTime is null");
    }

    /** The safe point for a resolved ts: {@code gcLifeTime} earlier, in TSO layout (physical ms << 18). */
    public static long safePoint(long resolvedTs, Duration gcLifeTime) {
        long behind = gcLifeTime.toMillis() << 18;
        return resolvedTs > behind ? resolvedTs - behind : 0;
    }

    /** Compacts every binlog-fed table at the current safe point; returns the safe point used. */
    public long compact() {
        long safePoint = safePoint(replica.resolvedTs(), gcLifeTime);
        if (safePoint <= 0) {
            return 0;
        }
        for (Table table : catalog.tables()) {
            if (replica.isReplicated(table.id())) {
                table.compact(safePoint);
            }
        }
        return safePoint;
    }

    /**
     * Writes a checkpoint, then frees segments by the retention rules up to its replay
     * position. Returns the bytes freed.
     */
    public long checkpointAndApplyRetention() throws java.io.IOException {
        java.util.Optional<LogPosition> replayFrom = ReplicaCheckpoint.write(checkpoints, replica, allocator);
        if (replayFrom.isEmpty()) {
            return 0;
        }
        binlog.setRetentionFloor(replayFrom.get());
        return binlog.applyRetention(Instant.now());
    }

    /** Runs both, logging rather than throwing: it runs on a schedule. */
    public void runQuietly() {
        try {
            compact();
            checkpointAndApplyRetention();
        } catch (Exception e) {
            log.warn("replica maintenance failed: {}", e.getMessage(), e);
        }
    }
}
