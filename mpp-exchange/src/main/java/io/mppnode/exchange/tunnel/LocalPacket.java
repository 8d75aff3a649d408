package io.mppnode.exchange.tunnel;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.mppnode.error.MppException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A packet of a local tunnel (sender and receiver on the same node): a batch moved by
 * ownership (no encoding, no copy) with its stream id, or the stream's trailing data (execution
 * summaries), or an error. The packet owns its batch until the receiver takes it.
 */
public final class LocalPacket implements TunnelPacket {
    private VectorSchemaRoot batch;
    private final long streamId;
    private final ByteString data;
    private final MppException error;
    private final long sizeBytes;

    private LocalPacket(VectorSchemaRoot batch, long streamId, ByteString data, MppException error) {
        this.batch = batch;
        this.streamId = streamId;
        this.data = data;
        this.error = error;
        long size = data == null ? 0 : data.size();
        if (batch != null) {
            for (FieldVector vector : batch.getFieldVectors()) {
                size += vector.getBufferSize();
            }
        }
        this.sizeBytes = size;
    }

    /** @param batch taken over */
    public static LocalPacket ofBatch(VectorSchemaRoot batch, long streamId) {
        return new LocalPacket(requireNonNull(batch, "batch is null"), streamId, null, null);
    }

    public static LocalPacket ofData(ByteString data) {
        return new LocalPacket(null, 0, requireNonNull(data, "data is null"), null);
    }

    public static LocalPacket ofError(MppException error) {
        return new LocalPacket(null, 0, null, requireNonNull(error, "error is null"));
    }

    /** Hands the batch over to the caller (null if none, or already taken). */
    public VectorSchemaRoot takeBatch() {
        VectorSchemaRoot taken = batch;
        batch = null;
        return taken;
    }

    public long streamId() {
        return streamId;
    }

    /** The trailing data, or null. */
    public ByteString data() {
        return data;
    }

    /** The error, or null. */
    public MppException error() {
        return error;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void close() {
        VectorSchemaRoot left = takeBatch();
        if (left != null) {
            left.close();
        }
    }
}
