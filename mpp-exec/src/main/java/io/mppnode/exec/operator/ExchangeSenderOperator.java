package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The sink of a task: encodes its input as Arrow IPC chunks and writes them to the tunnel of
 * its receiver (pass-through). The first packet carries the schema chunk; a stream with no rows
 * still carries the schema, so the receiver knows the columns. When the tunnel's buffer is full
 * the operator is blocked on the tunnel's future, not on a thread.
 *
 * <p>The execution summaries and the end of the stream are written by the task once the whole
 * pipeline has finished.
 */
public final class ExchangeSenderOperator implements Operator {
    private final OperatorContext context;
    private final Tunnel tunnel;
    private final Schema schema;
    private final ChunkEncoder encoder = new ChunkEncoder();
    private CompletableFuture<Void> blocked = NOT_BLOCKED;
    private boolean schemaSent;
    private boolean finished;

    public ExchangeSenderOperator(OperatorContext context, Tunnel tunnel, Schema schema) {
        this.context = requireNonNull(context, "context is null");
        this.tunnel = requireNonNull(tunnel, "tunnel is null");
        this.schema = requireNonNull(schema, "schema is null");
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return blocked.isDone() ? NOT_BLOCKED : blocked;
    }

    @Override
    public boolean needsInput() {
        return !finished && blocked.isDone();
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        MPPDataPacket.Builder packet = newPacket();
        try {
            packet.addChunks(encoder.encodeBatch(batch));
        } finally {
            batch.close();
        }
        blocked = tunnel.write(packet.build());
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    @Override
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (!schemaSent) {
            blocked = tunnel.write(newPacket().build());
        }
    }

    @Override
    public boolean isFinished() {
        return finished && blocked.isDone();
    }

    @Override
    public void close() {
        finished = true;
    }

    private MPPDataPacket.Builder newPacket() {
        MPPDataPacket.Builder packet = MPPDataPacket.newBuilder().setVersion(PacketFormat.ARROW_IPC_V1);
        if (!schemaSent) {
            packet.addChunks(encoder.encodeSchema(schema));
            schemaSent = true;
        }
        return packet;
    }
}
