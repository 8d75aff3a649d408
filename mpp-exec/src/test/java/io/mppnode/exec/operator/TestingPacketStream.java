package io.mppnode.exec.operator;

import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayList;
import java.util.List;

/**
 * A transport end under the test's control: it is ready while it has credits (one per packet;
 * unlimited by default), records what it is sent, and fails the test on a send after the
 * stream was completed or on a second completion. The tunnel calls it under its own lock, the
 * test reads it after the call returned, so plain fields are enough.
 *
 * <p>A copy of mpp-exchange's test fixture of the same name: test classes do not cross modules.
 */
public final class TestingPacketStream implements PacketStream {
    private static final long UNLIMITED = Long.MAX_VALUE;

    private final List<MPPDataPacket> packets = new ArrayList<>();
    private long credits = UNLIMITED;
    private boolean completed;

    /** Ready for every packet, until {@link #setReady(boolean)} or {@link #allow(long)} says otherwise. */
    public TestingPacketStream() {}

    public static TestingPacketStream notReady() {
        TestingPacketStream stream = new TestingPacketStream();
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
    public synchronized void send(MPPDataPacket packet) {
        if (completed) {
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

    /** What was sent, in order. */
    public synchronized List<MPPDataPacket> packets() {
        return List.copyOf(packets);
    }

    public synchronized boolean isCompleted() {
        return completed;
    }
}
