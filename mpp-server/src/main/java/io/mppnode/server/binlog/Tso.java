package io.mppnode.server.binlog;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Timestamps in TiDB's TSO layout, {@code physical milliseconds << 18 | logical}, strictly
 * increasing from this source, for writers that have no timestamp oracle of their own.
 */
public final class Tso {
    private final AtomicLong last = new AtomicLong();

    public long next() {
        long now = System.currentTimeMillis() << 18;
        return last.updateAndGet(previous -> Math.max(previous + 1, now));
    }

    /** The physical part (milliseconds since the epoch) of a TSO timestamp. */
    public static long physicalMillis(long ts) {
        return ts >> 18;
    }
}
