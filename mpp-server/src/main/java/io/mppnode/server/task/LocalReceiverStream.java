package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.MppException;
import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;

/**
 * The end of a local tunnel on the receiving task's side: packets go straight to the task's
 * {@code ExchangeReceiver}; its room-again and cancel events go to the tunnel once attached.
 */
final class LocalReceiverStream extends AttachableReceiverStream<LocalPacket> implements ExchangeConnector.LocalConnection {
    private final PacketStream<LocalPacket> end;

    LocalReceiverStream(PacketStream<LocalPacket> end) {
        this.end = requireNonNull(end, "end is null");
    }

    @Override
    public boolean isLocal() {
        return true;
    }

    @Override
    public boolean isReady() {
        return end.isReady();
    }

    @Override
    public void send(LocalPacket packet) {
        end.send(packet);
    }

    @Override
    public void complete() {
        end.complete();
    }

    @Override
    public void fail(MppException error, long mppVersion) {
        end.send(LocalPacket.ofError(error));
        end.complete();
    }

    @Override
    public void onReady() {
        ready();
    }

    @Override
    public void cancel() {
        cancelled();
    }
}
