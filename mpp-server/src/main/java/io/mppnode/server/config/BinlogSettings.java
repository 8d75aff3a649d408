package io.mppnode.server.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The node's binlog settings (README "Configuration"): the Pump cluster id, where and how
 * segments are written and kept, and how long the replica keeps old versions.
 *
 * @param clusterId the clusterID every WriteBinlog and PullBinlogs request must carry
 * @param dir the directory of the segment files
 * @param segmentSizeBytes a segment rolls to the next at this size
 * @param fsync whether WriteBinlog answers only after an fsync (group commit)
 * @param retentionAge segments older than this are freed; zero keeps them
 * @param retentionBytes the oldest segments are freed while the binlog is larger; zero: no bound
 * @param gcLifeTime versions this far behind the resolved ts are compacted away
 * @param compactionInterval how often compaction, checkpoints and retention run
 */
public record BinlogSettings(long clusterId, Path dir, long segmentSizeBytes, boolean fsync, Duration retentionAge,
        long retentionBytes, Duration gcLifeTime, Duration compactionInterval) {
    public BinlogSettings {
        requireNonNull(dir, "dir is null");
        requireNonNull(retentionAge, "retentionAge is null");
        requireNonNull(gcLifeTime, "gcLifeTime is null");
        requireNonNull(compactionInterval, "compactionInterval is null");
        if (segmentSizeBytes < 4096) {
            throw new ConfigException("binlog-segment-size must be at least 4KiB, got " + segmentSizeBytes);
        }
        if (retentionAge.isNegative()) {
            throw new ConfigException("binlog-retention-age must not be negative");
        }
        if (retentionBytes < 0) {
            throw new ConfigException("binlog-retention-size must not be negative");
        }
        if (gcLifeTime.isNegative()) {
            throw new ConfigException("gc-life-time must not be negative");
        }
        if (compactionInterval.isNegative() || compactionInterval.isZero()) {
            throw new ConfigException("compaction-interval must be positive");
        }
    }

    static boolean parseFsync(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "always" -> true;
            case "none" -> false;
            default -> throw new IllegalArgumentException("expected always or none");
        };
    }
}
