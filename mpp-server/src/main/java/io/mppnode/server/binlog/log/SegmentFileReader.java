package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.LogRecordFormat.HEADER_BYTES;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.mppnode.server.binlog.log.LogRecordFormat.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Reads and checks the records of one segment file with positional reads through a reusable heap
 * buffer, so that small records cost one read per buffer-full, not one per record.
 *
 * <p>Every read is bounded by a {@code limit} the caller passes: the durable end for the active
 * segment, the length of a sealed one. Bytes below a durable end never change again (a failed
 * write is only ever cut back to the durable end), so what the buffer holds stays valid; bytes past
 * it may still be rewritten, so they are never read. Reads go through the buffer or, for payloads
 * larger than it, in buffer-sized pieces straight into the payload's array: the JDK copies heap
 * reads through a per-thread direct buffer as large as the read, which would otherwise grow to the
 * largest payload.
 *
 * <p>Not thread-safe. Does not close the channel: its opener does.
 */
final class SegmentFileReader {
    private final Segment segment;
    private final FileChannel channel;
    private final ByteBuffer buffer;
    /** The file offset of {@code buffer}'s byte 0; the buffer's limit is how many bytes it holds. */
    private long bufferStart;

    /** {@code buffer} is the caller's to reuse across segments; its content is discarded. */
    SegmentFileReader(Segment segment, FileChannel channel, ByteBuffer buffer) {
        this.segment = requireNonNull(segment, "segment is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.buffer = requireNonNull(buffer, "buffer is null");
        buffer.clear().limit(0);
    }

    Segment segment() {
        return segment;
    }

    /** The checked header of the record at {@code offset}, whose payload must also end by {@code limit}. */
    Header readHeader(long offset, long limit) throws IOException {
        long available = limit - offset;
        if (available < HEADER_BYTES) {
            throw corrupt(offset, "torn header: only " + available + " of its " + HEADER_BYTES
                    + " bytes are there before the end at offset " + limit);
        }
        int index = fill(offset, offset, HEADER_BYTES, limit);
        Header header = LogRecordFormat.decodeHeader(buffer, index, segment.path(), offset);
        if (header.payloadLength() > available - HEADER_BYTES) {
            throw corrupt(offset, "short payload: the header says " + header.payloadLength() + " bytes but only "
                    + (available - HEADER_BYTES) + " are there before the end at offset " + limit);
        }
        return header;
    }

    /** The payload of the record at {@code offset}, after checking it against its checksum. */
    ByteString readPayload(long offset, Header header, long limit) throws IOException {
        byte[] payload = new byte[header.payloadLength()];
        long start = offset + HEADER_BYTES;
        int copied = 0;
        while (copied < payload.length) {
            int remaining = payload.length - copied;
            long position = start + copied;
            if (holds(position, 1) || remaining < buffer.capacity()) {
                int index = fill(offset, position, Math.min(remaining, buffer.capacity()), limit);
                int count = Math.min(remaining, buffer.limit() - index);
                buffer.get(index, payload, copied, count);
                copied += count;
            } else {
                ByteBuffer piece = ByteBuffer.wrap(payload, copied, buffer.capacity());
                readFully(offset, piece, position);
                copied += buffer.capacity();
            }
        }
        int checksum = LogRecordFormat.checksum(payload);
        checkPayload(offset, header, checksum);
        // The array is never written again, so wrapping it shares nothing mutable.
        return UnsafeByteOperations.unsafeWrap(payload);
    }

    /** Checks the payload of the record at {@code offset} against its checksum without keeping it. */
    void verifyPayload(long offset, Header header, long limit) throws IOException {
        CRC32C crc = new CRC32C();
        long position = offset + HEADER_BYTES;
        long remaining = header.payloadLength();
        while (remaining > 0) {
            int count = (int) Math.min(remaining, buffer.capacity());
            int index = fill(offset, position, count, limit);
            crc.update(buffer.slice(index, count));
            position += count;
            remaining -= count;
        }
        checkPayload(offset, header, (int) crc.getValue());
    }

    private void checkPayload(long offset, Header header, int computed) throws CorruptRecordException {
        if (computed != header.payloadChecksum()) {
            throw corrupt(offset, String.format("payload checksum mismatch: stored 0x%08x, computed 0x%08x over %d bytes",
                    header.payloadChecksum(), computed, header.payloadLength()));
        }
    }

    private boolean holds(long position, int count) {
        return position >= bufferStart && position + count <= bufferStart + buffer.limit();
    }

    /**
     * Makes the buffer hold {@code count} bytes from {@code position}, part of the record at
     * {@code recordOffset}; returns their index in the buffer.
     */
    private int fill(long recordOffset, long position, int count, long limit) throws IOException {
        if (holds(position, count)) {
            return (int) (position - bufferStart);
        }
        buffer.clear().limit((int) Math.min(buffer.capacity(), limit - position));
        bufferStart = position;
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                break;
            }
        }
        buffer.flip();
        if (buffer.limit() < count) {
            long fileEnd = position + buffer.limit();
            buffer.limit(0);
            throw corrupt(recordOffset, "the file ends at offset " + fileEnd
                    + ", before the end of the records it should hold (offset " + limit + ")");
        }
        return 0;
    }

    private void readFully(long recordOffset, ByteBuffer target, long position) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int count = channel.read(target, at);
            if (count < 0) {
                throw corrupt(recordOffset, "the file ends at offset " + at + " inside the payload");
            }
            at += count;
        }
    }

    private CorruptRecordException corrupt(long offset, String problem) {
        return new CorruptRecordException(segment.path(), offset, problem);
    }
}
