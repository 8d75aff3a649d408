package io.mppnode.exec.storage;

/**
 * Handles {@code [start, end)}. {@link Long#MIN_VALUE} as start and {@link Long#MAX_VALUE} as
 * end stand for "unbounded" (a record key range starting at the table prefix, or ending past
 * the table), so that {@code end} itself is never a handle of an unbounded range.
 */
public record HandleRange(long start, long end) {
    public static final HandleRange ALL = new HandleRange(Long.MIN_VALUE, Long.MAX_VALUE);

    public HandleRange {
        if (start > end) {
            throw new IllegalArgumentException("handle range [" + start + ", " + end + ") ends before it starts");
        }
    }

    public boolean contains(long handle) {
        return handle >= start && (handle < end || end == Long.MAX_VALUE);
    }

    public boolean isEmpty() {
        return start == end;
    }

    /** Whether every handle of {@code other} is in this range. */
    public boolean covers(HandleRange other) {
        return other.isEmpty() || (start <= other.start && (end == Long.MAX_VALUE || (other.end != Long.MAX_VALUE && other.end <= end)));
    }

    public boolean overlaps(HandleRange other) {
        if (isEmpty() || other.isEmpty()) {
            return false;
        }
        boolean thisEndsAfterOtherStarts = end == Long.MAX_VALUE || end > other.start;
        boolean otherEndsAfterThisStarts = other.end == Long.MAX_VALUE || other.end > start;
        return thisEndsAfterOtherStarts && otherEndsAfterThisStarts;
    }

    @Override
    public String toString() {
        return "[" + (start == Long.MIN_VALUE ? "-inf" : String.valueOf(start)) + ", "
                + (end == Long.MAX_VALUE ? "+inf" : String.valueOf(end)) + ")";
    }
}
