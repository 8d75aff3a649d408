package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mppnode.proto.Binlog.PullBinlogReq;
import io.mppnode.proto.Binlog.PullBinlogResp;
import io.mppnode.proto.Binlog.WriteBinlogReq;
import io.mppnode.proto.Binlog.WriteBinlogResp;
import io.mppnode.proto.PumpGrpc;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.log.LogReader;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TiDB's Pump service on the node's gRPC port (binlog.proto).
 *
 * <p>{@code WriteBinlog} answers with an empty {@code errmsg} only once the entity is durable
 * (and applied to the replica, see {@link BinlogIngest}); every refusal says why in
 * {@code errmsg}, and the RPC itself succeeds. {@code PullBinlogs} streams entities from
 * {@code startFrom} in log order and then follows new writes ({@link PullStream}); a request it
 * cannot serve fails with a gRPC status whose description names the problem.
 */
public final class PumpService extends PumpGrpc.PumpImplBase {
    private static final Logger log = LoggerFactory.getLogger(PumpService.class);

    private final long clusterId;
    private final BinlogIngest ingest;
    private final Executor pullExecutor;

    /** @param pullExecutor runs the reading of pull streams (never the gRPC event loop) */
    public PumpService(long clusterId, BinlogIngest ingest, Executor pullExecutor) {
        this.clusterId = clusterId;
        this.ingest = requireNonNull(ingest, "ingest is null");
        this.pullExecutor = requireNonNull(pullExecutor, "pullExecutor is null");
    }

    @Override
    public void writeBinlog(WriteBinlogReq request, StreamObserver<WriteBinlogResp> response) {
        if (request.getClusterID() != clusterId) {
            answer(response, "clusterID " + Long.toUnsignedString(request.getClusterID()) + " does not match this node's cluster id "
                    + Long.toUnsignedString(clusterId));
            return;
        }
        ingest.write(request.getPayload()).whenComplete((position, error) -> {
            if (error == null) {
                answer(response, "");
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof BinlogRefusal)) {
                log.warn("WriteBinlog failed: {}", cause.getMessage());
            }
            answer(response, cause.getMessage() == null ? cause.toString() : cause.getMessage());
        });
    }

    private static void answer(StreamObserver<WriteBinlogResp> response, String errmsg) {
        try {
            response.onNext(WriteBinlogResp.newBuilder().setErrmsg(errmsg).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            // The caller went away (cancelled or deadline): nothing to answer.
            log.debug("WriteBinlog answer not delivered: {}", e.getMessage());
        }
    }

    @Override
    public void pullBinlogs(PullBinlogReq request, StreamObserver<PullBinlogResp> response) {
        if (request.getClusterID() != clusterId) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("clusterID " + Long.toUnsignedString(request.getClusterID())
                    + " does not match this node's cluster id " + Long.toUnsignedString(clusterId)).asRuntimeException());
            return;
        }
        String from = "{suffix " + request.getStartFrom().getSuffix() + ", offset " + request.getStartFrom().getOffset() + "}";
        LogReader reader;
        try {
            reader = ingest.log().reader(new LogPosition(request.getStartFrom().getSuffix(), request.getStartFrom().getOffset()));
        } catch (IllegalArgumentException e) {
            response.onError(Status.OUT_OF_RANGE.withDescription("cannot pull from " + from + ": " + e.getMessage()).asRuntimeException());
            return;
        } catch (java.io.IOException | RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription("cannot pull from " + from + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        new PullStream((ServerCallStreamObserver<PullBinlogResp>) response, reader, ingest.log(), pullExecutor).start();
    }
}
