package io.mppnode.exchange.receiver;

import java.util.concurrent.CompletableFuture;

import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import org.apache.arrow.memory.BufferAllocator;

/**
 * How a receiver reaches its sources: remote ones over a transport (gRPC in production, see
 * {@code exchange.grpc.GrpcExchangeConnector}), local ones through the node's registry of
 * tasks. Implementations are thread-safe.
 */
public interface ExchangeConnector {
    /**
     * Opens the stream of a remote source. Packets arrive in order, never more than requested;
     * their chunks are allocated from {@code allocator}. Exactly one of
     * {@link RemoteListener#onCompleted()} or {@link RemoteListener#onError} ends the stream.
     */
    RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener);

    /**
     * Attaches {@code end} to the local tunnel of a source (waiting for the sender task to be
     * dispatched, if need be). The tunnel sends to {@code end} while it is ready.
     */
    LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end);

    interface RemoteConnection {
        /** Asks for {@code count} more packets. */
        void request(int count);

        /** Closes the stream; no callback follows. */
        void cancel(String reason);

        /**
         * Completes once the stream has ended (normally, by an error, or cancelled) and none
         * of its work runs any more: no packet is being parsed into, or released back to, the
         * receiver's allocator on its behalf. A receiver waits for it before its owner may
         * close that allocator.
         */
        CompletableFuture<Void> terminated();
    }

    interface RemoteListener {
        /** A packet, which the listener now owns. */
        void onPacket(InboundPacket packet);

        /**
         * The stream failed.
         *
         * @param connectFailure true when the connection itself failed (the source may be
         *     retried if nothing arrived yet), false for an error of the stream or the data
         */
        void onError(MppException cause, boolean connectFailure);

        void onCompleted();
    }

    interface LocalConnection {
        /** The receiver has room again: let the tunnel send. */
        void onReady();

        /** The receiver goes away: the tunnel is aborted. */
        void cancel();
    }
}
