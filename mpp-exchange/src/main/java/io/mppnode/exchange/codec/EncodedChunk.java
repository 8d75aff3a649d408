package io.mppnode.exchange.codec;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

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
    private final List<ArrowBuf> memory;
    private final AutoCloseable owner;
    private final AtomicInteger references = new AtomicInteger(1);

    /**
     * @param segments read-only views; the chunk is their concatenation
     * @param memory the Arrow buffers the direct segments are views of (empty when none)
     * @param owner closed by the last release (null when nothing needs freeing)
     */
    EncodedChunk(ByteBuffer[] segments, List<ArrowBuf> memory, AutoCloseable owner) {
        this.segments = requireNonNull(segments, "segments is null");
        this.memory = List.copyOf(memory);
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

    /**
     * Takes a reference to the Arrow memory behind the segments on behalf of {@code allocator}
     * (Arrow's {@code ReferenceManager.retain(buffer, allocator)}: the same memory, no copy),
     * adding one {@link ArrowBuf} per buffer to {@code into}; closing those drops the
     * references. The segment views stay valid while they are held, even after the chunk was
     * released, and once the chunk's own allocator let go of the memory its accounting moves
     * to {@code allocator}. This is how a transport keeps the bytes it still has to write
     * without holding up the task that produced them. Nothing is added for a chunk without
     * Arrow memory (a schema).
     *
     * @param allocator must share the chunk memory's root allocator
     * @throws IllegalStateException when the chunk was already freed
     */
    public void retainMemory(BufferAllocator allocator, List<ArrowBuf> into) {
        requireNonNull(allocator, "allocator is null");
        if (references.get() <= 0) {
            throw new IllegalStateException("chunk already released");
        }
        for (ArrowBuf buffer : memory) {
            into.add(buffer.getReferenceManager().retain(buffer, allocator));
        }
    }

    /** Whether {@link #retainMemory} can hand this chunk's memory to {@code allocator} (they share a root). */
    public boolean memorySharesRoot(BufferAllocator allocator) {
        for (ArrowBuf buffer : memory) {
            if (buffer.getReferenceManager().getAllocator().getRoot() != allocator.getRoot()) {
                return false;
            }
        }
        return true;
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
