package io.mppnode.exec.storage;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The rows a reader sees at a start ts, as pieces of stored chunks, and a reference to each of
 * those chunks: while the snapshot is open its chunks stay readable, even when a compaction
 * replaces them or their table is dropped. {@link #close()} gives the references back (the
 * last reader of a replaced chunk frees its memory). Whoever opens or is handed a snapshot
 * closes it; {@link #close()} is idempotent. The pieces must not be read after it.
 *
 * <p>Thread-safe. The pieces list is immutable.
 */
public final class Snapshot implements AutoCloseable {
    private static final Snapshot EMPTY = new Snapshot(List.of(), List.of());

    private final List<ScanPiece> pieces;
    /** The chunks this snapshot holds one reference to each, once per entry. */
    private final List<Chunk> references;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Takes over one reference to each chunk of {@code references}. */
    private Snapshot(List<ScanPiece> pieces, List<Chunk> references) {
        this.pieces = List.copyOf(pieces);
        this.references = List.copyOf(references);
    }

    /** A snapshot of nothing (closing it does nothing). */
    public static Snapshot empty() {
        return EMPTY;
    }

    /**
     * A snapshot holding its own reference to the chunks of {@code pieces}, which the caller
     * took from a {@link Region#snapshot(long, List) plain list of pieces} and whose chunks are
     * still stored.
     *
     * @throws IllegalStateException when a chunk was freed since (compacted or dropped)
     */
    public static Snapshot of(List<ScanPiece> pieces) {
        return retaining(pieces);
    }

    /** Retains each distinct chunk of {@code pieces} once. */
    static Snapshot retaining(List<ScanPiece> pieces) {
        Map<Chunk, Boolean> distinct = new IdentityHashMap<>();
        for (ScanPiece piece : pieces) {
            distinct.put(piece.chunk(), Boolean.TRUE);
        }
        List<Chunk> retained = new ArrayList<>(distinct.size());
        for (Chunk chunk : distinct.keySet()) {
            if (!chunk.tryRetain()) {
                retained.forEach(Chunk::release);
                throw new IllegalStateException("a piece of a " + chunk + " was freed (compacted or dropped): read an open Snapshot");
            }
            retained.add(chunk);
        }
        return retained.isEmpty() && pieces.isEmpty() ? EMPTY : new Snapshot(pieces, retained);
    }

    /** Takes over the references of {@code parts}, which end closed (without releasing anything), into one snapshot of all their pieces in order. */
    public static Snapshot concat(List<Snapshot> parts) {
        List<ScanPiece> pieces = new ArrayList<>();
        List<Chunk> references = new ArrayList<>();
        for (Snapshot part : parts) {
            if (part == EMPTY) {
                continue;
            }
            if (part.closed.getAndSet(true)) {
                throw new IllegalStateException("a part of the snapshot is closed");
            }
            pieces.addAll(part.pieces);
            references.addAll(part.references);
        }
        return pieces.isEmpty() && references.isEmpty() ? EMPTY : new Snapshot(pieces, references);
    }

    /** The pieces, in order; readable until {@link #close()}. */
    public List<ScanPiece> pieces() {
        return pieces;
    }

    public long rowCount() {
        return pieces.stream().mapToLong(ScanPiece::rowCount).sum();
    }

    /** Another snapshot of the same pieces with references of its own, for another owner. @throws IllegalStateException when this one is closed */
    public Snapshot share() {
        checkOpen();
        return retaining(pieces);
    }

    /**
     * Cuts the pieces into {@code parts} snapshots of nearly equal row counts (see
     * {@link ScanPiece#split}), each with references of its own; this one stays open.
     */
    public List<Snapshot> split(int parts) {
        checkOpen();
        List<Snapshot> result = new ArrayList<>(parts);
        try {
            for (List<ScanPiece> part : ScanPiece.split(pieces, parts)) {
                result.add(retaining(part));
            }
        } catch (RuntimeException e) {
            result.forEach(Snapshot::close);
            throw e;
        }
        return result;
    }

    private void checkOpen() {
        if (closed.get() && this != EMPTY) {
            throw new IllegalStateException("the snapshot is closed");
        }
    }

    /** Gives back the references (the first call). */
    @Override
    public void close() {
        if (this != EMPTY && !closed.getAndSet(true)) {
            references.forEach(Chunk::release);
        }
    }
}
