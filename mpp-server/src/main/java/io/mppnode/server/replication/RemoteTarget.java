package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Channel;
import io.mppnode.proto.Binlog.WriteBinlogReq;
import io.mppnode.proto.Binlog.WriteBinlogResp;
import io.mppnode.proto.PumpGrpc;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.replication.ReplicaStateRequest;
import io.mppnode.proto.replication.ReplicaStateResponse;
import io.mppnode.proto.replication.ReplicationGrpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A peer node: entities go to its Pump service (WriteBinlog), its state comes from ReplicaState. */
final class RemoteTarget implements ReplicaTarget {
    private static final long DEADLINE_SECONDS = 120;

    private final String address;
    private final Channel channel;
    private final long clusterId;

    RemoteTarget(String address, Channel channel, long clusterId) {
        this.address = requireNonNull(address, "address is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.clusterId = clusterId;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public ReplicaStateResponse state() {
        return ReplicationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .replicaState(ReplicaStateRequest.getDefaultInstance());
    }

    @Override
    public CompletableFuture<Void> write(BinlogEvent event) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        WriteBinlogReq request = WriteBinlogReq.newBuilder().setClusterID(clusterId).setPayload(event.toByteString()).build();
        Futures.addCallback(PumpGrpc.newFutureStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).writeBinlog(request),
                new FutureCallback<WriteBinlogResp>() {
                    @Override
                    public void onSuccess(WriteBinlogResp response) {
                        if (response.getErrmsg().isEmpty()) {
                            result.complete(null);
                        } else {
                            result.completeExceptionally(new TargetRefusal(address, response.getErrmsg()));
                        }
                    }

                    @Override
                    public void onFailure(Throwable error) {
                        result.completeExceptionally(error);
                    }
                }, MoreExecutors.directExecutor());
        return result;
    }

    /** The node answered WriteBinlog with an errmsg. */
    static final class TargetRefusal extends RuntimeException {
        TargetRefusal(String address, String errmsg) {
            super("node " + address + " refused the entity: " + errmsg);
        }
    }
}
