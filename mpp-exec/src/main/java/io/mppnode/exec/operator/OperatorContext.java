package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.ExecutionSummary;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What the operators of one executor run with: its executor id, its own child allocator (so that
 * its memory and leaks can be told apart), and the statistics of its execution summary.
 *
 * <p>One context may be shared by several operator instances of the same executor: the parallel
 * copies of a pipeline, or the build and probe halves of a join. Each instance holds a reference
 * ({@link #retain()}); {@link #close()} gives one back, and the last one closes the allocator.
 * The statistics are thread-safe, so instances on different drivers may record at once; the
 * summary's concurrency is the number of {@link #retain()} calls (1 when a single operator
 * simply owns the context).
 */
public final class OperatorContext implements AutoCloseable {
    private final String executorId;
    private final BufferAllocator allocator;
    private final AtomicInteger references = new AtomicInteger(1);
    private final AtomicInteger instances = new AtomicInteger();
    private final LongAdder wallNanos = new LongAdder();
    private final LongAdder producedRows = new LongAdder();
    private final LongAdder producedBatches = new LongAdder();

    /** Creates the operator's allocator as a child of {@code parent}; the last {@link #close()} closes it. */
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

    /**
     * Takes one more reference for another operator instance of this executor.
     *
     * @return this context
     * @throws IllegalStateException when every reference was already given back
     */
    public OperatorContext retain() {
        references.updateAndGet(count -> {
            if (count <= 0) {
                throw new IllegalStateException("the context of executor '" + executorId + "' is closed");
            }
            return count + 1;
        });
        instances.incrementAndGet();
        return this;
    }

    /**
     * Takes one more reference for an operator that works for this executor without being one
     * of its instances (a join's build half): it does not count in the summary's concurrency.
     */
    public OperatorContext share() {
        references.updateAndGet(count -> {
            if (count <= 0) {
                throw new IllegalStateException("the context of executor '" + executorId + "' is closed");
            }
            return count + 1;
        });
        return this;
    }

    public void addWallNanos(long nanos) {
        wallNanos.add(nanos);
    }

    public void recordOutput(int rows) {
        producedRows.add(rows);
        producedBatches.increment();
    }

    public long producedRows() {
        return producedRows.sum();
    }

    /** The summary so far; the wall time is summed over the instances. */
    public ExecutionSummary summary() {
        return ExecutionSummary.newBuilder()
                .setExecutorId(executorId)
                .setTimeProcessedNs(wallNanos.sum())
                .setNumProducedRows(producedRows.sum())
                .setNumIterations(producedBatches.sum())
                .setConcurrency(Math.max(1, instances.get()))
                .setPeakMemoryBytes(allocator.getPeakMemoryAllocation())
                .build();
    }

    /** Gives back one reference; the last closes the allocator (which fails on a leak). Idempotent once closed. */
    @Override
    public void close() {
        int left = references.updateAndGet(count -> Math.max(0, count - 1));
        if (left == 0) {
            allocator.close();
        }
    }
}
