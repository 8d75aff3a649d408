package io.mppnode.exchange.tunnel;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.MppException;

/**
 * A tunnel packet for tests: an id, a size the tunnel counts against its bound, and a record of
 * whether it was closed (so a test sees what a tunnel dropped). An error packet carries the
 * abort cause instead of an id.
 */
public final class TestingPacket implements TunnelPacket {
    private final int id;
    private final long sizeBytes;
    private final MppException error;
    private boolean closed;

    private TestingPacket(int id, long sizeBytes, MppException error) {
        this.id = id;
        this.sizeBytes = sizeBytes;
        this.error = error;
    }

    public static TestingPacket of(int id, long sizeBytes) {
        return new TestingPacket(id, sizeBytes, null);
    }

    /** The error packet a tunnel makes on abort. */
    public static TestingPacket error(MppException cause) {
        return new TestingPacket(-1, 0, requireNonNull(cause, "cause is null"));
    }

    public int id() {
        return id;
    }

    /** The abort cause of an error packet, else null. */
    public MppException error() {
        return error;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return error == null ? "packet " + id + " (" + sizeBytes + " bytes)" : "error packet: " + error.getMessage();
    }
}
