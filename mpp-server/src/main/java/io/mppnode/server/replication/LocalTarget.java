package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.replication.ReplicaStateResponse;
import io.mppnode.server.binlog.BinlogIngest;
import io.mppnode.server.binlog.BinlogReplica;
import java.util.concurrent.CompletableFuture;

/** This node's own binlog: entities go through {@link BinlogIngest} as WriteBinlog's do. */
final class LocalTarget implements ReplicaTarget {
    private final String address;
    private final BinlogIngest ingest;

    LocalTarget(String address, BinlogIngest ingest) {
        this.address = requireNonNull(address, "address is null");
        this.ingest = requireNonNull(ingest, "ingest is null");
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public ReplicaStateResponse state() {
        return stateOf(ingest.replica());
    }

    static ReplicaStateResponse stateOf(BinlogReplica replica) {
        ReplicaStateResponse.Builder state = ReplicaStateResponse.newBuilder()
                .setResolvedTs(replica.resolvedTs())
                .addAllWaitingPrewrites(replica.waitingPrewriteStartTs())
                .addAllTables(replica.replicatedTables());
        replica.sourcePosition().ifPresent(state::setSource);
        return state.build();
    }

    @Override
    public CompletableFuture<Void> write(BinlogEvent event) {
        return ingest.write(event).thenApply(position -> null);
    }
}
