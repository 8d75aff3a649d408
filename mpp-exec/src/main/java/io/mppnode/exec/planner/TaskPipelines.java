package io.mppnode.exec.planner;

import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.proto.plan.ExecutionSummaries;
import java.util.List;

/**
 * What a task runs: its drivers (every parallel copy of every pipeline), the context of each
 * plan executor (for the execution summaries, root first in plan order), and what the drivers
 * share and must be freed last (join bridges). The drivers close their operators and give back
 * their context references; {@link #close()} closes whatever is still open.
 */
public final class TaskPipelines implements AutoCloseable {
    private final List<Driver> drivers;
    private final List<OperatorContext> executorContexts;
    private final List<AutoCloseable> shared;

    TaskPipelines(List<Driver> drivers, List<OperatorContext> executorContexts, List<AutoCloseable> shared) {
        this.drivers = List.copyOf(drivers);
        this.executorContexts = List.copyOf(executorContexts);
        this.shared = List.copyOf(shared);
    }

    public List<Driver> drivers() {
        return drivers;
    }

    /** One summary per plan executor, root first, in plan order; the concurrency is its operator instances. */
    public ExecutionSummaries summaries() {
        ExecutionSummaries.Builder summaries = ExecutionSummaries.newBuilder();
        for (OperatorContext context : executorContexts) {
            summaries.addSummaries(context.summary());
        }
        return summaries.build();
    }

    /** Closes every driver not closed yet, then what they shared; the first failure is thrown. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (Driver driver : drivers) {
            try {
                driver.close();
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        for (AutoCloseable resource : shared) {
            try {
                resource.close();
            } catch (Exception e) {
                failure = add(failure, e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e));
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException add(RuntimeException failure, RuntimeException e) {
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }
}
