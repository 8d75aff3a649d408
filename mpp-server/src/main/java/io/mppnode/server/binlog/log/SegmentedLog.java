package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable binlog: Pump entities appended to numbered segment files in one directory, read back
 * from any record's position. See {@link LogRecordFormat} for a record's bytes and {@link Segment}
 * for the file names.
 *
 * <p>An append completes once its record is durable per the {@link FsyncPolicy}, with appends made
 * concurrently sharing one write and one force (group commit). Readers see exactly the records up
 * to the durable end: a record becomes visible just before its append's future completes, and never
 * before it is durable. {@link #open} recovers from a crash by cutting a torn tail off the last
 * segment; acknowledged records are never cut.
 *
 * <p>Thread-safe. Append futures and {@link #awaitAppend} futures complete on the log's single
 * writer thread, in log order: dependent stages must be quick, and anything that blocks or does
 * I/O (reading the log, sending to a stream) belongs in an {@code *Async} stage with its own
 * executor. The owner closes the log; a directory is open in at most one log at a time.
 */
public final class SegmentedLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SegmentedLog.class);
    /** Held locked while a log has the directory open, so two writers never share the segments. */
    static final String LOCK_FILE = "binlog.lock";

    private final Path directory;
    private final LogOptions options;
    private final FileChannel lockChannel;
    private final SegmentSet segments;
    private final AppendWaiters waiters;
    private final LogWriter writer;
    private final MeterRegistry meters;
    private final List<Gauge> gauges;
    private final Object retentionLock = new Object();
    private volatile LogPosition durableEnd;
    private volatile LogPosition retentionFloor;
    private volatile boolean closed;

    private SegmentedLog(Path directory, LogOptions options, FileChannel lockChannel, SegmentSet segments, FileChannel activeChannel,
            MeterRegistry meters) {
        this.directory = directory;
        this.options = options;
        this.lockChannel = lockChannel;
        this.segments = segments;
        this.meters = meters;
        Segment active = segments.last();
        this.durableEnd = new LogPosition(active.suffix(), active.length());
        this.waiters = new AppendWaiters(durableEnd);
        this.gauges = List.of(
                Gauge.builder("mpp.binlog.segments", segments, SegmentSet::count)
                        .description("binlog segment files on disk").register(meters),
                Gauge.builder("mpp.binlog.disk.bytes", segments, SegmentSet::totalBytes).baseUnit("bytes")
                        .description("bytes of all binlog segment files").register(meters));
        this.writer = new LogWriter(directory, options, segments, active, activeChannel, this::publishDurableEnd,
                Counter.builder("mpp.binlog.entities.written").description("binlog entities appended and durable").register(meters),
                Counter.builder("mpp.binlog.bytes.written").baseUnit("bytes")
                        .description("bytes of binlog records (header and payload) appended and durable").register(meters),
                Timer.builder("mpp.binlog.fsync").description("latency of each force of a binlog segment to disk").register(meters));
    }

    /**
     * Opens the log in {@code directory}, creating the directory and segment 0 if there are none,
     * and recovers from a crash: the last segment is cut at the end of its last complete,
     * checksum-valid record (logged at WARN with the bytes cut).
     *
     * @throws IOException if the directory cannot be read or written, is in use by another log, or
     *     misses a segment between two others (the message names it)
     */
    public static SegmentedLog open(Path directory, LogOptions options, MeterRegistry meters) throws IOException {
        requireNonNull(directory, "directory is null");
        requireNonNull(options, "options is null");
        requireNonNull(meters, "meters is null");
        Files.createDirectories(directory);
        FileChannel lockChannel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileChannel activeChannel = null;
        try {
            lock(lockChannel, directory);
            List<Long> suffixes = LogRecovery.segmentSuffixes(directory);
            SegmentSet segments = new SegmentSet();
            Segment active;
            if (suffixes.isEmpty()) {
                active = new Segment(directory, 0, 0);
                activeChannel = options.channels().open(active.path(), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                options.channels().syncDirectory(directory);
            } else {
                for (long suffix : suffixes.subList(0, suffixes.size() - 1)) {
                    Segment sealed = new Segment(directory, suffix, 0);
                    sealed.setLength(Files.size(sealed.path()));
                    segments.add(sealed);
                }
                active = new Segment(directory, suffixes.getLast(), 0);
                activeChannel = options.channels().open(active.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
                long length = LogRecovery.cutTornTail(active, activeChannel);
                activeChannel.position(length);
                active.setLength(length);
            }
            segments.add(active);
            SegmentedLog opened = new SegmentedLog(directory, options, lockChannel, segments, activeChannel, meters);
            opened.writer.start();
            log.info("binlog opened in {}: {} segments from {} to the durable end at {}", directory, segments.count(),
                    opened.start(), opened.end());
            return opened;
        } catch (IOException | RuntimeException e) {
            if (activeChannel != null) {
                closeQuietly(activeChannel, e);
            }
            closeQuietly(lockChannel, e);
            throw e;
        }
    }

    private static void lock(FileChannel lockChannel, Path directory) throws IOException {
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException("binlog directory " + directory + " is in use by another open log (" + LOCK_FILE
                    + " is locked): close that one first");
        }
    }

    /**
     * Appends one entity. The future completes with the record's position once it is durable per
     * the {@link FsyncPolicy}; it fails with an {@link IllegalArgumentException} if the payload is
     * larger than {@link LogOptions#maxPayloadBytes}, an {@link IOException} saying what happened if
     * it could not be written (nothing of it is then stored), or an {@link IllegalStateException}
     * once the log is closing. Futures complete in log order, on the writer thread.
     */
    public CompletableFuture<LogPosition> append(long startTs, long commitTs, ByteString payload) {
        requireNonNull(payload, "payload is null");
        if (payload.size() > options.maxPayloadBytes()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("binlog entity payload of " + payload.size()
                    + " bytes is larger than the maximum of " + options.maxPayloadBytes()
                    + " bytes (LogOptions.maxPayloadBytes); nothing was stored"));
        }
        return writer.append(startTs, commitTs, payload);
    }

    /**
     * A reader of the records from {@code from} on. The caller closes it.
     *
     * @param from the position of a record (as an append or a reader returned it), or {@link #end()}
     * @throws IllegalArgumentException if {@code from} is inside a record, past the durable end, in a
     *     segment that does not exist, or in one retention freed (the message says which)
     * @throws IOException if the segment cannot be read, or a bad record before {@code from} in its
     *     segment hides where records start ({@link CorruptRecordException})
     */
    public LogReader reader(LogPosition from) throws IOException {
        checkOpen();
        return LogReader.open(segments, options.channels(), this::end, from);
    }

    /** The durable end: the position the next record will have, unless the log rolls first. */
    public LogPosition end() {
        return durableEnd;
    }

    /** The oldest retained position: the start of the oldest segment on disk. */
    public LogPosition start() {
        return new LogPosition(segments.first().suffix(), 0);
    }

    /**
     * Completes once the durable end is past {@code knownEnd} (at once if it already is), so a
     * reader that reached the end can follow new records without a parked thread. Completes on the
     * writer thread: continue with an {@code *Async} stage. Fails with an
     * {@link IllegalStateException} when the log closes; a caller that gives up cancels it.
     */
    public CompletableFuture<Void> awaitAppend(LogPosition knownEnd) {
        return waiters.await(knownEnd);
    }

    /**
     * Retention never frees the segment holding {@code floor} or any later one: the owner sets it
     * to the oldest position it may still need to replay. No floor is set at first.
     */
    public void setRetentionFloor(LogPosition floor) {
        this.retentionFloor = requireNonNull(floor, "floor is null");
    }

    /**
     * Deletes whole segments from the oldest on while they are last modified longer than
     * {@link LogOptions#retentionMaxAge} before {@code now}, or while all segments together are
     * larger than {@link LogOptions#retentionMaxBytes}. Never deletes the active (last) segment, nor
     * a segment at or after the {@linkplain #setRetentionFloor retention floor}. The owner calls this
     * periodically; it is safe alongside appends and readers (a reader inside a deleted segment
     * finishes it).
     *
     * @return the bytes freed
     */
    public long applyRetention(Instant now) throws IOException {
        requireNonNull(now, "now is null");
        checkOpen();
        synchronized (retentionLock) {
            long freed = 0;
            while (true) {
                Segment oldest = segments.first();
                if (oldest == segments.last()) {
                    break;
                }
                LogPosition floor = retentionFloor;
                if (floor != null && oldest.suffix() >= floor.suffix()) {
                    break;
                }
                boolean tooOld = !options.retentionMaxAge().isZero()
                        && Files.getLastModifiedTime(oldest.path()).toInstant().isBefore(now.minus(options.retentionMaxAge()));
                boolean tooLarge = options.retentionMaxBytes() > 0 && segments.totalBytes() > options.retentionMaxBytes();
                if (!tooOld && !tooLarge) {
                    break;
                }
                segments.remove(oldest);
                try {
                    Files.deleteIfExists(oldest.path());
                } catch (IOException e) {
                    segments.add(oldest);
                    throw new IOException("binlog retention could not delete " + oldest.path() + ": " + e.getMessage(), e);
                }
                // One at a time, in order: a crash must not keep an older segment and lose a newer one (a gap).
                options.channels().syncDirectory(directory);
                freed += oldest.length();
                log.info("binlog retention freed {} ({} bytes, {})", oldest.path(), oldest.length(),
                        tooOld ? "older than " + options.retentionMaxAge() : "over " + options.retentionMaxBytes() + " bytes");
            }
            return freed;
        }
    }

    public Path directory() {
        return directory;
    }

    private void publishDurableEnd(LogPosition end) {
        durableEnd = end;
        waiters.advance(end);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the binlog in " + directory + " is closed");
        }
    }

    /**
     * Writes the appends already queued, then stops the writer, fails waiting {@link #awaitAppend}
     * futures and closes the files. Readers already made keep working on their open segment.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.close();
        } finally {
            waiters.close("the binlog in " + directory + " is closed");
            gauges.forEach(meters::remove);
            lockChannel.close();
        }
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
