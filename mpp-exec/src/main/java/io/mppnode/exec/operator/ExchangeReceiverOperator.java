package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ReceivedBatch;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A source that yields the batches its {@link ExchangeReceiver} gathers from the sending tasks.
 * While nothing is buffered it is blocked on the receiver's future, so waiting on the network
 * never holds a worker thread. The first error of any source fails the task through
 * {@link #getOutput()}.
 */
public final class ExchangeReceiverOperator implements Operator {
    private final OperatorContext context;
    private final ExchangeReceiver receiver;
    private boolean started;

    /** @param receiver not started yet; owned (and closed) by the operator */
    public ExchangeReceiverOperator(OperatorContext context, ExchangeReceiver receiver) {
        this.context = requireNonNull(context, "context is null");
        this.receiver = requireNonNull(receiver, "receiver is null");
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        start();
        CompletableFuture<Void> blocked = receiver.isBlocked();
        return blocked.isDone() ? NOT_BLOCKED : blocked;
    }

    @Override
    public boolean needsInput() {
        return false;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        throw new UnsupportedOperationException("an exchange receiver is a source");
    }

    @Override
    public VectorSchemaRoot getOutput() {
        start();
        ReceivedBatch received = receiver.poll();
        if (received == null) {
            return null;
        }
        return received.batch();
    }

    @Override
    public void finish() {}

    @Override
    public boolean isFinished() {
        return started && receiver.isFinished();
    }

    @Override
    public void close() {
        receiver.close();
    }

    private void start() {
        if (!started) {
            started = true;
            receiver.start();
        }
    }
}
