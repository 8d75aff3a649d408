package io.mppnode.server.service;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.MethodDescriptor;
import io.mppnode.exchange.grpc.ExchangeMethods;
import io.mppnode.exchange.grpc.OutboundPacketMarshaller;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.CancelTaskResponse;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.IsAliveRequest;
import io.mppnode.proto.Mpp.IsAliveResponse;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusResponse;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.server.coordinator.CoordinatorRegistry;
import io.mppnode.server.task.MppTaskManager;
import io.mppnode.server.task.MppVersions;

/**
 * The MPP methods of {@code tikvpb.Tikv}: a thin adapter from gRPC to the task manager and the
 * coordinator registry. Every error travels inside the response (gRPC status OK), as TiFlash does.
 */
public final class TikvService extends TikvGrpc.TikvImplBase {
    private final MppTaskManager tasks;
    private final CoordinatorRegistry coordinators;
    private final OutboundPacketMarshaller marshaller;

    /**
     * @param marshaller writes the data packets this node sends (the node's holds their chunk
     *     memory in its wire allocator until written)
     */
    public TikvService(MppTaskManager tasks, CoordinatorRegistry coordinators, OutboundPacketMarshaller marshaller) {
        this.tasks = requireNonNull(tasks, "tasks is null");
        this.coordinators = requireNonNull(coordinators, "coordinators is null");
        this.marshaller = requireNonNull(marshaller, "marshaller is null");
    }

    @Override
    public void dispatchMPPTask(DispatchTaskRequest request, StreamObserver<DispatchTaskResponse> response) {
        response.onNext(tasks.dispatch(request));
        response.onCompleted();
    }

    @Override
    public void cancelMPPTask(CancelTaskRequest request, StreamObserver<CancelTaskResponse> response) {
        response.onNext(tasks.cancel(request));
        response.onCompleted();
    }

    /**
     * The service as the node serves it: every method of {@code tikvpb.Tikv} as generated,
     * except EstablishMPPConnection, which is bound to the zero-copy packet marshaller (same
     * method name and wire format, so stock clients read it).
     */
    public ServerServiceDefinition definition() {
        MethodDescriptor<EstablishMPPConnectionRequest, OutboundPacket> establish =
                ExchangeMethods.establishMppConnectionServer(marshaller);
        ServerServiceDefinition generated = bindService();
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(generated.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            if (!method.getMethodDescriptor().getFullMethodName().equals(establish.getFullMethodName())) {
                builder.addMethod(method);
            }
        }
        builder.addMethod(establish, ServerCalls.asyncServerStreamingCall(
                (request, response) -> tasks.establish(request, new GrpcReceiverStream(response))));
        return builder.build();
    }

    /** The send-side marshaller, whose counters tell how packets were written (zero-copy or fallback). */
    public OutboundPacketMarshaller marshaller() {
        return marshaller;
    }

    @Override
    public void establishMPPConnection(EstablishMPPConnectionRequest request, StreamObserver<MPPDataPacket> response) {
        // Served by definition()'s binding; this generated entry point is never registered.
        response.onError(io.grpc.Status.UNIMPLEMENTED.withDescription("served by the packet marshaller binding").asRuntimeException());
    }

    @Override
    public void isAlive(IsAliveRequest request, StreamObserver<IsAliveResponse> response) {
        response.onNext(IsAliveResponse.newBuilder()
                .setAvailable(tasks.isAvailable())
                .setMppVersion(MppVersions.CURRENT)
                .build());
        response.onCompleted();
    }

    @Override
    public void reportMPPTaskStatus(ReportTaskStatusRequest request, StreamObserver<ReportTaskStatusResponse> response) {
        response.onNext(coordinators.report(request));
        response.onCompleted();
    }
}
