package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A message read through a plain InputStream (gRPC gave no buffers: the in-process transport,
 * a test). Chunks are read into Arrow memory: straight from the sender's Arrow memory when the
 * stream is our own {@link OutboundPacketStream} (in-process), else through one small reused
 * heap array; no heap copy of a whole chunk either way.
 */
final class StreamWireInput extends WireInput {
    private static final int SCRATCH_SIZE = 8192;
    private static final int NONE = -2;

    private final InputStream stream;
    private final BufferAllocator allocator;
    private final InboundPacketMarshaller counters;
    private final long length;
    private final boolean closeStream;
    private byte[] scratch;
    /** A byte {@link #hasMore} read ahead (-1: the end), or NONE. */
    private int peeked = NONE;
    private long position;
    private boolean closed;

    /**
     * @param closeStream whether the stream is ours to close (a detached one) or the caller's
     */
    StreamWireInput(InputStream stream, BufferAllocator allocator, InboundPacketMarshaller counters, boolean closeStream) {
        this.stream = requireNonNull(stream, "stream is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.counters = requireNonNull(counters, "counters is null");
        this.closeStream = closeStream;
        this.length = exactLength(stream);
    }

    /** available() is only an estimate in general; these streams promise it exactly. */
    private static long exactLength(InputStream stream) {
        if (stream instanceof KnownLength || stream instanceof ByteArrayInputStream || stream instanceof OutboundPacketStream) {
            try {
                return stream.available();
            } catch (IOException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    long position() {
        return position;
    }

    @Override
    long length() {
        return length;
    }

    @Override
    boolean hasMore() throws IOException {
        if (length >= 0) {
            return position < length;
        }
        // Peek by reading one byte ahead; the next read takes it.
        if (peeked == NONE) {
            peeked = stream.read();
        }
        return peeked >= 0;
    }

    @Override
    int read() throws IOException {
        int value;
        if (peeked != NONE) {
            value = peeked;
            peeked = NONE;
        } else {
            value = stream.read();
        }
        if (value >= 0) {
            position++;
        }
        return value;
    }

    @Override
    boolean readFully(byte[] target, int offset, int count) throws IOException {
        int done = 0;
        if (count > 0 && peeked != NONE) {
            int value = read();
            if (value < 0) {
                return false;
            }
            target[offset] = (byte) value;
            done = 1;
        }
        while (done < count) {
            int read = stream.read(target, offset + done, count - done);
            if (read < 0) {
                return false;
            }
            done += read;
            position += read;
        }
        return true;
    }

    @Override
    boolean skip(long count) throws IOException {
        long done = 0;
        if (count > 0 && peeked != NONE) {
            if (read() < 0) {
                return false;
            }
            done = 1;
        }
        while (done < count) {
            long skipped = stream.skip(count - done);
            if (skipped <= 0) {
                // skip may stop early without being at the end: a read tells.
                if (stream.read() < 0) {
                    return false;
                }
                skipped = 1;
            }
            done += skipped;
            position += skipped;
        }
        return true;
    }

    @Override
    ArrowBuf readChunk(int count) throws IOException {
        ArrowBuf chunk = count == 0 ? allocator.getEmpty() : BufferWireInput.exactBuffer(allocator, count);
        try {
            long done = 0;
            if (count > 0 && peeked != NONE) {
                int value = read();
                if (value < 0) {
                    chunk.close();
                    return null;
                }
                chunk.setByte(0, value);
                done = 1;
            }
            while (done < count) {
                int want = (int) (count - done);
                int read;
                if (stream instanceof OutboundPacketStream own) {
                    read = own.readInto(chunk.nioBuffer(done, want));
                } else {
                    if (scratch == null) {
                        scratch = new byte[Math.min(SCRATCH_SIZE, count)];
                    }
                    read = stream.read(scratch, 0, Math.min(want, scratch.length));
                    if (read > 0) {
                        chunk.setBytes(done, scratch, 0, read);
                    }
                }
                if (read < 0) {
                    chunk.close();
                    return null;
                }
                done += read;
                position += read;
            }
        } catch (IOException | RuntimeException | Error e) {
            chunk.close();
            throw e;
        }
        counters.countStreamedChunk();
        return chunk;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (closeStream) {
                try {
                    stream.close();
                } catch (IOException e) {
                    // Nothing is left to read from it; the failure changes nothing for us.
                }
            }
        }
    }
}
