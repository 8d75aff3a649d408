package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mppnode.proto.replication.ReplicaStateRequest;
import io.mppnode.proto.replication.ReplicaStateResponse;
import io.mppnode.proto.replication.ReplicationGrpc;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.proto.replication.ReplicationStatusRequest;
import io.mppnode.proto.replication.StopReplicationRequest;
import io.mppnode.server.config.ConfigException;

/** The Replication gRPC service (replication.proto): {@code mpp replicate} and peers talk to it. */
public final class ReplicationService extends ReplicationGrpc.ReplicationImplBase {
    private final ReplicationManager manager;

    public ReplicationService(ReplicationManager manager) {
        this.manager = requireNonNull(manager, "manager is null");
    }

    @Override
    public void start(ReplicationSpec request, StreamObserver<ReplicationStatus> response) {
        try {
            answer(response, manager.start(request));
        } catch (ConfigException | IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
    }

    @Override
    public void stop(StopReplicationRequest request, StreamObserver<ReplicationStatus> response) {
        try {
            answer(response, manager.stop());
        } catch (RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
    }

    @Override
    public void status(ReplicationStatusRequest request, StreamObserver<ReplicationStatus> response) {
        answer(response, manager.status());
    }

    @Override
    public void replicaState(ReplicaStateRequest request, StreamObserver<ReplicaStateResponse> response) {
        answer(response, manager.replicaState());
    }

    private static <T> void answer(StreamObserver<T> response, T value) {
        response.onNext(value);
        response.onCompleted();
    }
}
