package io.mppnode.exec.operator.join;

/**
 * Which build rows found a partner, shared by every probe instance of a join whose build rows
 * are emitted at the end (outer rows of the build side, or a semi/anti join whose left side is
 * the build). Probes only ever set flags to true, without locks, from any number of threads: a
 * race writes the same value. The last probe reads them after {@link JoinBridge#probeFinished()},
 * whose lock orders every other probe's writes before its reads.
 *
 * <p>Without another condition a build row matches when its key group does, so one flag per
 * group suffices ({@link #groups}); with one, each pair is decided alone, so one flag per row
 * ({@link #rows}). Exactly one of the two arrays is non-null. The arrays are heap memory
 * accounted in the table's allocator; the {@link LookupTable} that made this frees them.
 */
final class BuildMatches {
    /** One flag per key group, or null when matches are recorded per row. */
    final boolean[] groups;
    /** One flag per build row, or null when matches are recorded per group. */
    final boolean[] rows;
    /** NOT IN without other condition: some probe row exists, so every build row with a NULL key matches. */
    boolean nullKeyRowsMatched;
    /** NOT IN without other condition: a probe row has a NULL key, so every build row matches. */
    boolean allRowsMatched;

    BuildMatches(boolean[] groups, boolean[] rows) {
        if ((groups == null) == (rows == null)) {
            throw new IllegalArgumentException("exactly one of groups and rows is needed");
        }
        this.groups = groups;
        this.rows = rows;
    }

    /** Whether every row of group {@code group} (the NULL-key rows when it is the group count) matched as a whole. */
    boolean groupMatched(int group, int groupCount) {
        if (allRowsMatched) {
            return true;
        }
        if (group == groupCount) {
            return nullKeyRowsMatched;
        }
        return groups != null && groups[group];
    }
}
