package io.mppnode.server.replication;

import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.replication.ReplicaStateResponse;
import java.util.concurrent.CompletableFuture;

/**
 * A node that replication writes to: this node's own binlog ({@link LocalTarget}) or a peer's
 * Pump service ({@link RemoteTarget}). Each entity is acknowledged once it is in the node's
 * binlog and applied; a refusal fails the future with the node's reason.
 */
interface ReplicaTarget extends AutoCloseable {
    /** host:port of the node. */
    String address();

    /** What the node's replica holds: its source position, waiting prewrites, binlog tables. */
    ReplicaStateResponse state();

    CompletableFuture<Void> write(BinlogEvent event);

    @Override
    default void close() {}
}
