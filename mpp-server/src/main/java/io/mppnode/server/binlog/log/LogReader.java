package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.mppnode.server.binlog.log.LogRecordFormat.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads records in log order, across segments, from a position up to the log's durable end. Made
 * by {@link SegmentedLog#reader}, which checks the starting position.
 *
 * <p>Every record is checked (magic, header and payload checksums, length) before it is returned;
 * a bad one throws {@link CorruptRecordException} and the reader stays in front of it, so it is
 * never handed out. {@link #next} returns empty at the durable end; once the log grows (see
 * {@link SegmentedLog#awaitAppend}) the same reader continues.
 *
 * <p>Not thread-safe: one caller at a time. The caller closes it, which closes its open segment
 * file. A reader keeps working on a segment that retention deletes under it (the open file stays
 * readable); it fails only when it must open a segment that is gone.
 */
public final class LogReader implements AutoCloseable {
    static final int BUFFER_BYTES = 256 << 10;

    private final SegmentSet segments;
    private final SegmentChannels channels;
    private final Supplier<LogPosition> durableEnd;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);

    private Segment segment;
    private long offset;
    private FileChannel channel;
    private SegmentFileReader file;
    private boolean closed;

    private LogReader(SegmentSet segments, SegmentChannels channels, Supplier<LogPosition> durableEnd, Segment segment,
            long offset) {
        this.segments = segments;
        this.channels = channels;
        this.durableEnd = durableEnd;
        this.segment = segment;
        this.offset = offset;
    }

    /**
     * A reader from {@code from}, which must be the start of a record, the durable end, or the end
     * of a sealed segment (the same place as the start of the next).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code from}
     * @throws CorruptRecordException if a bad record before {@code from} in its segment hides where
     *     records start
     */
    static LogReader open(SegmentSet segments, SegmentChannels channels, Supplier<LogPosition> durableEnd,
            LogPosition from) throws IOException {
        requireNonNull(from, "from is null");
        LogPosition end = durableEnd.get();
        Segment segment = segments.get(from.suffix());
        if (segment == null) {
            Segment first = segments.first();
            if (from.suffix() < first.suffix()) {
                throw new IllegalArgumentException(freed(from, first));
            }
            throw new IllegalArgumentException("cannot read from " + from + ": there is no segment "
                    + Segment.fileName(from.suffix()) + "; the durable end of the log is " + end);
        }
        if (from.isAfter(end)) {
            throw new IllegalArgumentException("cannot read from " + from + ": it is beyond the durable end of the log, "
                    + end);
        }
        LogReader reader = new LogReader(segments, channels, durableEnd, segment, from.offset());
        boolean sealed = from.suffix() < end.suffix();
        if (from.equals(end) || from.offset() == 0 || (sealed && from.offset() == segment.length())) {
            return reader;
        }
        try {
            long limit = sealed ? segment.length() : end.offset();
            if (from.offset() > limit) {
                throw new IllegalArgumentException("cannot read from " + from + ": segment " + segment
                        + " ends at offset " + limit);
            }
            reader.checkRecordStart(limit);
            return reader;
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private static String freed(LogPosition from, Segment first) {
        return "cannot read from " + from + ": segment " + Segment.fileName(from.suffix())
                + " was freed by retention; the oldest retained is " + new LogPosition(first.suffix(), 0);
    }

    /** Walks the headers of the segment from 0 to see that {@link #offset} is where a record starts. */
    private void checkRecordStart(long limit) throws IOException {
        SegmentFileReader reader = openFile();
        long at = 0;
        while (at < offset) {
            Header header = reader.readHeader(at, limit);
            long next = at + header.recordBytes();
            if (next > offset) {
                throw new IllegalArgumentException("cannot read from " + new LogPosition(segment.suffix(), offset)
                        + ": it is inside the record at offset " + at + " of " + segment + ", which is "
                        + header.recordBytes() + " bytes long (the next record starts at offset " + next + ")");
            }
            at = next;
        }
    }

    /**
     * The next record, or empty at the durable end.
     *
     * @throws CorruptRecordException if the next record is bad; it is not skipped, so calling again
     *     throws again
     * @throws IOException if a segment cannot be read, or is gone because retention freed it while
     *     this reader was behind
     */
    public Optional<LogEntry> next() throws IOException {
        if (closed) {
            throw new IllegalStateException("the reader is closed");
        }
        while (true) {
            LogPosition end = durableEnd.get();
            long limit;
            if (segment.suffix() < end.suffix()) {
                limit = segment.length();
                if (offset >= limit) {
                    advance();
                    continue;
                }
            } else if (segment.suffix() == end.suffix() && offset < end.offset()) {
                limit = end.offset();
            } else {
                return Optional.empty();
            }
            SegmentFileReader reader = openFile();
            Header header = reader.readHeader(offset, limit);
            ByteString payload = reader.readPayload(offset, header, limit);
            LogEntry entry = new LogEntry(new LogPosition(segment.suffix(), offset), header.startTs(), header.commitTs(),
                    payload, header.payloadChecksum());
            offset += header.recordBytes();
            return Optional.of(entry);
        }
    }

    private void advance() throws IOException {
        closeFile();
        long suffix = segment.suffix() + 1;
        Segment next = segments.get(suffix);
        if (next == null) {
            throw new IOException("cannot read on from " + segment + ": the next segment " + Segment.fileName(suffix)
                    + " was freed by retention while this reader was behind it; the oldest retained is "
                    + new LogPosition(segments.first().suffix(), 0));
        }
        segment = next;
        offset = 0;
    }

    private SegmentFileReader openFile() throws IOException {
        if (file == null) {
            try {
                channel = channels.open(segment.path(), StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                throw new IOException("cannot read " + segment + ": it was freed by retention while this reader was"
                        + " behind it; the oldest retained is " + new LogPosition(segments.first().suffix(), 0), e);
            }
            file = new SegmentFileReader(segment, channel, buffer);
        }
        return file;
    }

    private void closeFile() throws IOException {
        file = null;
        if (channel != null) {
            FileChannel closing = channel;
            channel = null;
            closing.close();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        closeFile();
    }
}
