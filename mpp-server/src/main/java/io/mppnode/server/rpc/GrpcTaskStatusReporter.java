package io.mppnode.server.rpc;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.server.task.TaskStatusReporter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls {@code ReportMPPTaskStatus} on the coordinator with a short deadline; a failure is logged, never fatal. */
public final class GrpcTaskStatusReporter implements TaskStatusReporter {
    private static final Logger log = LoggerFactory.getLogger(GrpcTaskStatusReporter.class);

    private final ChannelPool channels;
    private final Duration deadline;

    public GrpcTaskStatusReporter(ChannelPool channels, Duration deadline) {
        this.channels = requireNonNull(channels, "channels is null");
        this.deadline = requireNonNull(deadline, "deadline is null");
    }

    @Override
    public void report(String coordinatorAddress, ReportTaskStatusRequest request) {
        long taskId = request.getMeta().getTaskId();
        try {
            var call = TikvGrpc.newFutureStub(channels.channel(coordinatorAddress))
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .reportMPPTaskStatus(request);
            Futures.addCallback(call, new FutureCallback<>() {
                @Override
                public void onSuccess(ReportTaskStatusResponse response) {
                    if (response.hasError()) {
                        log.warn("coordinator {} refused the status of task {}: {}", coordinatorAddress, taskId, response.getError().getMsg());
                    }
                }

                @Override
                public void onFailure(Throwable failure) {
                    log.warn("could not report the status of task {} to coordinator {}: {}", taskId, coordinatorAddress, failure.getMessage());
                }
            }, MoreExecutors.directExecutor());
        } catch (RuntimeException e) {
            log.warn("could not report the status of task {} to coordinator {}: {}", taskId, coordinatorAddress, e.getMessage());
        }
    }
}
