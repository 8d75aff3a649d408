package io.mppnode.exchange.codec;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.io.IOException;
import java.nio.channels.Channels;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageChannelReader;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.vector.ipc.message.MessageResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Decodes the chunks of one stream: the first is the schema, every later one a record batch.
 * Not thread-safe: one decoder per stream. Batches are allocated from the allocator given to
 * the constructor and returned to the caller, who closes them.
 */
public final class ChunkDecoder {
    private static final int CONTINUATION_TOKEN = 0xFFFFFFFF;

    private final BufferAllocator allocator;
    private final String source;
    private Schema schema;

    /** @param source names the sending side in error messages */
    public ChunkDecoder(BufferAllocator allocator, String source) {
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.source = requireNonNull(source, "source is null");
    }

    /** The stream's schema, or null before the schema chunk arrived. */
    public Schema schema() {
        return schema;
    }

    /**
     * Decodes one chunk. Returns null for the schema chunk, else the batch, which the caller owns.
     *
     * @throws MppException naming the source when the chunk is not an Arrow IPC message of the
     *     expected kind
     */
    public VectorSchemaRoot decode(ByteString chunk) {
        checkMetadataLength(chunk);
        try (MessageChannelReader reader = new MessageChannelReader(
                new ReadChannel(Channels.newChannel(chunk.newInput())), allocator)) {
            MessageResult message = reader.readNext();
            if (message == null) {
                throw corrupt("empty chunk");
            }
            byte header = message.getMessage().headerType();
            if (header == MessageHeader.Schema) {
                if (schema != null) {
                    throw corrupt("a second schema message in one stream");
                }
                schema = MessageSerializer.deserializeSchema(message.getMessage());
                closeQuietly(message.getBodyBuffer());
                return null;
            }
            if (header != MessageHeader.RecordBatch) {
                closeQuietly(message.getBodyBuffer());
                throw corrupt("unexpected Arrow IPC message type " + MessageHeader.name(header));
            }
            if (schema == null) {
                closeQuietly(message.getBodyBuffer());
                throw corrupt("a record batch arrived before the schema");
            }
            ArrowBuf body = message.getBodyBuffer() == null ? allocator.getEmpty() : message.getBodyBuffer();
            // deserializeRecordBatch takes over the body's reference; the batch holds slices of it.
            try (ArrowRecordBatch recordBatch = MessageSerializer.deserializeRecordBatch(message.getMessage(), body)) {
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                try {
                    new VectorLoader(root).load(recordBatch);
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

    /**
     * Arrow allocates a heap buffer of the size the length prefix claims before it reads the
     * metadata, so a corrupt prefix could ask for up to 2 GiB of heap (or fail with an
     * OutOfMemoryError): refuse a prefix that claims more bytes than the chunk holds. A prefix
     * cut short is left to Arrow, which refuses it by itself.
     */
    private void checkMetadataLength(ByteString chunk) {
        int offset = chunk.size() >= 4 && littleEndianInt(chunk, 0) == CONTINUATION_TOKEN ? 4 : 0;
        if (chunk.size() < offset + 4) {
            return;
        }
        int length = littleEndianInt(chunk, offset);
        int available = chunk.size() - offset - 4;
        if (length < 0 || length > available) {
            throw corrupt("the message claims " + Integer.toUnsignedString(length) + " bytes of metadata but the chunk has "
                    + available + " after the length prefix");
        }
    }

    private static int littleEndianInt(ByteString bytes, int offset) {
        return (bytes.byteAt(offset) & 0xff)
                | (bytes.byteAt(offset + 1) & 0xff) << 8
                | (bytes.byteAt(offset + 2) & 0xff) << 16
                | (bytes.byteAt(offset + 3) & 0xff) << 24;
    }

    private MppException corrupt(String problem) {
        return new MppException(ErrorCode.REMOTE_TASK_FAILED, "bad data packet from " + source + ": " + problem);
    }

    private static void closeQuietly(ArrowBuf buffer) {
        if (buffer != null) {
            buffer.close();
        }
    }
}
