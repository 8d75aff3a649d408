package io.mppnode.exchange.codec;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowBuffer;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Encodes a schema and record batches as Arrow IPC encapsulated messages, one
 * {@link EncodedChunk} each, laid out byte for byte as Arrow's own {@code MessageSerializer}
 * writes them (continuation token, metadata length, metadata padded to 8, body buffers at their
 * 8-aligned offsets), so the chunks of a stream concatenated are an Arrow IPC stream. With
 * compression, each body buffer is compressed on its own (Arrow IPC body compression).
 *
 * <p>The body is not copied: the chunk references the batch's buffers (uncompressed) or the
 * compressed buffers, allocated from the batch's allocator. The encoder never closes the given
 * batch: the caller keeps it, and may close it at once; the chunk holds its own references.
 * Thread-safe.
 */
public final class ChunkEncoder {
    private static final int CONTINUATION_TOKEN = 0xFFFFFFFF;

    private final Compression compression;

    public ChunkEncoder(Compression compression) {
        this.compression = requireNonNull(compression, "compression is null");
    }

    public Compression compression() {
        return compression;
    }

    public EncodedChunk encodeSchema(Schema schema) {
        ByteBuffer metadata = MessageSerializer.serializeMetadata(schema, IpcOption.DEFAULT);
        return new EncodedChunk(new ByteBuffer[] {prefix(metadata)}, List.of(), null);
    }

    /** Encodes one batch (which may have no rows). The caller still owns {@code batch}. */
    public EncodedChunk encodeBatch(VectorSchemaRoot batch) {
        CompressionCodec codec = ExchangeCodecs.codec(compression);
        ArrowRecordBatch recordBatch = new VectorUnloader(batch, true, codec, true).getRecordBatch();
        try {
            ByteBuffer metadata = MessageSerializer.serializeMetadata(recordBatch, IpcOption.DEFAULT);
            List<ArrowBuf> buffers = recordBatch.getBuffers();
            List<ArrowBuffer> layout = recordBatch.getBuffersLayout();
            List<ByteBuffer> segments = new ArrayList<>(2 * buffers.size() + 2);
            segments.add(prefix(metadata));
            long position = 0;
            for (int i = 0; i < buffers.size(); i++) {
                ArrowBuffer place = layout.get(i);
                position = pad(segments, position, place.getOffset());
                if (place.getSize() > 0) {
                    segments.add(buffers.get(i).nioBuffer(0, Math.toIntExact(place.getSize())).asReadOnlyBuffer());
                }
                position += place.getSize();
            }
            pad(segments, position, recordBatch.computeBodyLength());
            return new EncodedChunk(segments.toArray(ByteBuffer[]::new), buffers, recordBatch);
        } catch (RuntimeException e) {
            recordBatch.close();
            throw e;
        }
    }

    private static long pad(List<ByteBuffer> segments, long position, long target) {
        if (target < position || target - position >= 64) {
            throw new IllegalStateException("unexpected Arrow buffer layout: at " + position + ", next buffer at " + target);
        }
        if (target > position) {
            segments.add(EncodedChunk.zeros((int) (target - position)));
        }
        return target;
    }

    /** Continuation token, metadata length and the metadata, padded to a multiple of 8 bytes. */
    private static ByteBuffer prefix(ByteBuffer metadata) {
        int metadataLength = metadata.remaining();
        int padded = (metadataLength + 8 + 7) / 8 * 8 - 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putInt(CONTINUATION_TOKEN).putInt(padded).put(metadata);
        return prefix.position(0).asReadOnlyBuffer();
    }
}
