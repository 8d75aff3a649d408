package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Rows of one chunk that a snapshot sees: rows {@code [from, to)} of the chunk when
 * {@code rows} is null, else the row positions {@code rows[from..to)}, ascending. Readable
 * while a {@link Snapshot} holding the chunk is open.
 */
public record ScanPiece(Chunk chunk, int[] rows, int from, int to) {
    public ScanPiece {
        requireNonNull(chunk, "chunk is null");
        int limit = rows == null ? chunk.size() : rows.length;
        if (from < 0 || to < from || to > limit) {
            throw new IllegalArgumentException("piece [" + from + ", " + to + ") of " + limit + " rows");
        }
    }

    static ScanPiece whole(Chunk chunk) {
        return new ScanPiece(chunk, null, 0, chunk.size());
    }

    static ScanPiece selected(Chunk chunk, int[] rows) {
        return new ScanPiece(chunk, rows, 0, rows.length);
    }

    public int rowCount() {
        return to - from;
    }

    /** Whether the piece is a contiguous run of the chunk's rows (which a scan hands out without copying). */
    public boolean isContiguous() {
        return rows == null;
    }

    /** The stored rows of the chunk (user columns only); read-only. */
    public org.apache.arrow.vector.VectorSchemaRoot data() {
        return chunk.rows();
    }

    /** Whether the chunk stores column {@code index} of the table; one added after the chunk was written reads NULL. */
    public boolean holdsColumn(int index) {
        return index < chunk.columnCount();
    }

    /** The handle of the row at position {@code i} of the piece. */
    public long handle(int i) {
        return chunk.handles().get(row(i));
    }

    /** The row of the chunk at position {@code i} of the piece. */
    public int row(int i) {
        return rows == null ? from + i : rows[from + i];
    }

    /**
     * Cuts pieces into {@code parts} runs of nearly equal row counts, in order, so that the parts
     * of one scan together read every row once.
     */
    public static List<List<ScanPiece>> split(List<ScanPiece> pieces, int parts) {
        if (parts < 1) {
            throw new IllegalArgumentException("parts must be positive: " + parts);
        }
        long total = pieces.stream().mapToLong(ScanPiece::rowCount).sum();
        List<List<ScanPiece>> result = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            result.add(new ArrayList<>());
        }
        long position = 0;
        for (ScanPiece piece : pieces) {
            int offset = piece.from;
            while (offset < piece.to) {
                int part = (int) Math.min(parts - 1, position * parts / Math.max(1, total));
                long partEnd = (total * (part + 1) + parts - 1) / parts;
                int take = (int) Math.max(1, Math.min(piece.to - offset, partEnd - position));
                result.get(part).add(new ScanPiece(piece.chunk, piece.rows, offset, offset + take));
                offset += take;
                position += take;
            }
        }
        return result;
    }
}
