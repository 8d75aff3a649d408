package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.ExecutionSummary;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What an operator runs with: its executor id, its own child allocator (so that its memory and
 * leaks can be told apart), and the statistics of its execution summary. Not thread-safe: owned
 * by the driver that runs the operator.
 */
public final class OperatorContext implements AutoCloseable {
    private final String executorId;
    private final BufferAllocator allocator;
    private long wallNanos;
    private long producedRows;
    private long producedBatches;

    /** Creates the operator's allocator as a child of {@code parent}; {@link #close()} closes it. */
    public OperatorContext(String executorId, BufferAllocator parent) {
        this.executorId = requireNonNull(executorId, "executorId is null");
        this.allocator = parent.newChildAllocator("operator-" + executorId, 0, Long.MAX_VALUE);
    }

    public String executorId() {
        return executorId;
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    public void addWallNanos(long nanos) {
        wallNanos += nanos;
    }

    public void recordOutput(int rows) {
        producedRows += rows;
        producedBatches++;
    }

    public long producedRows() {
        return producedRows;
    }

    public ExecutionSummary summary() {
        return ExecutionSummary.newBuilder()
                .setExecutorId(executorId)
                .setTimeProcessedNs(wallNanos)
                .setNumProducedRows(producedRows)
                .setNumIterations(producedBatches)
                .setConcurrency(1)
                .setPeakMemoryBytes(allocator.getPeakMemoryAllocation())
                .build();
    }

    @Override
    public void close() {
        allocator.close();
    }
}
