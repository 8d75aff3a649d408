package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.Mpp.TaskMeta;

/** One task of a gather; task id -1 is the coordinator, the root receiver. */
public record TaskId(GatherId gatherId, long taskId) {
    public static final long COORDINATOR_TASK_ID = -1;

    public TaskId {
        requireNonNull(gatherId, "gatherId is null");
    }

    public static TaskId of(TaskMeta meta) {
        return new TaskId(GatherId.of(meta), meta.getTaskId());
    }

    public QueryId queryId() {
        return gatherId.queryId();
    }

    @Override
    public String toString() {
        return "task " + taskId + " of " + gatherId;
    }
}
