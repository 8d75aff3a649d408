package io.mppnode.server.binlog.log;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The segments on disk, by suffix, with no gaps. The writer adds one when it rolls, retention
 * removes the oldest, readers look them up: all without a lock.
 */
final class SegmentSet {
    private final ConcurrentSkipListMap<Long, Segment> bySuffix = new ConcurrentSkipListMap<>();

    void add(Segment segment) {
        bySuffix.put(segment.suffix(), segment);
    }

    void remove(Segment segment) {
        bySuffix.remove(segment.suffix(), segment);
    }

    /** The segment with this suffix, or null if there is none (freed, or not created yet). */
    Segment get(long suffix) {
        return bySuffix.get(suffix);
    }

    Segment first() {
        return bySuffix.firstEntry().getValue();
    }

    Segment last() {
        return bySuffix.lastEntry().getValue();
    }

    int count() {
        return bySuffix.size();
    }

    long totalBytes() {
        long total = 0;
        for (Map.Entry<Long, Segment> entry : bySuffix.entrySet()) {
            total += entry.getValue().length();
        }
        return total;
    }
}
