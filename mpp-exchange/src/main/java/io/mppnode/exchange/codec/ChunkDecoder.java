package io.mppnode.exchange.codec;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Decodes the chunks of one stream: the first is the schema, every later one a record batch.
 * A chunk is Arrow memory (wrapped from the transport's buffers or copied once); an
 * uncompressed batch's vectors are slices of it (no copy), a compressed one is decompressed
 * into the decoder's allocator. Not thread-safe: one decoder per stream.
 *
 * <p>Every length in the chunk is checked against the chunk before anything is allocated, so a
 * corrupt chunk fails with a message naming the source and never makes Arrow allocate what the
 * chunk claims.
 */
public final class ChunkDecoder {
    private static final int CONTINUATION_TOKEN = 0xFFFFFFFF;

    private final BufferAllocator allocator;
    private final String source;
    private Schema schema;
    private Compression lastCompression = Compression.NONE;

    /** @param source names the sending side in error messages */
    public ChunkDecoder(BufferAllocator allocator, String source) {
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.source = requireNonNull(source, "source is null");
    }

    /** The body compression of the last batch decoded. */
    public Compression lastCompression() {
        return lastCompression;
    }

    /** The stream's schema, or null before the schema chunk arrived. */
    public Schema schema() {
        return schema;
    }

    /**
     * Decodes one chunk: the whole of {@code chunk} (its capacity). Returns null for the schema chunk, else the batch, which the caller owns
     * and closes. The chunk stays the caller's: the batch holds its own references to it.
     *
     * @throws MppException naming the source when the chunk is not an Arrow IPC message of the
     *     expected kind
     */
    public VectorSchemaRoot decode(ArrowBuf chunk) {
        requireNonNull(chunk, "chunk is null");
        long size = chunk.capacity();
        long start = 0;
        if (size == 0) {
            throw corrupt("empty chunk");
        }
        if (size < 8) {
            throw corrupt("a chunk of " + size + " bytes is too short for an Arrow IPC message");
        }
        int prefix = 4;
        int metadataLength = chunk.getInt(start);
        if (metadataLength == CONTINUATION_TOKEN) {
            metadataLength = chunk.getInt(start + 4);
            prefix = 8;
        }
        long available = size - prefix;
        if (metadataLength <= 0 || metadataLength > available) {
            throw corrupt("the message claims " + Integer.toUnsignedString(metadataLength)
                    + " bytes of metadata but the chunk has " + available + " after the length prefix");
        }
        Message message;
        try {
            ByteBuffer metadata = chunk.nioBuffer(start + prefix, metadataLength).order(ByteOrder.LITTLE_ENDIAN);
            message = Message.getRootAsMessage(metadata);
        } catch (RuntimeException e) {
            throw corrupt("not a valid Arrow IPC message (" + e + ")");
        }
        long bodyOffset = prefix + (long) metadataLength;
        long bodyLength;
        byte header;
        try {
            bodyLength = message.bodyLength();
            header = message.headerType();
        } catch (RuntimeException e) {
            throw corrupt("not a valid Arrow IPC message (" + e + ")");
        }
        if (bodyLength < 0 || bodyLength > size - bodyOffset) {
            throw corrupt("the message claims a body of " + bodyLength + " bytes but the chunk has " + (size - bodyOffset));
        }
        try {
            if (header == MessageHeader.Schema) {
                if (schema != null) {
                    throw corrupt("a second schema message in one stream");
                }
                schema = MessageSerializer.deserializeSchema(message);
                return null;
            }
            if (header != MessageHeader.RecordBatch) {
                throw corrupt("unexpected Arrow IPC message type " + headerName(header));
            }
            if (schema == null) {
                throw corrupt("a record batch arrived before the schema");
            }
            checkBuffersWithinBody(message, bodyLength);
            ArrowBuf body = chunk.slice(start + bodyOffset, bodyLength);
            // deserializeRecordBatch releases the body it is given (once it made the record
            // batch), so it gets a reference of its own: the chunk stays the caller's.
            body.getReferenceManager().retain();
            ArrowRecordBatch deserialized;
            try {
                deserialized = MessageSerializer.deserializeRecordBatch(message, body);
            } catch (IOException | RuntimeException e) {
                body.getReferenceManager().release();
                throw e;
            }
            // The record batch takes its own references to slices of the body; the loaded
            // vectors take theirs, so closing the record batch leaves the batch alive.
            try (ArrowRecordBatch recordBatch = deserialized) {
                lastCompression = switch (recordBatch.getBodyCompression().getCodec()) {
                    case org.apache.arrow.flatbuf.CompressionType.LZ4_FRAME -> Compression.LZ4_FRAME;
                    case org.apache.arrow.flatbuf.CompressionType.ZSTD -> Compression.ZSTD;
                    default -> Compression.NONE;
                };
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                try {
                    new VectorLoader(root, ExchangeCodecs.INSTANCE).load(recordBatch);
                } catch (RuntimeException e) {
                    root.close();
                    throw e;
                }
                return root;
            }
        } catch (MppException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt("not a valid Arrow IPC message (" + e.getMessage() + ")");
        }
    }

    private void checkBuffersWithinBody(Message message, long bodyLength) {
        RecordBatch header = (RecordBatch) message.header(new RecordBatch());
        if (header == null) {
            throw corrupt("a record batch message without its header");
        }
        Buffer buffer = new Buffer();
        for (int i = 0; i < header.buffersLength(); i++) {
            header.buffers(buffer, i);
            if (buffer.offset() < 0 || buffer.length() < 0 || buffer.offset() + buffer.length() > bodyLength) {
                throw corrupt("a buffer at offset " + buffer.offset() + " of " + buffer.length()
                        + " bytes lies outside the body of " + bodyLength + " bytes");
            }
        }
    }

    private static String headerName(byte header) {
        return header >= 0 && header < MessageHeader.names.length ? MessageHeader.name(header) : "#" + header;
    }

    private MppException corrupt(String problem) {
        return new MppException(ErrorCode.REMOTE_TASK_FAILED, "bad data packet from " + source + ": " + problem);
    }
}
