package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes the log, with group commit: it takes every append queued since its
 * last pass, gather-writes their headers and payloads, forces the segment once (under
 * {@link FsyncPolicy#ALWAYS}), publishes the new durable end and only then completes their futures,
 * in log order.
 *
 * <p>A group never spans a roll unacknowledged: the records before the roll are forced with the old
 * segment and completed before the next segment is created, so a failure can only concern records
 * of the active segment past its durable end. On a failed write or force, those records' futures
 * fail and the segment is cut back to its durable end, leaving no partial record; later appends
 * work again (once the disk has space). If even the cut fails, every later append is refused with
 * the reason until the log is reopened, whose recovery cuts the tail instead.
 *
 * <p>Thread-safe: {@link #append} from any thread. Futures complete on the writer thread.
 */
final class LogWriter {
    private static final Logger log = LoggerFactory.getLogger(LogWriter.class);

    private final Path directory;
    private final LogOptions options;
    private final SegmentSet segments;
    private final Consumer<LogPosition> onDurable;
    private final Counter entitiesWritten;
    private final Counter bytesWritten;
    private final Timer fsyncs;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private List<PendingAppend> queue = new ArrayList<>();
    private boolean closing;
    /** Set when the segment could not be cut back after a failure; then every append is refused. */
    private volatile String refusal;
    private volatile IOException closeFailure;

    // Owned by the writer thread.
    private Segment active;
    private FileChannel channel;
    private long durableLength;
    private long writtenLength;
    private boolean forced = true;

    private static final class PendingAppend {
        final ByteBuffer header;
        final ByteString payload;
        final long recordBytes;
        final CompletableFuture<LogPosition> future = new CompletableFuture<>();
        LogPosition position;

        PendingAppend(ByteBuffer header, ByteString payload) {
            this.header = header;
            this.payload = payload;
            this.recordBytes = LogRecordFormat.HEADER_BYTES + (long) payload.size();
        }
    }

    /**
     * @param active the last segment, whose {@code channel} is open for writing and positioned at
     *     its length, which is durable
     * @param onDurable called on the writer thread with each new durable end, before the futures of
     *     the records it covers complete
     */
    LogWriter(Path directory, LogOptions options, SegmentSet segments, Segment active, FileChannel channel,
            Consumer<LogPosition> onDurable, Counter entitiesWritten, Counter bytesWritten, Timer fsyncs) {
        this.directory = requireNonNull(directory, "directory is null");
        this.options = requireNonNull(options, "options is null");
        this.segments = requireNonNull(segments, "segments is null");
        this.active = requireNonNull(active, "active is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.onDurable = requireNonNull(onDurable, "onDurable is null");
        this.entitiesWritten = requireNonNull(entitiesWritten, "entitiesWritten is null");
        this.bytesWritten = requireNonNull(bytesWritten, "bytesWritten is null");
        this.fsyncs = requireNonNull(fsyncs, "fsyncs is null");
        this.durableLength = active.length();
        this.writtenLength = active.length();
        this.thread = Thread.ofPlatform().name("binlog-writer " + directory).daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    CompletableFuture<LogPosition> append(long startTs, long commitTs, ByteString payload) {
        // The checksum is computed here, on the caller's thread, to keep the writer's pass short.
        PendingAppend append = new PendingAppend(
                LogRecordFormat.encodeHeader(payload.size(), startTs, commitTs, LogRecordFormat.checksum(payload)), payload);
        lock.lock();
        try {
            if (closing) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "the binlog is closing and takes no new appends; nothing of this entity was stored"));
            }
            String refused = refusal;
            if (refused != null) {
                return CompletableFuture.failedFuture(new IOException(refused));
            }
            queue.add(append);
            if (queue.size() == 1) {
                queued.signal();
            }
        } finally {
            lock.unlock();
        }
        return append.future;
    }

    /**
     * Writes what is queued, then stops the thread and closes the segment. Appends after this are
     * refused.
     *
     * @throws IOException if the segment could not be forced or closed at the end
     */
    void close() throws IOException {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("the binlog cannot be closed from a callback running on its writer thread");
        }
        lock.lock();
        try {
            closing = true;
            queued.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (closeFailure != null) {
            throw closeFailure;
        }
    }

    private void run() {
        while (true) {
            List<PendingAppend> group;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    queued.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    break;
                }
                group = queue;
                queue = new ArrayList<>();
            } finally {
                lock.unlock();
            }
            try {
                write(group);
            } catch (RuntimeException | Error e) {
                // A bug, not a disk error: what this pass left on disk is unknown, so stop taking appends.
                refusal = "the binlog refuses appends until it is reopened: its writer failed unexpectedly: " + e;
                log.error("binlog writer failed unexpectedly in {}", directory, e);
                for (PendingAppend append : group) {
                    append.future.completeExceptionally(new IOException(refusal, e));
                }
            }
        }
        closeSegment();
    }

    private void write(List<PendingAppend> group) {
        String refused = refusal;
        if (refused != null) {
            for (PendingAppend append : group) {
                append.future.completeExceptionally(new IOException(refused));
            }
            return;
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        int batchStart = 0;
        long length = writtenLength;
        String step = "write";
        try {
            for (int i = 0; i < group.size(); i++) {
                PendingAppend append = group.get(i);
                if (length > 0 && length + append.recordBytes > options.segmentSizeBytes()) {
                    step = "write";
                    writeAll(buffers);
                    step = "fsync";
                    if (!forced) {
                        force();
                    }
                    commit(group, batchStart, i);
                    batchStart = i;
                    step = "segment roll";
                    roll();
                    length = 0;
                }
                append.position = new LogPosition(active.suffix(), length);
                buffers.add(append.header);
                buffers.addAll(append.payload.asReadOnlyByteBufferList());
                length += append.recordBytes;
            }
            step = "write";
            writeAll(buffers);
            if (options.fsyncPolicy() == FsyncPolicy.ALWAYS) {
                step = "fsync";
                force();
            }
            commit(group, batchStart, group.size());
        } catch (IOException e) {
            fail(group.subList(batchStart, group.size()), step, e);
        }
    }

    private void writeAll(List<ByteBuffer> buffers) throws IOException {
        if (buffers.isEmpty()) {
            return;
        }
        ByteBuffer[] sources = buffers.toArray(ByteBuffer[]::new);
        buffers.clear();
        forced = false;
        long written = 0;
        int first = 0;
        while (first < sources.length) {
            written += channel.write(sources, first, sources.length - first);
            while (first < sources.length && !sources[first].hasRemaining()) {
                first++;
            }
        }
        writtenLength += written;
        active.setLength(writtenLength);
    }

    private void force() throws IOException {
        long start = System.nanoTime();
        try {
            channel.force(false);
        } finally {
            fsyncs.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
        forced = true;
    }

    /** Records {@code from..to} of the group are durable: publish the end, then complete them in order. */
    private void commit(List<PendingAppend> group, int from, int to) {
        durableLength = writtenLength;
        if (from == to) {
            return;
        }
        long bytes = 0;
        for (int i = from; i < to; i++) {
            bytes += group.get(i).recordBytes;
        }
        entitiesWritten.increment(to - from);
        bytesWritten.increment(bytes);
        onDurable.accept(new LogPosition(active.suffix(), durableLength));
        for (int i = from; i < to; i++) {
            PendingAppend append = group.get(i);
            append.future.complete(append.position);
        }
    }

    /** Forces and leaves the full segment, and makes the next one the active segment. */
    private void roll() throws IOException {
        Segment next = new Segment(directory, active.suffix() + 1, 0);
        // A file left there by a roll whose directory sync failed is empty and ours to reuse.
        FileChannel nextChannel = options.channels().open(next.path(), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            options.channels().syncDirectory(directory);
        } catch (IOException e) {
            closeQuietly(nextChannel, e);
            throw e;
        }
        FileChannel sealed = channel;
        Segment sealedSegment = active;
        segments.add(next);
        active = next;
        channel = nextChannel;
        durableLength = 0;
        writtenLength = 0;
        forced = true;
        try {
            sealed.close();
        } catch (IOException e) {
            log.warn("closing sealed binlog segment {} failed (it was forced already): {}", sealedSegment.path(), e.toString());
        }
    }

    /**
     * The records of {@code failed} are not durable: cut the segment back to its durable end so no
     * part of them stays, and fail their futures.
     */
    private void fail(List<PendingAppend> failed, String step, IOException cause) {
        String message = "binlog " + step + " failed, nothing of this entity was stored: " + cause.getMessage();
        try {
            channel.truncate(durableLength);
            // The cut must be durable too: otherwise a crash could bring back records we just failed.
            channel.force(false);
            channel.position(durableLength);
            writtenLength = durableLength;
            active.setLength(durableLength);
            forced = true;
            log.warn("binlog {} failed in {} for {} entities, cut back to the durable end at offset {}: {}", step,
                    active.path(), failed.size(), durableLength, cause.toString());
        } catch (IOException truncateFailure) {
            refusal = "the binlog refuses appends until it is reopened: " + message + "; then cutting " + active.path()
                    + " back to its durable end at offset " + durableLength + " failed too: " + truncateFailure.getMessage();
            cause.addSuppressed(truncateFailure);
            log.error(refusal, cause);
        }
        for (PendingAppend append : failed) {
            append.future.completeExceptionally(new IOException(message, cause));
        }
    }

    private void closeSegment() {
        try {
            if (!forced && refusal == null) {
                force();
            }
            channel.close();
        } catch (IOException e) {
            closeFailure = new IOException("closing binlog segment " + active.path() + " failed: " + e.getMessage(), e);
            closeQuietly(channel, e);
        }
    }

    private static void closeQuietly(FileChannel channel, IOException primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
