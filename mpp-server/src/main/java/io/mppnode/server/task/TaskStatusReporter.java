package io.mppnode.server.task;

import io.mppnode.proto.Mpp.ReportTaskStatusRequest;

/** Sends a task's final status to its coordinator. Never blocks; failures are the reporter's to log. */
public interface TaskStatusReporter {
    TaskStatusReporter NONE = (address, request) -> {};

    void report(String coordinatorAddress, ReportTaskStatusRequest request);
}
