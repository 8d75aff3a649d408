package io.mppnode.exec.operator.local;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/** The start of the pipeline that continues after a {@link LocalExchange}: yields the merged batches. */
public final class LocalExchangeSourceOperator implements Operator {
    private final OperatorContext context;
    private final LocalExchange exchange;
    private boolean closed;

    public LocalExchangeSourceOperator(OperatorContext context, LocalExchange exchange) {
        this.context = requireNonNull(context, "context is null");
        this.exchange = requireNonNull(exchange, "exchange is null");
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return closed ? NOT_BLOCKED : exchange.sourceBlocked();
    }

    @Override
    public boolean needsInput() {
        return false;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        batch.close();
        throw new IllegalStateException("a local exchange source takes no input");
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return closed ? null : exchange.poll();
    }

    @Override
    public void finish() {}

    @Override
    public boolean isFinished() {
        return closed || exchange.isFinished();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            exchange.closeSource();
        }
    }
}
