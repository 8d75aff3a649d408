package io.mppnode.exec.driver;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.Operator;
import io.mppnode.proto.plan.ExecutionSummaries;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Moves batches through a chain of operators, source first, sink last, for a bounded time
 * slice at a time. When nothing can move it returns a future that completes when an operator
 * unblocks, so the caller can give the thread back and resume later.
 *
 * <p>Not thread-safe: one thread at a time calls {@link #process}. The driver owns its operators
 * and closes them, and their contexts, in {@link #close()}.
 */
public final class Driver implements AutoCloseable {
    private final List<Operator> operators;
    private boolean closed;

    public Driver(List<Operator> operators) {
        if (operators.size() < 2) {
            throw new IllegalArgumentException("a driver needs a source and a sink");
        }
        this.operators = List.copyOf(operators);
    }

    public boolean isFinished() {
        return closed || operators.getLast().isFinished();
    }

    /**
     * Runs until the sink finished, every operator is blocked, or {@code maxNanos} passed.
     *
     * @return a completed future when the driver may run again at once (or is finished), else
     *     a future that completes when it may make progress
     * @throws MppException when an operator fails; "memory limit exceeded" names the operator
     */
    public CompletableFuture<Void> process(long maxNanos) {
        long deadline = System.nanoTime() + maxNanos;
        do {
            CompletableFuture<Void> blocked = processOnce();
            if (!blocked.isDone()) {
                return blocked;
            }
        } while (!isFinished() && System.nanoTime() - deadline < 0);
        return Operator.NOT_BLOCKED;
    }

    private CompletableFuture<Void> processOnce() {
        boolean moved = false;
        for (int i = 0; i < operators.size() - 1 && !isFinished(); i++) {
            Operator current = operators.get(i);
            Operator next = operators.get(i + 1);
            if (!current.isBlocked().isDone()) {
                continue;
            }
            if (!current.isFinished() && next.isBlocked().isDone() && next.needsInput()) {
                VectorSchemaRoot batch = timed(current, current::getOutput);
                if (batch != null) {
                    current.context().recordOutput(batch.getRowCount());
                    if (next == operators.getLast() && next.countsInputAsOutput()) {
                        next.context().recordOutput(batch.getRowCount());
                    }
                    timed(next, () -> {
                        next.addInput(batch);
                        return null;
                    });
                    moved = true;
                }
            }
            if (current.isFinished()) {
                timed(next, () -> {
                    next.finish();
                    return null;
                });
            }
        }
        if (moved || isFinished()) {
            return Operator.NOT_BLOCKED;
        }
        List<CompletableFuture<Void>> blocked = new ArrayList<>();
        for (Operator operator : operators) {
            CompletableFuture<Void> future = operator.isBlocked();
            if (!future.isDone()) {
                blocked.add(future);
            }
        }
        if (blocked.isEmpty()) {
            return Operator.NOT_BLOCKED;
        }
        return CompletableFuture.anyOf(blocked.toArray(CompletableFuture[]::new)).thenApply(ignored -> null);
    }

    private <T> T timed(Operator operator, java.util.function.Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (OutOfMemoryException e) {
            throw new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor '"
                    + operator.context().executorId() + "': " + e.getMessage(), e);
        } finally {
            operator.context().addWallNanos(System.nanoTime() - start);
        }
    }

    /** The execution summary of every operator, sink first (the plan's root first). */
    public ExecutionSummaries summaries() {
        ExecutionSummaries.Builder summaries = ExecutionSummaries.newBuilder();
        for (Operator operator : operators.reversed()) {
            summaries.addSummaries(operator.context().summary());
        }
        return summaries.build();
    }

    /** Closes every operator and its context, sink first; safe to call more than once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (Operator operator : operators.reversed()) {
            try {
                try {
                    operator.close();
                } finally {
                    operator.context().close();
                }
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
