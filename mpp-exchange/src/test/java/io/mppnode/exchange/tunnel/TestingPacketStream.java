package io.mppnode.exchange.tunnel;

import java.util.ArrayList;
import java.util.List;

/**
 * A receiving end under the test's control: it is ready while it has credits (one per packet;
 * unlimited by default), records what it is sent, and fails the test on a send after the
 * stream was completed or on a second completion. It owns the packets it was sent, as a real
 * end does: {@link #close()} closes them, so a test that holds Arrow memory frees it.
 *
 * @param <P> the packet type
 */
public final class TestingPacketStream<P extends TunnelPacket> implements PacketStream<P>, AutoCloseable {
    private static final long UNLIMITED = Long.MAX_VALUE;

    private final List<P> packets = new ArrayList<>();
    private long credits = UNLIMITED;
    private boolean completed;

    /** Ready for every packet, until {@link #setReady(boolean)} or {@link #allow(long)} says otherwise. */
    public TestingPacketStream() {}

    public static <P extends TunnelPacket> TestingPacketStream<P> notReady() {
        TestingPacketStream<P> stream = new TestingPacketStream<>();
        stream.setReady(false);
        return stream;
    }

    public synchronized void setReady(boolean ready) {
        credits = ready ? UNLIMITED : 0;
    }

    /** Ready for exactly {@code packets} more packets, then not ready. */
    public synchronized void allow(long packets) {
        credits = packets;
    }

    @Override
    public synchronized boolean isReady() {
        return credits > 0;
    }

    @Override
    public synchronized void send(P packet) {
        if (completed) {
            packet.close();
            throw new IllegalStateException("send after complete: " + packet);
        }
        packets.add(packet);
        if (credits != UNLIMITED && credits > 0) {
            credits--;
        }
    }

    @Override
    public synchronized void complete() {
        if (completed) {
            throw new IllegalStateException("completed twice");
        }
        completed = true;
    }

    /** What was sent, in order. The packets stay the stream's. */
    public synchronized List<P> packets() {
        return List.copyOf(packets);
    }

    public synchronized boolean isCompleted() {
        return completed;
    }

    /** Closes every packet sent so far. */
    @Override
    public synchronized void close() {
        packets.forEach(TunnelPacket::close);
    }
}
