package io.mppnode.exec.memory;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import org.apache.arrow.memory.AllocationReservation;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * Accounts Java heap memory of an operator (hash tables, row indexes, aggregate states) in its
 * Arrow allocator, so that the query's memory limit, the operator's peak memory and the leak
 * check at close cover it like Arrow buffers. The bytes are held as allocation reservations of
 * the allocator: Arrow rounds each to a power of two, so up to twice a growth step may be
 * counted. Not thread-safe; {@link #close()} gives everything back (the allocator reports a
 * leak if it is not called).
 */
public final class HeapMemory implements AutoCloseable {
    private final BufferAllocator allocator;
    private final ArrayDeque<AllocationReservation> reservations = new ArrayDeque<>();
    private long used;
    private long reserved;

    public HeapMemory(BufferAllocator allocator) {
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /**
     * Counts {@code bytes} more.
     *
     * @throws OutOfMemoryException when the allocator's limit (or an ancestor's) refuses them;
     *     nothing is counted then
     */
    public void reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
        if (used + bytes > reserved) {
            long missing = used + bytes - reserved;
            AllocationReservation reservation = allocator.newReservation();
            boolean granted;
            try {
                granted = reservation.add(missing);
            } catch (RuntimeException e) {
                reservation.close();
                throw e;
            }
            if (!granted) {
                reservation.close();
                throw new OutOfMemoryException("cannot reserve " + missing + " bytes of heap memory in allocator '"
                        + allocator.getName() + "' (limit " + allocator.getLimit() + ", allocated "
                        + allocator.getAllocatedMemory() + ")");
            }
            reservations.push(reservation);
            reserved += reservation.getSizeLong();
        }
        used += bytes;
    }

    /** Counts {@code bytes} fewer; whole reservations no longer needed go back at once. */
    public void release(long bytes) {
        if (bytes < 0 || bytes > used) {
            throw new IllegalArgumentException("cannot release " + bytes + " of " + used + " bytes");
        }
        used -= bytes;
        while (!reservations.isEmpty() && reserved - reservations.peek().getSizeLong() >= used) {
            AllocationReservation reservation = reservations.pop();
            reserved -= reservation.getSizeLong();
            reservation.close();
        }
    }

    /** The bytes counted now (what was reserved and not released). */
    public long usedBytes() {
        return used;
    }

    @Override
    public void close() {
        while (!reservations.isEmpty()) {
            reservations.pop().close();
        }
        used = 0;
        reserved = 0;
    }
}
