package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exec.driver.PipelineExecution;
import io.mppnode.exec.planner.ExecutionContext;
import io.mppnode.exec.planner.LocalExecutionPlanner;
import io.mppnode.exec.planner.TaskPipelines;
import com.google.protobuf.ByteString;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.Plan;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dispatched task: its plan, its tunnels (one per receiver), its allocator, and the state
 * machine that runs it. The task's drivers ({@link LocalExecutionPlanner}) run on the worker
 * pool in time slices, several at once ({@link PipelineExecution}); a blocked driver (a full
 * tunnel, data not arrived yet) gives its thread back and resumes when unblocked. The state
 * machine itself runs serially, in {@link #run()}: an abort from another thread only records
 * the cause, aborts the tunnels and schedules the runner, which stops the drivers, waits until
 * none is running, and closes everything.
 *
 * <p>When the pipeline finishes, the task writes the execution summaries in a last packet
 * (unless they are reported out of band), ends its streams, and completes once every receiver
 * has taken everything. {@link #completion()} completes after all memory is released.
 */
final class MppTask {
    private static final Logger log = LoggerFactory.getLogger(MppTask.class);
    private static final long TIME_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final TaskId id;
    private final TaskMeta meta;
    private final Plan plan;
    private final Map<Long, Tunnel<?>> tunnelsByReceiver;
    private final BufferAllocator allocator;
    private final ExecutionContext executionContext;
    private final Executor workers;
    private final CompletableFuture<TaskOutcome> completion = new CompletableFuture<>();
    private final AtomicInteger pendingRuns = new AtomicInteger();

    private volatile MppException failure;
    private volatile TaskState abortState;

    // Touched only inside run(), which never runs twice at once.
    private TaskPipelines pipelines;
    private PipelineExecution execution;
    private boolean finishing;
    private ExecutionSummaries summaries;
    private final java.util.function.LongSupplier remoteBytesSent;

    MppTask(TaskId id, TaskMeta meta, Plan plan, Map<Long, Tunnel<?>> tunnelsByReceiver, BufferAllocator allocator,
            ExecutionContext executionContext, Executor workers, java.util.function.LongSupplier remoteBytesSent) {
        this.remoteBytesSent = requireNonNull(remoteBytesSent, "remoteBytesSent is null");
        this.id = requireNonNull(id, "id is null");
        this.meta = requireNonNull(meta, "meta is null");
        this.plan = requireNonNull(plan, "plan is null");
        this.tunnelsByReceiver = Map.copyOf(tunnelsByReceiver);
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.executionContext = requireNonNull(executionContext, "executionContext is null");
        this.workers = requireNonNull(workers, "workers is null");
    }

    TaskId id() {
        return id;
    }

    TaskMeta meta() {
        return meta;
    }

    /** The tunnel to the receiver with this task id, or null. */
    Tunnel<?> tunnel(long receiverTaskId) {
        return tunnelsByReceiver.get(receiverTaskId);
    }

    List<Tunnel<?>> tunnels() {
        return executionContext.tunnels();
    }

    TaskState state() {
        if (completion.isDone()) {
            return completion.join().state();
        }
        return TaskState.RUNNING;
    }

    /** Completes once the task ended and released everything. Never completes exceptionally. */
    CompletableFuture<TaskOutcome> completion() {
        return completion;
    }

    void start() {
        schedule();
    }

    /**
     * Stops the task with this cause: the tunnels send it to their receivers, the pipeline stops
     * and its memory returns. The first abort wins; later ones are ignored.
     */
    void abort(MppException cause, TaskState finalState) {
        synchronized (this) {
            if (failure != null || completion.isDone()) {
                return;
            }
            abortState = finalState;
            failure = cause;
        }
        for (Tunnel<?> tunnel : tunnels()) {
            tunnel.abort(cause);
        }
        schedule();
    }

    private void schedule() {
        if (pendingRuns.getAndIncrement() == 0) {
            try {
                workers.execute(this::run);
            } catch (RejectedExecutionException e) {
                // The pool is gone (the node is stopping): fail and clean up on this thread.
                MppException cause = new MppException(ErrorCode.NODE_SHUTTING_DOWN, "the node is shutting down");
                synchronized (this) {
                    if (failure == null) {
                        abortState = TaskState.FAILED;
                        failure = cause;
                    }
                }
                tunnels().forEach(tunnel -> tunnel.abort(cause));
                run();
            }
        }
    }

    private void run() {
        do {
            step();
        } while (pendingRuns.decrementAndGet() > 0);
    }

    private void step() {
        if (completion.isDone()) {
            return;
        }
        if (failure != null) {
            if (execution != null && !execution.quiet().isDone()) {
                execution.stop();
                execution.quiet().whenComplete((ignored, error) -> schedule());
                return;
            }
            release(abortState, failure);
            return;
        }
        try {
            if (!finishing) {
                if (pipelines == null) {
                    pipelines = new LocalExecutionPlanner().plan(plan, executionContext);
                    execution = new PipelineExecution(pipelines.drivers(), workers, TIME_SLICE_NANOS);
                    execution.done().whenComplete((ignored, error) -> {
                        if (error != null) {
                            abortOnFailure(error);
                        } else {
                            schedule();
                        }
                    });
                    execution.start();
                    return;
                }
                if (!execution.done().isDone()) {
                    return;
                }
                finishing = true;
                summaries = withExchangeBytes(pipelines.summaries());
                closePipelines();
                endStreams();
                CompletableFuture.allOf(tunnels().stream().map(Tunnel::done).toArray(CompletableFuture[]::new))
                        .whenComplete((ignored, error) -> schedule());
                return;
            }
            if (tunnels().stream().allMatch(tunnel -> tunnel.done().isDone())) {
                release(TaskState.FINISHED, null);
            }
        } catch (Throwable t) {
            abortOnFailure(t);
        }
    }

    private void abortOnFailure(Throwable t) {
        MppException cause = MppException.wrap(t);
        if (cause.code() == ErrorCode.INTERNAL_ERROR) {
            log.error("{} failed", id, t);
        }
        abort(cause, TaskState.FAILED);
    }

    private void endStreams() {
        boolean summariesInBand = !(meta.getReportExecutionSummary() && !meta.getCoordinatorAddress().isEmpty());
        for (Tunnel<?> tunnel : tunnels()) {
            if (summariesInBand) {
                writeData(tunnel, summaries.toByteString());
            }
            tunnel.finish();
        }
    }

    @SuppressWarnings("unchecked")
    private static void writeData(Tunnel<?> tunnel, ByteString data) {
        if (tunnel.isLocal()) {
            ((Tunnel<LocalPacket>) tunnel).write(LocalPacket.ofData(data));
        } else {
            ((Tunnel<OutboundPacket>) tunnel).write(OutboundPacket.ofData(PacketFormat.ARROW_IPC_V1, data));
        }
    }

    /** The summaries with the bytes sent so far on the root ExchangeSender's. */
    private ExecutionSummaries withExchangeBytes(ExecutionSummaries all) {
        ExecutionSummaries.Builder builder = all.toBuilder();
        String senderId = plan.getRoot().getExecutorId();
        for (int i = 0; i < builder.getSummariesCount(); i++) {
            if (builder.getSummaries(i).getExecutorId().equals(senderId)) {
                builder.setSummaries(i, builder.getSummaries(i).toBuilder().setExchangeBytesSent(remoteBytesSent.getAsLong()));
            }
        }
        return builder.build();
    }

    private void closePipelines() {
        if (pipelines != null) {
            TaskPipelines closing = pipelines;
            pipelines = null;
            if (summaries == null) {
                summaries = withExchangeBytes(closing.summaries());
            }
            closing.close();
        }
    }

    private void release(TaskState state, MppException error) {
        MppException leak = null;
        try {
            closePipelines();
        } catch (RuntimeException e) {
            log.error("{}: closing the pipeline failed", id, e);
        }
        try {
            allocator.close();
        } catch (RuntimeException e) {
            log.error("{}: memory was not released: {}", id, e.getMessage());
            leak = new MppException(ErrorCode.INTERNAL_ERROR, "memory was not released by " + id + ": " + e.getMessage(), e);
        }
        // The ended task stays referenced for a while (MppTaskManager's check that its receivers
        // connected is scheduled for the task timeout): let its drivers, operators and their heap
        // structures go now.
        execution = null;
        TaskState finalState = leak != null && state == TaskState.FINISHED ? TaskState.FAILED : state;
        MppException finalError = error != null ? error : leak;
        completion.complete(new TaskOutcome(finalState, Optional.ofNullable(finalError),
                summaries == null ? ExecutionSummaries.getDefaultInstance() : withExchangeBytes(summaries)));
    }
}
