package io.mppnode.exec.operator;

import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A vectorized operator, driven by a {@link io.mppnode.exec.driver.Driver}: batches go in with
 * {@link #addInput} and come out of {@link #getOutput}. An operator never blocks a thread: when
 * it cannot make progress it returns an incomplete future from {@link #isBlocked()}. A source
 * never needs input; a sink never has output.
 *
 * <p>Ownership: {@code addInput} takes ownership of the batch; the batch returned by
 * {@code getOutput} belongs to the caller. Not thread-safe: a driver calls one method at a time.
 */
public interface Operator extends AutoCloseable {
    CompletableFuture<Void> NOT_BLOCKED = CompletableFuture.completedFuture(null);

    OperatorContext context();

    default CompletableFuture<Void> isBlocked() {
        return NOT_BLOCKED;
    }

    boolean needsInput();

    void addInput(VectorSchemaRoot batch);

    /** The next batch, or null when there is none now. */
    VectorSchemaRoot getOutput();

    /** No more input will come. */
    void finish();

    /** No more output will come and all work is done. */
    boolean isFinished();

    /**
     * Whether the rows this sink takes count as the rows its executor produces (an
     * ExchangeSender's summary counts what it sent); false for internal sinks such as a join's
     * build or a local exchange.
     */
    default boolean countsInputAsOutput() {
        return false;
    }

    /** Frees everything the operator holds; safe to call at any point, more than once. */
    @Override
    void close();
}
