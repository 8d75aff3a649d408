package io.mppnode.server;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.CancelTaskResponse;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.proto.TikvGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hand-written Tikv peer on a loopback port that records what it is sent: reports (a test
 * coordinator), dispatches and cancels. It accepts every dispatch and never answers an
 * EstablishMPPConnection (a node whose task hangs), so a coordinator's timeout can be tested.
 */
public final class TestingTikvServer extends TikvGrpc.TikvImplBase implements AutoCloseable {
    public final BlockingQueue<ReportTaskStatusRequest> reports = new LinkedBlockingQueue<>();
    public final BlockingQueue<DispatchTaskRequest> dispatches = new LinkedBlockingQueue<>();
    public final BlockingQueue<CancelTaskRequest> cancels = new LinkedBlockingQueue<>();
    private final Server server;

    public TestingTikvServer() {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String address() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void reportMPPTaskStatus(ReportTaskStatusRequest request, StreamObserver<ReportTaskStatusResponse> response) {
        reports.add(request);
        response.onNext(ReportTaskStatusResponse.getDefaultInstance());
        response.onCompleted();
    }

    @Override
    public void dispatchMPPTask(DispatchTaskRequest request, StreamObserver<DispatchTaskResponse> response) {
        dispatches.add(request);
        response.onNext(DispatchTaskResponse.getDefaultInstance());
        response.onCompleted();
    }

    @Override
    public void cancelMPPTask(CancelTaskRequest request, StreamObserver<CancelTaskResponse> response) {
        cancels.add(request);
        response.onNext(CancelTaskResponse.getDefaultInstance());
        response.onCompleted();
    }

    @Override
    public void establishMPPConnection(EstablishMPPConnectionRequest request, StreamObserver<MPPDataPacket> response) {
        // Never answers: the stream stays open until the caller gives up.
    }

    /** Takes the next recorded item, failing after 30 s. */
    public static <T> T next(BlockingQueue<T> queue) {
        try {
            T item = queue.poll(30, TimeUnit.SECONDS);
            if (item == null) {
                throw new AssertionError("nothing arrived within 30 s");
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
