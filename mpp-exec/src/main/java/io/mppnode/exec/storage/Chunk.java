package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Rows written together at one commit timestamp, with their handles, or (when {@code rows} is
 * null) deletions of handles at that timestamp. The data never changes once stored.
 *
 * <p>The memory is reference counted: the region holds one reference while the chunk is part
 * of it, and every open {@link Snapshot} that reads it holds one. The last {@link #release()}
 * frees the vectors (in the region's allocator) and tells the region. A compaction or a dropped
 * table gives back the region's reference, so a scan reading the chunk keeps it readable until
 * the scan closes. Buffers a scan already handed out by {@code splitAndTransfer} are counted by
 * Arrow itself and outlive the chunk.
 *
 * <p>Chunks written before a column was added hold fewer columns than the table: the missing
 * ones read as NULL ({@link #columnCount()}).
 */
final class Chunk {
    private final VectorSchemaRoot rows;
    private final BigIntVector handles;
    private final long commitTs;
    private final long minHandle;
    private final long maxHandle;
    private final int size;
    private final long bytes;
    private final AtomicInteger references = new AtomicInteger(1);
    private final Consumer<Chunk> onFree;

    /** Takes ownership of {@code rows} (may be null: a delete) and {@code handles}; {@code onFree} runs once, after they are closed. */
    Chunk(VectorSchemaRoot rows, BigIntVector handles, long commitTs, long minHandle, long maxHandle, Consumer<Chunk> onFree) {
        this.rows = rows;
        this.handles = requireNonNull(handles, "handles is null");
        this.commitTs = commitTs;
        this.minHandle = minHandle;
        this.maxHandle = maxHandle;
        this.onFree = requireNonNull(onFree, "onFree is null");
        this.size = handles.getValueCount();
        long bytes = handles.getBufferSize();
        if (rows != null) {
            for (var vector : rows.getFieldVectors()) {
                bytes += vector.getBufferSize();
            }
        }
        this.bytes = bytes;
    }

    /** The stored rows (null for a delete chunk); read-only. */
    VectorSchemaRoot rows() {
        return rows;
    }

    BigIntVector handles() {
        return handles;
    }

    long commitTs() {
        return commitTs;
    }

    long minHandle() {
        return minHandle;
    }

    long maxHandle() {
        return maxHandle;
    }

    boolean isDelete() {
        return rows == null;
    }

    int size() {
        return size;
    }

    /** The columns stored: fewer than the table's when columns were added after the chunk was written. */
    int columnCount() {
        return rows == null ? 0 : rows.getFieldVectors().size();
    }

    /** The bytes of the chunk's buffers when it was stored. */
    long bytes() {
        return bytes;
    }

    /** Takes one more reference; false when the chunk was already freed (its data is gone). */
    boolean tryRetain() {
        while (true) {
            int count = references.get();
            if (count <= 0) {
                return false;
            }
            if (references.compareAndSet(count, count + 1)) {
                return true;
            }
        }
    }

    /**
     * Gives back one reference; the last frees the memory. A release after {@link #forceFree()}
     * (a scan that outlived the node's stop) does nothing.
     */
    void release() {
        while (true) {
            int count = references.get();
            if (count <= 0) {
                return;
            }
            if (references.compareAndSet(count, count - 1)) {
                if (count == 1) {
                    free();
                }
                return;
            }
        }
    }

    /** Frees the memory now, whoever holds references: only when the node stops and no scan runs. */
    void forceFree() {
        if (references.getAndSet(0) > 0) {
            free();
        }
    }

    private void free() {
        try {
            if (rows != null) {
                rows.close();
            }
            handles.close();
        } finally {
            onFree.accept(this);
        }
    }

    @Override
    public String toString() {
        return (rows == null ? "delete" : "chunk") + " of " + size() + " rows at ts " + commitTs;
    }
}
