package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;

/**
 * One record read back from the log: where it is, the entity's start and commit ts, its payload,
 * and the payload's CRC32C (already verified, so a caller can hand it on as Pump's
 * {@code Entity.checksum} without computing it again).
 */
public record LogEntry(LogPosition position, long startTs, long commitTs, ByteString payload, int checksum) {
    public LogEntry {
        requireNonNull(position, "position is null");
        requireNonNull(payload, "payload is null");
    }
}
