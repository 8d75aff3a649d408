package io.mppnode.exchange.packet;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.mppnode.proto.Mpp;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * An {@code MPPDataPacket} as received, with each chunk as Arrow memory accounted to the
 * receiver's allocator: wrapped from the transport's buffers where the chunk was contiguous,
 * copied once where it was not. The packet owns the chunks; {@link #close()} releases them
 * (a batch decoded from a chunk holds its own reference and outlives the packet).
 */
public final class InboundPacket implements AutoCloseable {
    private final long version;
    private final List<ArrowBuf> chunks;
    private final long[] streamIds;
    private final ByteString data;
    private final Mpp.Error error;
    private final long wireSize;
    private boolean closed;

    /**
     * @param chunks taken over
     * @param error null for none
     * @param wireSize the packet's size on the wire
     */
    public InboundPacket(long version, List<ArrowBuf> chunks, long[] streamIds, ByteString data, Mpp.Error error, long wireSize) {
        this.version = version;
        this.chunks = List.copyOf(chunks);
        this.streamIds = streamIds.clone();
        this.data = requireNonNull(data, "data is null");
        this.error = error;
        this.wireSize = wireSize;
    }

    /** Copies a stock message's chunks into Arrow memory from {@code allocator}. */
    public static InboundPacket fromProto(MPPDataPacket packet, BufferAllocator allocator) {
        List<ArrowBuf> chunks = new ArrayList<>(packet.getChunksCount());
        try {
            for (ByteString chunk : packet.getChunksList()) {
                ArrowBuf buffer = allocator.buffer(chunk.size());
                chunks.add(buffer);
                for (var piece : chunk.asReadOnlyByteBufferList()) {
                    int length = piece.remaining();
                    buffer.setBytes(buffer.writerIndex(), piece);
                    buffer.writerIndex(buffer.writerIndex() + length);
                }
            }
        } catch (RuntimeException e) {
            chunks.forEach(ArrowBuf::close);
            throw e;
        }
        long[] ids = packet.getStreamIdsList().stream().mapToLong(Long::longValue).toArray();
        return new InboundPacket(packet.getVersion(), sliceToSize(chunks), ids, packet.getData(),
                packet.hasError() ? packet.getError() : null, packet.getSerializedSize());
    }

    /** Allocators round sizes up: give each chunk a capacity of exactly its length. */
    private static List<ArrowBuf> sliceToSize(List<ArrowBuf> buffers) {
        List<ArrowBuf> sized = new ArrayList<>(buffers.size());
        for (ArrowBuf buffer : buffers) {
            ArrowBuf slice = buffer.slice(0, buffer.writerIndex());
            slice.getReferenceManager().retain();
            buffer.close();
            sized.add(slice);
        }
        return sized;
    }

    public long version() {
        return version;
    }

    /** The chunks, each the whole of its buffer (capacity = length). Owned by the packet. */
    public List<ArrowBuf> chunks() {
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

    public long wireSize() {
        return wireSize;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            chunks.forEach(ArrowBuf::close);
        }
    }
}
