package io.mppnode.exchange.packet;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.tunnel.TunnelPacket;
import io.mppnode.proto.Mpp;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@code MPPDataPacket} on its way out, holding its chunks as {@link EncodedChunk}s (Arrow
 * memory) instead of bytes. Its wire form is plain protobuf, field for field what the stock
 * encoder writes for the same values: the zero-copy marshaller writes it by hand, and
 * {@link #toProto()} gives the stock message (a heap copy, for tests and logs).
 *
 * <p>The packet owns one reference to each chunk; {@link #close()} (idempotent) releases them.
 * Whoever holds the packet closes it: a tunnel once the transport took it, the marshaller once
 * it is written.
 */
public final class OutboundPacket implements TunnelPacket {
    static final int DATA_FIELD = 1;
    static final int ERROR_FIELD = 2;
    static final int CHUNKS_FIELD = 3;
    static final int STREAM_IDS_FIELD = 4;
    static final int VERSION_FIELD = 5;

    private final long version;
    private final List<EncodedChunk> chunks;
    private final long[] streamIds;
    private final ByteString data;
    private final Mpp.Error error;
    private final int streamIdsSize;
    private final long serializedSize;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param chunks taken over: the packet owns one reference to each
     * @param streamIds empty, or one per chunk
     * @param error null for none
     */
    public OutboundPacket(long version, List<EncodedChunk> chunks, long[] streamIds, ByteString data, Mpp.Error error) {
        this.version = version;
        this.chunks = List.copyOf(chunks);
        this.streamIds = streamIds.clone();
        this.data = requireNonNull(data, "data is null");
        this.error = error;
        int ids = 0;
        for (long id : this.streamIds) {
            ids += CodedOutputStream.computeUInt64SizeNoTag(id);
        }
        this.streamIdsSize = ids;
        long size = 0;
        if (!data.isEmpty()) {
            size += CodedOutputStream.computeBytesSize(DATA_FIELD, data);
        }
        if (error != null) {
            size += CodedOutputStream.computeMessageSize(ERROR_FIELD, error);
        }
        for (EncodedChunk chunk : this.chunks) {
            size += CodedOutputStream.computeTagSize(CHUNKS_FIELD) + CodedOutputStream.computeUInt64SizeNoTag(chunk.size()) + chunk.size();
        }
        if (this.streamIds.length > 0) {
            size += CodedOutputStream.computeTagSize(STREAM_IDS_FIELD) + CodedOutputStream.computeUInt32SizeNoTag(ids) + ids;
        }
        if (version != 0) {
            size += CodedOutputStream.computeInt64Size(VERSION_FIELD, version);
        }
        this.serializedSize = size;
    }

    public static OutboundPacket ofChunks(long version, List<EncodedChunk> chunks, long[] streamIds) {
        return new OutboundPacket(version, chunks, streamIds, ByteString.EMPTY, null);
    }

    public static OutboundPacket ofData(long version, ByteString data) {
        return new OutboundPacket(version, List.of(), new long[0], data, null);
    }

    public static OutboundPacket ofError(Mpp.Error error) {
        return new OutboundPacket(0, List.of(), new long[0], ByteString.EMPTY, requireNonNull(error, "error is null"));
    }

    public long version() {
        return version;
    }

    public List<EncodedChunk> chunks() {
        return chunks;
    }

    public int streamIdCount() {
        return streamIds.length;
    }

    public long streamId(int index) {
        return streamIds[index];
    }

    public ByteString data() {
        return data;
    }

    /** The error, or null. */
    public Mpp.Error error() {
        return error;
    }

    /** Bytes of the packed stream_ids payload (without tag and length). */
    int streamIdsPayloadSize() {
        return streamIdsSize;
    }

    /** The protobuf wire size of the packet. */
    public long serializedSize() {
        return serializedSize;
    }

    @Override
    public long sizeBytes() {
        return serializedSize;
    }

    /** The total of the chunks' sizes. */
    public long chunkBytes() {
        long total = 0;
        for (EncodedChunk chunk : chunks) {
            total += chunk.size();
        }
        return total;
    }

    /** The stock message with the same content (copies every chunk into the heap). */
    public MPPDataPacket toProto() {
        MPPDataPacket.Builder builder = MPPDataPacket.newBuilder().setVersion(version).setData(data);
        if (error != null) {
            builder.setError(error);
        }
        for (EncodedChunk chunk : chunks) {
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(chunk.size()));
            chunk.copyTo(bytes);
            builder.addChunks(ByteString.copyFrom(bytes.flip()));
        }
        for (long id : streamIds) {
            builder.addStreamIds(id);
        }
        return builder.build();
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Releases the chunks. Idempotent and thread-safe. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (EncodedChunk chunk : chunks) {
                chunk.release();
            }
        }
    }
}
