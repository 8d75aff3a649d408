package io.mppnode.exec.storage;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An immutable piece of a region: rows written together at one commit timestamp, with their
 * handles, or (when {@code rows} is null) deletions of handles at that timestamp. Owned by its
 * region, whose allocator holds its memory.
 */
record Chunk(VectorSchemaRoot rows, BigIntVector handles, long commitTs, long minHandle, long maxHandle) {
    boolean isDelete() {
        return rows == null;
    }

    int size() {
        return handles.getValueCount();
    }

    long bytes() {
        long bytes = handles.getBufferSize();
        if (rows != null) {
            for (var vector : rows.getFieldVectors()) {
                bytes += vector.getBufferSize();
            }
        }
        return bytes;
    }

    void close() {
        if (rows != null) {
            rows.close();
        }
        handles.close();
    }
}
