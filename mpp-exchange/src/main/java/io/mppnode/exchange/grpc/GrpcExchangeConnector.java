package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * The one gRPC client adapter of the exchange: opens {@code EstablishMPPConnection} on the
 * sender's node with the zero-copy marshaller (chunks land in the receiver's allocator) and
 * manual flow control: the server sends a packet only when the receiver asked for it. Remote
 * sources only; local ones go through the node's registry.
 */
public final class GrpcExchangeConnector implements ExchangeConnector {
    /**
     * The calls' callbacks (parsing a packet, decoding its batches into the receiver's queue,
     * asking for the next) run on the transport's event loop instead of hopping to the
     * channel's executor: they never block, and the hop (a thread wake-up per packet) measured
     * about a fifth of a loopback stream's throughput on two cores. The cost: the streams of
     * one connection are decoded one at a time on its event loop, so a compressed stream
     * decompresses there (LZ4 about 5 GB/s, ZSTD about 1.6 GB/s per core, see the README).
     */
    private static final CallOptions ON_TRANSPORT_THREAD = CallOptions.DEFAULT.withExecutor(Runnable::run);

    private final Function<String, Channel> channels;

    /** @param channels the channel to a node, by its address (host:port) */
    public GrpcExchangeConnector(Function<String, Channel> channels) {
        this.channels = requireNonNull(channels, "channels is null");
    }

    @Override
    public RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
        Channel channel;
        try {
            channel = channels.apply(source.sender().getAddress());
        } catch (RuntimeException e) {
            listener.onError(new MppException(ErrorCode.CONNECTION_FAILED, "no channel to " + source.sender().getAddress()
                    + ": " + e.getMessage(), e), true);
            return new RemoteConnection() {
                @Override
                public void request(int count) {}

                @Override
                public void cancel(String reason) {}

                @Override
                public CompletableFuture<Void> terminated() {
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
        ClientCall<EstablishMPPConnectionRequest, InboundPacket> call =
                channel.newCall(ExchangeMethods.establishMppConnectionClient(allocator), ON_TRANSPORT_THREAD);
        Call state = new Call(call, listener);
        call.start(state, new Metadata());
        call.sendMessage(EstablishMPPConnectionRequest.newBuilder()
                .setSenderMeta(source.sender())
                .setReceiverMeta(source.receiver())
                .build());
        call.halfClose();
        return state;
    }

    @Override
    public LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end) {
        throw new UnsupportedOperationException("local sources go through the node's task registry");
    }

    private static final class Call extends ClientCall.Listener<InboundPacket> implements RemoteConnection {
        private final ClientCall<EstablishMPPConnectionRequest, InboundPacket> call;
        private final RemoteListener listener;
        private final CompletableFuture<Void> terminated = new CompletableFuture<>();
        private volatile boolean cancelled;
        private volatile boolean received;

        Call(ClientCall<EstablishMPPConnectionRequest, InboundPacket> call, RemoteListener listener) {
            this.call = call;
            this.listener = listener;
        }

        @Override
        public void onMessage(InboundPacket packet) {
            received = true;
            if (cancelled) {
                packet.close();
                return;
            }
            listener.onPacket(packet);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            // gRPC's last callback of the call: nothing of it runs after this one.
            try {
                report(status);
            } finally {
                terminated.complete(null);
            }
        }

        private void report(Status status) {
            if (cancelled) {
                return;
            }
            if (status.isOk()) {
                listener.onCompleted();
                return;
            }
            if (status.getCause() instanceof MppException cause) {
                listener.onError(cause, false);
                return;
            }
            boolean connectFailure = !received && status.getCode() == Status.Code.UNAVAILABLE;
            String description = status.getDescription() == null ? "" : ": " + status.getDescription();
            ErrorCode code = status.getCause() instanceof OutOfMemoryException ? ErrorCode.MEMORY_LIMIT_EXCEEDED : ErrorCode.CONNECTION_FAILED;
            listener.onError(new MppException(code, "gRPC " + status.getCode() + description
                    + (status.getCause() != null && status.getCause().getMessage() != null ? " (" + status.getCause().getMessage() + ")" : ""),
                    status.getCause()), connectFailure);
        }

        @Override
        public void request(int count) {
            call.request(count);
        }

        @Override
        public void cancel(String reason) {
            cancelled = true;
            call.cancel(reason, null);
        }

        @Override
        public CompletableFuture<Void> terminated() {
            return terminated;
        }
    }
}
