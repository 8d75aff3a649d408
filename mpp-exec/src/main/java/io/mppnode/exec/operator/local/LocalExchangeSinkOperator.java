package io.mppnode.exec.operator.local;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/** The end of one parallel copy of a pipeline: hands its batches to a {@link LocalExchange}. */
public final class LocalExchangeSinkOperator implements Operator {
    private final OperatorContext context;
    private final LocalExchange exchange;
    private boolean finished;

    public LocalExchangeSinkOperator(OperatorContext context, LocalExchange exchange) {
        this.context = requireNonNull(context, "context is null");
        this.exchange = requireNonNull(exchange, "exchange is null");
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return finished ? NOT_BLOCKED : exchange.sinkBlocked();
    }

    @Override
    public boolean needsInput() {
        return !finished && exchange.acceptsInput();
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        if (finished) {
            batch.close();
            throw new IllegalStateException("local exchange sink of '" + context.executorId() + "' has finished");
        }
        exchange.add(batch);
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    @Override
    public void finish() {
        if (!finished) {
            finished = true;
            exchange.sinkFinished();
        }
    }

    @Override
    public boolean isFinished() {
        return finished || exchange.sourceClosed();
    }

    @Override
    public void close() {
        finish();
    }
}
