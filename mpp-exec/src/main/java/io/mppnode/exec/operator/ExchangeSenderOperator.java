package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.Ownership;
import org.apache.arrow.memory.BufferAllocator;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The sink of a task: hands its input to the {@link ExchangeWriter}, which partitions, encodes
 * and writes to the tunnels. When a tunnel's buffer is full the operator is blocked on the
 * tunnel's future, not on a thread.
 *
 * <p>The execution summaries and the end of the streams are written by the task once the
 * whole pipeline has finished.
 */
public final class ExchangeSenderOperator implements Operator {
    private final OperatorContext context;
    private final ExchangeWriter writer;
    private final BufferAllocator taskAllocator;
    private CompletableFuture<Void> blocked = NOT_BLOCKED;
    private boolean finished;

    /**
     * @param writer owned by the operator from now on
     * @param taskAllocator where the batches move before they enter the tunnels: the tunnels may
     *     hold them after the pipeline (and its operators' allocators) closed, until the task ends
     */
    public ExchangeSenderOperator(OperatorContext context, ExchangeWriter writer, BufferAllocator taskAllocator) {
        this.context = requireNonNull(context, "context is null");
        this.writer = requireNonNull(writer, "writer is null");
        this.taskAllocator = requireNonNull(taskAllocator, "taskAllocator is null");
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
        blocked = writer.write(Ownership.moveTo(batch, taskAllocator));
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
        // The driver finishes a sink that may still wait for its last write: keep waiting for it.
        CompletableFuture<Void> lastWrite = blocked;
        CompletableFuture<Void> schemas = writer.finish();
        blocked = lastWrite.isDone() ? schemas : CompletableFuture.allOf(lastWrite, schemas);
    }

    @Override
    public boolean isFinished() {
        return finished && blocked.isDone();
    }

    @Override
    public void close() {
        finished = true;
        writer.close();
    }

    @Override
    public boolean countsInputAsOutput() {
        return true;
    }
}
