package io.mppnode.exchange.grpc;

import java.io.IOException;
import org.apache.arrow.memory.ArrowBuf;

/**
 * The bytes of one received message, read front to back by {@link InboundPacketParser}. Reads
 * report the end of the message (-1, false, null) rather than throw, so the parser can say
 * which field was cut short.
 */
abstract class WireInput implements AutoCloseable {
    /** Bytes consumed so far. */
    abstract long position();

    /** The message's length in bytes, or -1 when the source cannot tell. */
    abstract long length();

    /** False once the whole message was consumed. */
    abstract boolean hasMore() throws IOException;

    /** The next byte, or -1 at the end of the message. */
    abstract int read() throws IOException;

    /** Reads exactly {@code count} bytes; false when the message ended first. */
    abstract boolean readFully(byte[] target, int offset, int count) throws IOException;

    /** Skips exactly {@code count} bytes; false when the message ended first. */
    abstract boolean skip(long count) throws IOException;

    /**
     * The next {@code count} bytes as Arrow memory of capacity exactly {@code count}, owned by
     * the caller; null when the message ended first (nothing is left allocated then).
     */
    abstract ArrowBuf readChunk(int count) throws IOException;

    /**
     * Ends the parse's hold on the source. Chunks returned by {@link #readChunk} stay valid
     * until they are closed themselves.
     */
    @Override
    public abstract void close();
}
