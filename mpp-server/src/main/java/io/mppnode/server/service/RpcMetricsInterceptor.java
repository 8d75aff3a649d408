package io.mppnode.server.service;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Times every RPC from its start to its close, by method and gRPC status (metric {@code mpp.rpc}). */
public final class RpcMetricsInterceptor implements ServerInterceptor {
    private final MeterRegistry meters;

    public RpcMetricsInterceptor(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Timer.Sample sample = Timer.start(meters);
        String method = call.getMethodDescriptor().getBareMethodName();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                sample.stop(Timer.builder("mpp.rpc")
                        .description("latency of the node's RPCs")
                        .tag("method", method == null ? "unknown" : method)
                        .tag("status", status.getCode().name())
                        .register(meters));
                super.close(status, trailers);
            }
        }, headers);
    }
}
