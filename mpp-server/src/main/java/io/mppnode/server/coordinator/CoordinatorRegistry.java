package io.mppnode.server.coordinator;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.server.task.MppVersions;
import io.mppnode.server.task.QueryId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The queries coordinated by this process, so that the node's own Tikv service can take their
 * {@code ReportMPPTaskStatus} calls. Thread-safe.
 */
public final class CoordinatorRegistry {
    private final Map<QueryId, Consumer<ReportTaskStatusRequest>> queries = new ConcurrentHashMap<>();

    void register(QueryId query, Consumer<ReportTaskStatusRequest> listener) {
        if (queries.putIfAbsent(query, listener) != null) {
            throw new IllegalStateException(query + " is already coordinated here");
        }
    }

    void unregister(QueryId query) {
        queries.remove(query);
    }

    public int size() {
        return queries.size();
    }

    /** Hands a report to its query; a report for a query not coordinated here is answered with an error naming it. */
    public ReportTaskStatusResponse report(ReportTaskStatusRequest request) {
        QueryId query = QueryId.of(request.getMeta());
        Consumer<ReportTaskStatusRequest> listener = queries.get(query);
        if (listener == null) {
            return ReportTaskStatusResponse.newBuilder().setError(new MppException(ErrorCode.QUERY_NOT_FOUND,
                    "no query " + query + " is coordinated here").toWire(MppVersions.CURRENT)).build();
        }
        listener.accept(request);
        return ReportTaskStatusResponse.getDefaultInstance();
    }
}
