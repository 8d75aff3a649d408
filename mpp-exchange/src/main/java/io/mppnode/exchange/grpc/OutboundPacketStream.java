package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Drainable;
import io.mppnode.exchange.packet.OutboundPacket;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One outbound packet as gRPC's message stream. {@link Drainable} but deliberately not
 * {@code KnownLength}: for a stream of unknown length grpc-core's framer drains into its
 * buffer chain stream, which {@link NettyBufferChain} can hand a whole Netty buffer to.
 *
 * <p>Copies on each route:
 * <ul>
 *   <li>gRPC over Netty, with a wire allocator: none for the chunk bodies. Their buffers of
 *       16 KiB or more go to the socket from the Arrow memory itself, held by the wire
 *       allocator until Netty wrote them; the framing, metadata and small buffers are copied
 *       into one pooled direct buffer ({@link WirePacketBuffer}).
 *   <li>gRPC over Netty without one (or a packet with nothing that large): one. The protobuf
 *       framing is written and every chunk segment copied from Arrow memory into one (pooled)
 *       direct Netty buffer of the packet's exact size
 *       (direct to direct, no {@code byte[]}); gRPC writes that buffer to the socket.
 *   <li>Any other target (in-process transport, gRPC compression, a test stream): through one
 *       heap array of at most 8 KiB, refilled segment by segment; counted as a fallback.
 *   <li>{@link #read}: from the Arrow memory into the caller's array; {@link #readInto} copies
 *       direct to direct.
 * </ul>
 *
 * <p>Owns the packet: closes it once drained, read to the end, or closed (gRPC closes the
 * stream after framing, even when framing failed). Not thread-safe, like any InputStream.
 */
final class OutboundPacketStream extends InputStream implements Drainable {
    private static final int SCRATCH_SIZE = 8192;

    private final OutboundPacket packet;
    private final OutboundPacketMarshaller marshaller;
    private final long size;
    /** For reads: the wire bytes as pieces, built on the first read. */
    private List<ByteBuffer> pieces;
    private int piece;
    private long position;
    private boolean released;

    OutboundPacketStream(OutboundPacket packet, OutboundPacketMarshaller marshaller) {
        this.packet = requireNonNull(packet, "packet is null");
        this.marshaller = requireNonNull(marshaller, "marshaller is null");
        this.size = packet.serializedSize();
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
        requireNonNull(target, "target is null");
        try {
            if (size == 0 && !released) {
                // An all-default packet is zero bytes: nothing to write (and an empty buffer in
                // the chain would never be released: the framer skips the chain of an empty message).
                return 0;
            }
            if (pieces == null && !released && NettyBufferChain.accepts(target)) {
                return drainToBufferChain(target);
            }
            return drainThroughStream(target);
        } finally {
            release();
        }
    }

    private int drainToBufferChain(OutputStream target) {
        int length = Math.toIntExact(size);
        if (marshaller.wireAllocator() != null) {
            ByteBuf composite = WirePacketBuffer.compose(packet, length, marshaller.bufferAllocator(), marshaller.wireAllocator());
            if (composite != null) {
                try {
                    NettyBufferChain.append(target, composite);
                } catch (RuntimeException | Error e) {
                    composite.release();
                    throw e;
                }
                marshaller.countInPlaceWrite();
                return length;
            }
        }
        ByteBuf buffer = marshaller.bufferAllocator().directBuffer(length, length);
        try {
            // One NIO view of the whole buffer (Netty's internal one: no new view object):
            // ByteBuffer.put(ByteBuffer) copies direct to direct, and heap to direct for the
            // read-only metadata prefixes, with no temporary. (ByteBuf.writeBytes(ByteBuffer)
            // would copy a read-only heap buffer through a temporary array.)
            ByteBuffer view = buffer.internalNioBuffer(0, length);
            int start = view.position();
            PacketWire.write(packet, new ByteBufferSink(view));
            if (view.position() - start != length) {
                throw new IllegalStateException("packet wrote " + (view.position() - start) + " bytes, expected " + length);
            }
            buffer.writerIndex(length);
            NettyBufferChain.append(target, buffer);
        } catch (RuntimeException | Error e) {
            buffer.release();
            throw e;
        }
        marshaller.countZeroCopyWrite();
        return length;
    }

    private int drainThroughStream(OutputStream target) throws IOException {
        if (released && position < size) {
            throw new IOException("the packet stream was already closed");
        }
        long before = position;
        // One small array for the whole packet, refilled segment by segment.
        byte[] scratch = new byte[(int) Math.min(SCRATCH_SIZE, Math.max(1, size - position))];
        if (pieces == null) {
            StreamSink sink = new StreamSink(target, scratch);
            try {
                PacketWire.write(packet, sink);
                sink.flush();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            position = size;
        } else {
            int read;
            while ((read = read(scratch, 0, scratch.length)) > 0) {
                target.write(scratch, 0, read);
            }
        }
        marshaller.countFallbackWrite();
        return Math.toIntExact(position - before);
    }

    @Override
    public int read() throws IOException {
        if (!preparePieces()) {
            return -1;
        }
        int value = pieces.get(piece).get() & 0xFF;
        advance(1);
        return value;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        if (!preparePieces()) {
            return -1;
        }
        int done = 0;
        while (done < length && piece < pieces.size()) {
            ByteBuffer current = pieces.get(piece);
            int count = Math.min(length - done, current.remaining());
            current.get(target, offset + done, count);
            done += count;
            advance(count);
        }
        return done == 0 ? -1 : done;
    }

    /**
     * Copies up to {@code target.remaining()} bytes into {@code target} without a heap array
     * (the in-process receive path reads straight into Arrow memory this way).
     *
     * @return the bytes copied, -1 at the end
     */
    int readInto(ByteBuffer target) throws IOException {
        if (!target.hasRemaining()) {
            return 0;
        }
        if (!preparePieces()) {
            return -1;
        }
        int done = 0;
        while (target.hasRemaining() && piece < pieces.size()) {
            ByteBuffer current = pieces.get(piece);
            int count = Math.min(target.remaining(), current.remaining());
            int limit = current.limit();
            current.limit(current.position() + count);
            target.put(current);
            current.limit(limit);
            done += count;
            advance(count);
        }
        return done == 0 ? -1 : done;
    }

    @Override
    public long skip(long count) throws IOException {
        if (count <= 0 || !preparePieces()) {
            return 0;
        }
        long done = 0;
        while (done < count && piece < pieces.size()) {
            ByteBuffer current = pieces.get(piece);
            int step = (int) Math.min(count - done, current.remaining());
            current.position(current.position() + step);
            done += step;
            advance(step);
        }
        return done;
    }

    /** Exact: the bytes left to read. */
    @Override
    public int available() {
        return released ? 0 : (int) Math.min(Integer.MAX_VALUE, size - position);
    }

    /** Releases the packet (idempotent). */
    @Override
    public void close() {
        release();
    }

    /**
     * Builds the pieces on the first read; false when nothing is left to read.
     *
     * @throws IOException when the stream was closed before its end (the pieces are views of
     *     Arrow memory that is gone)
     */
    private boolean preparePieces() throws IOException {
        if (position == size) {
            release();
            return false;
        }
        if (released) {
            throw new IOException("the packet stream was already closed");
        }
        if (pieces == null) {
            PieceSink sink = new PieceSink(size);
            PacketWire.write(packet, sink);
            pieces = sink.finish();
        }
        return true;
    }

    private void advance(int count) {
        position += count;
        while (piece < pieces.size() && !pieces.get(piece).hasRemaining()) {
            piece++;
        }
        if (position == size) {
            // Read to the end: the Arrow memory is no longer needed.
            release();
        }
    }

    private void release() {
        if (!released) {
            released = true;
            packet.close();
        }
    }

    private static final class ByteBufferSink implements PacketWire.Sink {
        private final ByteBuffer target;

        ByteBufferSink(ByteBuffer target) {
            this.target = target;
        }

        @Override
        public void writeByte(int value) {
            target.put((byte) value);
        }

        @Override
        public void write(ByteBuffer bytes) {
            target.put(bytes);
        }
    }

    /** Writes through a stream in scratch-sized pieces. */
    private static final class StreamSink implements PacketWire.Sink {
        private final OutputStream target;
        private final byte[] scratch;
        private int filled;

        StreamSink(OutputStream target, byte[] scratch) {
            this.target = target;
            this.scratch = scratch;
        }

        @Override
        public void writeByte(int value) {
            if (filled == scratch.length) {
                flush();
            }
            scratch[filled++] = (byte) value;
        }

        @Override
        public void write(ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                if (filled == scratch.length) {
                    flush();
                }
                int count = Math.min(bytes.remaining(), scratch.length - filled);
                bytes.get(scratch, filled, count);
                filled += count;
            }
        }

        void flush() {
            try {
                target.write(scratch, 0, filled);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            filled = 0;
        }
    }

    /** Collects the wire bytes as pieces: framing bytes in one small array, the rest as views. */
    private static final class PieceSink implements PacketWire.Sink {
        private final List<ByteBuffer> pieces = new ArrayList<>();
        private byte[] framing;
        private int framingStart;
        private int framingEnd;

        PieceSink(long size) {
            this.framing = new byte[(int) Math.min(64, Math.max(16, size))];
        }

        @Override
        public void writeByte(int value) {
            if (framingEnd == framing.length) {
                closeFraming();
                framing = new byte[framing.length * 2];
                framingStart = 0;
                framingEnd = 0;
            }
            framing[framingEnd++] = (byte) value;
        }

        @Override
        public void write(ByteBuffer bytes) {
            closeFraming();
            if (bytes.hasRemaining()) {
                pieces.add(bytes);
            }
        }

        List<ByteBuffer> finish() {
            closeFraming();
            return pieces;
        }

        private void closeFraming() {
            if (framingEnd > framingStart) {
                pieces.add(ByteBuffer.wrap(framing, framingStart, framingEnd - framingStart));
                framingStart = framingEnd;
            }
        }
    }
}
