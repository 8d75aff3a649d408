package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.Mpp.TaskMeta;

/** One gather of a query: the unit of cancel. */
public record GatherId(QueryId queryId, long gatherId) {
    public GatherId {
        requireNonNull(queryId, "queryId is null");
    }

    public static GatherId of(TaskMeta meta) {
        return new GatherId(QueryId.of(meta), meta.getGatherId());
    }

    @Override
    public String toString() {
        return "gather " + gatherId + " of " + queryId;
    }
}
