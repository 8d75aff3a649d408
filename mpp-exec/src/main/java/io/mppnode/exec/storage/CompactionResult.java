package io.mppnode.exec.storage;

/**
 * What a compaction did: the row versions and deletions stored, and the chunks, before and
 * after; and the bytes of the chunks it replaced or dropped, which are freed once the last
 * scan reading them closes.
 */
public record CompactionResult(long rowsBefore, long rowsAfter, int chunksBefore, int chunksAfter, long bytesFreed) {
    static final CompactionResult NONE = new CompactionResult(0, 0, 0, 0, 0);

    /** The sum of two results (of two regions). */
    public CompactionResult plus(CompactionResult other) {
        return new CompactionResult(rowsBefore + other.rowsBefore, rowsAfter + other.rowsAfter,
                chunksBefore + other.chunksBefore, chunksAfter + other.chunksAfter, bytesFreed + other.bytesFreed);
    }
}
