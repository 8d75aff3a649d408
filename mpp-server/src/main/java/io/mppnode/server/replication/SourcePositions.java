package io.mppnode.server.replication;

import io.mppnode.proto.binlog.SourcePosition;
import java.util.Comparator;

/** Ordering and printing of upstream binlog positions (file name, then offset). */
final class SourcePositions {
    private SourcePositions() {}

    /**
     * Orders positions by binlog file (its numeric extension, as in {@code mariadb-bin.000012})
     * then by offset. Positions without a file (a start from a GTID set) sort first.
     */
    static final Comparator<SourcePosition> ORDER = Comparator.comparingLong((SourcePosition p) -> fileIndex(p.getFile()))
            .thenComparingLong(SourcePosition::getPosition);

    static long fileIndex(String file) {
        if (file.isEmpty()) {
            return -1;
        }
        int dot = file.lastIndexOf('.');
        try {
            return Long.parseLong(file.substring(dot + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("binlog file name '" + file + "' does not end in a number", e);
        }
    }

    /** Whether {@code position} is at or before {@code held} (a node holding {@code held} already has it). */
    static boolean covered(SourcePosition position, SourcePosition held) {
        return !held.getFile().isEmpty() && !position.getFile().isEmpty() && ORDER.compare(position, held) <= 0;
    }

    static String describe(SourcePosition position) {
        String place = position.getFile().isEmpty() ? "" : position.getFile() + ":" + position.getPosition();
        if (position.getGtidSet().isEmpty()) {
            return place.isEmpty() ? "(none)" : place;
        }
        return (place.isEmpty() ? "" : place + " ") + "gtid " + position.getGtidSet();
    }
}
