package io.mppnode.exchange.codec;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Encodes a schema and record batches as Arrow IPC encapsulated messages, one chunk each.
 * Stateless and thread-safe. It reads the given batches and never closes them: the caller
 * keeps ownership.
 */
public final class ChunkEncoder {
    private static final IpcOption IPC_OPTION = IpcOption.DEFAULT;

    public ByteString encodeSchema(Schema schema) {
        ByteString.Output out = ByteString.newOutput();
        try {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema, IPC_OPTION);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteString();
    }

    public ByteString encodeBatch(VectorSchemaRoot batch) {
        ByteString.Output out = ByteString.newOutput();
        try (ArrowRecordBatch recordBatch = new VectorUnloader(batch).getRecordBatch()) {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), recordBatch, IPC_OPTION);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteString();
    }
}
