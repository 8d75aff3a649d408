package io.mppnode.server.task;

/** The life of a task on this node. RUNNING is the only state that is not final. */
public enum TaskState {
    RUNNING,
    FINISHED,
    FAILED,
    CANCELLED;

    public boolean isDone() {
        return this != RUNNING;
    }
}
