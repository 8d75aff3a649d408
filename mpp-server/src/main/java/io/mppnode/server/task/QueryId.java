package io.mppnode.server.task;

import io.mppnode.proto.Mpp.TaskMeta;

/** A query across the cluster: {@code (query_ts, local_query_id, server_id, start_ts)} of its TaskMetas. */
public record QueryId(long queryTs, long localQueryId, long serverId, long startTs) {
    public static QueryId of(TaskMeta meta) {
        return new QueryId(meta.getQueryTs(), meta.getLocalQueryId(), meta.getServerId(), meta.getStartTs());
    }

    @Override
    public String toString() {
        return "query<query_ts=" + queryTs + ", local_query_id=" + localQueryId + ", server_id=" + serverId
                + ", start_ts=" + startTs + ">";
    }
}
