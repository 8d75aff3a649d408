package io.mppnode.server.binlog.log;

/** When an append counts as done: after its bytes reach the disk, or as soon as they are written. */
public enum FsyncPolicy {
    /**
     * The default: a group of appends is written, then the segment is forced to disk once, and
     * only then do their futures complete. An acknowledged entity survives a power loss.
     */
    ALWAYS,
    /**
     * Appends complete once written to the operating system, without a force: a process crash
     * loses nothing, a power loss can lose the latest acknowledged entities. For benchmarks and
     * for users who accept that. Segments are still forced when they roll.
     */
    NONE
}
