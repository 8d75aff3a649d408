package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * A message detached from gRPC, read straight from the transport's buffers: each piece is
 * {@link HasByteBuffer#getByteBuffer()}, the stream's {@code skip} moves to the next. A chunk
 * inside one direct piece becomes Arrow memory without a copy (wrapped, see
 * {@link DetachedMessage}); a chunk spread over pieces, or in heap pieces, is copied once into
 * a buffer from the allocator.
 *
 * <p>Wrapping needs the stream marked: gRPC's composite buffer closes (returns to Netty) each
 * piece it skips past unless a mark is set, and a wrapped chunk must outlive the skip. Marked,
 * the pieces stay until the stream is closed. A stream that cannot mark gets every chunk copied.
 */
final class BufferWireInput extends WireInput {
    private final InputStream stream;
    private final HasByteBuffer buffers;
    private final BufferAllocator allocator;
    private final InboundPacketMarshaller counters;
    private final DetachedMessage message;
    private final long length;
    private final boolean wrapping;
    private ByteBuffer piece;
    /** Where {@link #piece} stood when taken: what was consumed from it is skipped on the stream. */
    private int pieceStart;
    private long position;
    private boolean closed;

    /**
     * @param stream a detached message, {@link HasByteBuffer} with byte buffers supported; taken
     *     over (closed once the parse and every wrapped chunk are done with it, or right away
     *     when this constructor fails)
     */
    BufferWireInput(InputStream stream, BufferAllocator allocator, InboundPacketMarshaller counters) {
        this.stream = requireNonNull(stream, "stream is null");
        this.message = new DetachedMessage(stream);
        try {
            this.buffers = (HasByteBuffer) stream;
            this.allocator = requireNonNull(allocator, "allocator is null");
            this.counters = requireNonNull(counters, "counters is null");
            this.length = stream instanceof KnownLength ? stream.available() : -1;
            this.wrapping = stream.markSupported();
            if (wrapping) {
                stream.mark(Integer.MAX_VALUE);
            }
        } catch (IOException | RuntimeException e) {
            message.release();
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException("reading a received message failed", e);
        }
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
        return ensurePiece();
    }

    @Override
    int read() throws IOException {
        if (!ensurePiece()) {
            return -1;
        }
        position++;
        return piece.get() & 0xFF;
    }

    @Override
    boolean readFully(byte[] target, int offset, int count) throws IOException {
        int done = 0;
        while (done < count) {
            if (!ensurePiece()) {
                return false;
            }
            int step = Math.min(count - done, piece.remaining());
            piece.get(target, offset + done, step);
            done += step;
            position += step;
        }
        return true;
    }

    @Override
    boolean skip(long count) throws IOException {
        long done = 0;
        while (done < count) {
            if (!ensurePiece()) {
                return false;
            }
            int step = (int) Math.min(count - done, piece.remaining());
            piece.position(piece.position() + step);
            done += step;
            position += step;
        }
        return true;
    }

    @Override
    ArrowBuf readChunk(int count) throws IOException {
        if (count == 0) {
            return allocator.getEmpty();
        }
        if (!ensurePiece()) {
            return null;
        }
        if (wrapping && piece.isDirect() && piece.remaining() >= count) {
            return wrap(count);
        }
        return copy(count);
    }

    /** No copy: Arrow memory over the transport's buffer, kept alive by the detached message. */
    private ArrowBuf wrap(int count) {
        long address = MemoryUtil.getByteBufferAddress(piece) + piece.position();
        DetachedMessage.WrappedChunk allocation = message.wrap(count, address);
        ArrowBuf chunk;
        try {
            chunk = allocator.wrapForeignAllocation(allocation);
        } catch (RuntimeException | Error e) {
            allocation.releaseOnce();
            throw e;
        }
        piece.position(piece.position() + count);
        position += count;
        counters.countWrappedChunk();
        return chunk;
    }

    /** One copy, piece by piece, into a buffer from the allocator. */
    private ArrowBuf copy(int count) throws IOException {
        ArrowBuf chunk = exactBuffer(allocator, count);
        try {
            long done = 0;
            while (done < count) {
                if (!ensurePiece()) {
                    chunk.close();
                    return null;
                }
                int step = (int) Math.min(count - done, piece.remaining());
                int limit = piece.limit();
                piece.limit(piece.position() + step);
                chunk.setBytes(done, piece);
                piece.limit(limit);
                done += step;
                position += step;
            }
        } catch (IOException | RuntimeException | Error e) {
            chunk.close();
            throw e;
        }
        counters.countCopiedChunk();
        return chunk;
    }

    /** Makes {@link #piece} a piece with bytes left; false at the end of the message. */
    private boolean ensurePiece() throws IOException {
        if (piece != null && piece.hasRemaining()) {
            return true;
        }
        if (piece != null) {
            skipOnStream(piece.position() - pieceStart);
            piece = null;
        }
        if (length >= 0 && position >= length) {
            return false;
        }
        ByteBuffer next = buffers.getByteBuffer();
        if (next == null || !next.hasRemaining()) {
            if (length >= 0) {
                throw new IllegalStateException("gRPC gave no buffer at byte " + position + " of a message of " + length);
            }
            return false;
        }
        piece = next;
        pieceStart = next.position();
        return true;
    }

    private void skipOnStream(long count) throws IOException {
        long left = count;
        while (left > 0) {
            long skipped = stream.skip(left);
            if (skipped <= 0) {
                throw new IllegalStateException("gRPC's message stream did not skip " + left + " bytes it had shown");
            }
            left -= skipped;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            piece = null;
            message.release();
        }
    }

    /** A buffer of capacity exactly {@code count}: the allocator rounds sizes up, and a chunk is the whole of its buffer. */
    static ArrowBuf exactBuffer(BufferAllocator allocator, int count) {
        ArrowBuf buffer = allocator.buffer(count);
        if (buffer.capacity() == count) {
            return buffer;
        }
        ArrowBuf exact = buffer.slice(0, count);
        exact.getReferenceManager().retain();
        buffer.close();
        return exact;
    }
}
