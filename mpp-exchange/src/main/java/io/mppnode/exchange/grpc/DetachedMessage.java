package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ForeignAllocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A message detached from gRPC: its transport buffers (grpc-netty's pooled direct buffers)
 * belong to us until the detached stream is closed. Chunks wrapped as Arrow memory point into
 * those buffers, so the stream stays open while any of them lives: one reference for the parse
 * and one per wrapped chunk; the last release closes the stream, returning the buffers to
 * Netty's pool. Releases may come from any thread (whoever closes the last batch).
 */
final class DetachedMessage {
    private static final Logger log = LoggerFactory.getLogger(DetachedMessage.class);

    private final InputStream stream;
    private final AtomicInteger references = new AtomicInteger(1);

    /** @param stream taken over; the parse holds the first reference */
    DetachedMessage(InputStream stream) {
        this.stream = requireNonNull(stream, "stream is null");
    }

    /**
     * Arrow's view of {@code size} bytes at {@code address} inside this message. Holds a
     * reference from now on: Arrow calls {@code release0} when the last ArrowBuf over it is
     * closed; a caller whose {@code wrapForeignAllocation} failed calls {@link WrappedChunk#releaseOnce}.
     */
    WrappedChunk wrap(long size, long address) {
        references.incrementAndGet();
        return new WrappedChunk(size, address, this);
    }

    void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            try {
                stream.close();
            } catch (IOException | RuntimeException e) {
                log.warn("closing a received gRPC message failed", e);
            }
        } else if (left < 0) {
            throw new IllegalStateException("received message released more often than referenced");
        }
    }

    int referenceCount() {
        return references.get();
    }

    static final class WrappedChunk extends ForeignAllocation {
        private final DetachedMessage message;
        private final AtomicBoolean released = new AtomicBoolean();

        private WrappedChunk(long size, long address, DetachedMessage message) {
            super(size, address);
            this.message = message;
        }

        /** Idempotent: Arrow may or may not have called it already when wrapping failed. */
        void releaseOnce() {
            release0();
        }

        @Override
        protected void release0() {
            if (released.compareAndSet(false, true)) {
                message.release();
            }
        }
    }
}
