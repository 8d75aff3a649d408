package io.mppnode.server.binlog.log;

import java.util.Comparator;

/**
 * Where a record starts: the suffix of its segment file and the byte offset of its header in that
 * file. Pump calls this {@code Pos{suffix, offset}}. Positions order as the log does: by segment,
 * then by offset.
 */
public record LogPosition(long suffix, long offset) implements Comparable<LogPosition> {
    private static final Comparator<LogPosition> ORDER =
            Comparator.comparingLong(LogPosition::suffix).thenComparingLong(LogPosition::offset);

    public LogPosition {
        if (suffix < 0) {
            throw new IllegalArgumentException("suffix must not be negative, got " + suffix);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
    }

    @Override
    public int compareTo(LogPosition other) {
        return ORDER.compare(this, other);
    }

    public boolean isAfter(LogPosition other) {
        return compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return "position " + suffix + ":" + offset;
    }
}
