package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a {@link SegmentedLog} writes, rolls and frees its segments. Start from {@link #defaults()}
 * and change what you need with the {@code with*} methods.
 *
 * @param segmentSizeBytes a segment rolls when the next record would make it larger than this
 *     (default 64 MiB); a single larger record gets a segment of its own
 * @param maxPayloadBytes appends with a larger payload are refused (default 64 MiB)
 * @param fsyncPolicy when an append completes (default {@link FsyncPolicy#ALWAYS})
 * @param retentionMaxAge {@link SegmentedLog#applyRetention} frees segments last written longer
 *     ago than this; zero keeps them forever (the default)
 * @param retentionMaxBytes {@link SegmentedLog#applyRetention} frees the oldest segments while
 *     all segments together are larger than this; zero means no bound (the default)
 * @param channels opens segment files (default {@link SegmentChannels#DEFAULT}); tests substitute
 *     failing ones
 */
public record LogOptions(long segmentSizeBytes, int maxPayloadBytes, FsyncPolicy fsyncPolicy, Duration retentionMaxAge,
        long retentionMaxBytes, SegmentChannels channels) {
    public static final long DEFAULT_SEGMENT_SIZE_BYTES = 64L << 20;
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 64 << 20;
    /** The record length field is a u32, but a payload must also fit one Java array. */
    public static final int LARGEST_MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - LogRecordFormat.HEADER_BYTES;

    public LogOptions {
        requireNonNull(fsyncPolicy, "fsyncPolicy is null");
        requireNonNull(retentionMaxAge, "retentionMaxAge is null");
        requireNonNull(channels, "channels is null");
        if (segmentSizeBytes <= 0) {
            throw new IllegalArgumentException("segmentSizeBytes must be positive, got " + segmentSizeBytes);
        }
        if (maxPayloadBytes < 0 || maxPayloadBytes > LARGEST_MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("maxPayloadBytes must be between 0 and " + LARGEST_MAX_PAYLOAD_BYTES
                    + ", got " + maxPayloadBytes);
        }
        if (retentionMaxAge.isNegative()) {
            throw new IllegalArgumentException("retentionMaxAge must not be negative (zero keeps segments forever), got "
                    + retentionMaxAge);
        }
        if (retentionMaxBytes < 0) {
            throw new IllegalArgumentException("retentionMaxBytes must not be negative (zero means no bound), got "
                    + retentionMaxBytes);
        }
    }

    public static LogOptions defaults() {
        return new LogOptions(DEFAULT_SEGMENT_SIZE_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, FsyncPolicy.ALWAYS, Duration.ZERO, 0,
                SegmentChannels.DEFAULT);
    }

    public LogOptions withSegmentSizeBytes(long value) {
        return new LogOptions(value, maxPayloadBytes, fsyncPolicy, retentionMaxAge, retentionMaxBytes, channels);
    }

    public LogOptions withMaxPayloadBytes(int value) {
        return new LogOptions(segmentSizeBytes, value, fsyncPolicy, retentionMaxAge, retentionMaxBytes, channels);
    }

    public LogOptions withFsyncPolicy(FsyncPolicy value) {
        return new LogOptions(segmentSizeBytes, maxPayloadBytes, value, retentionMaxAge, retentionMaxBytes, channels);
    }

    public LogOptions withRetentionMaxAge(Duration value) {
        return new LogOptions(segmentSizeBytes, maxPayloadBytes, fsyncPolicy, value, retentionMaxBytes, channels);
    }

    public LogOptions withRetentionMaxBytes(long value) {
        return new LogOptions(segmentSizeBytes, maxPayloadBytes, fsyncPolicy, retentionMaxAge, value, channels);
    }

    public LogOptions withChannels(SegmentChannels value) {
        return new LogOptions(segmentSizeBytes, maxPayloadBytes, fsyncPolicy, retentionMaxAge, retentionMaxBytes, value);
    }
}
