package io.mppnode.exchange.codec;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Arrow IPC encapsulated message, ready to send: a small heap prefix (continuation token,
 * metadata length, flatbuffer metadata, padding) followed by the body, which is views of Arrow
 * memory (the batch's own buffers, or their compressed forms) and zero padding. Nothing of the
 * body was copied: the chunk holds references to the Arrow buffers until it is released.
 *
 * <p>Reference counted, so a broadcast sends one encoding to every target: each holder calls
 * {@link #retain()} before handing it on and {@link #release()} when done. The last release
 * frees the Arrow buffers. Thread-safe; the segments are read-only and never change.
 */
public final class EncodedChunk {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64).asReadOnlyBuffer();

    private final ByteBuffer[] segments;
    private final long size;
    private final AutoCloseable owner;
    private final AtomicInteger references = new AtomicInteger(1);

    /**
     * @param segments read-only views; the chunk is their concatenation
     * @param owner closed by the last release (null when nothing needs freeing)
     */
    EncodedChunk(ByteBuffer[] segments, AutoCloseable owner) {
        this.segments = requireNonNull(segments, "segments is null");
        long total = 0;
        for (ByteBuffer segment : segments) {
            total += segment.remaining();
        }
        this.size = total;
        this.owner = owner;
    }

    /** Zero bytes for padding, as a read-only direct view of {@code length} (at most 64) bytes. */
    static ByteBuffer zeros(int length) {
        return ZEROS.slice(0, length);
    }

    /** The chunk's length in bytes. */
    public long size() {
        return size;
    }

    public int segmentCount() {
        return segments.length;
    }

    /**
     * A fresh view of one segment (position 0, limit its length): the caller may move its
     * position freely. Valid until the chunk is released. Heap for the metadata prefix, direct
     * (Arrow memory) for the body.
     */
    public ByteBuffer segment(int index) {
        return segments[index].duplicate();
    }

    /** Copies the whole chunk into {@code target} (for tests and the non-zero-copy fallback). */
    public void copyTo(ByteBuffer target) {
        for (ByteBuffer segment : segments) {
            target.put(segment.duplicate());
        }
    }

    /** Adds a reference. @throws IllegalStateException when the chunk was already freed */
    public EncodedChunk retain() {
        references.updateAndGet(count -> {
            if (count <= 0) {
                throw new IllegalStateException("chunk already released");
            }
            return count + 1;
        });
        return this;
    }

    /** Drops a reference; the last frees the Arrow buffers. */
    public void release() {
        int left = references.decrementAndGet();
        if (left == 0 && owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("releasing an encoded chunk failed", e);
            }
        } else if (left < 0) {
            throw new IllegalStateException("chunk released more often than retained");
        }
    }

    public int referenceCount() {
        return references.get();
    }
}
