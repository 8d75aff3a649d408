package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.mppnode.proto.Binlog.Entity;
import io.mppnode.proto.Binlog.Meta;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.Binlog.PullBinlogResp;
import io.mppnode.server.binlog.log.LogEntry;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.log.LogReader;
import io.mppnode.server.binlog.log.SegmentedLog;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code PullBinlogs} stream: sends the log's entities from its start position, then waits
 * for new ones and sends them as they become durable, like a replica's blocking dump, until the
 * caller cancels.
 *
 * <p>Flow control follows gRPC readiness: entities are read and sent while the call is ready;
 * when it is not, the stream stops reading and resumes from the on-ready handler, so a slow
 * reader never makes the node buffer the log. No thread waits: reading runs on the executor in
 * bursts, and a caught-up stream resumes when the log's end moves.
 */
final class PullStream {
    private static final Logger log = LoggerFactory.getLogger(PullStream.class);

    private final ServerCallStreamObserver<PullBinlogResp> out;
    private final LogReader reader;
    private final SegmentedLog binlog;
    private final Executor executor;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean cancelled;
    private boolean closed;

    PullStream(ServerCallStreamObserver<PullBinlogResp> out, LogReader reader, SegmentedLog binlog, Executor executor) {
        this.out = requireNonNull(out, "out is null");
        this.reader = requireNonNull(reader, "reader is null");
        this.binlog = requireNonNull(binlog, "binlog is null");
        this.executor = requireNonNull(executor, "executor is null");
    }

    void start() {
        out.setOnCancelHandler(() -> {
            cancelled = true;
            schedule();
        });
        out.setOnReadyHandler(this::schedule);
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                cancelled = true;
                scheduled.set(false);
                closeReader();
            }
        }
    }

    private void drain() {
        try {
            while (true) {
                if (cancelled) {
                    closeReader();
                    return;
                }
                while (out.isReady() && !cancelled) {
                    LogPosition end = binlog.end();
                    Optional<LogEntry> entry = reader.next();
                    if (entry.isEmpty()) {
                        // Caught up: resume when the log grows past what this read saw.
                        scheduled.set(false);
                        binlog.awaitAppend(end).whenComplete((ignored, error) -> schedule());
                        return;
                    }
                    out.onNext(PullBinlogResp.newBuilder().setEntity(entity(entry.get())).build());
                }
                scheduled.set(false);
                // Readiness may have come back between the check and the flag: look once more.
                if (!(out.isReady() || cancelled) || !scheduled.compareAndSet(false, true)) {
                    return;
                }
            }
        } catch (Exception e) {
            // A corrupt record (never sent), a read error, or a call that went away.
            cancelled = true;
            closeReader();
            log.warn("PullBinlogs stream stopped: {}", e.getMessage());
            try {
                out.onError(Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException());
            } catch (RuntimeException ignored) {
                // already closed
            }
        }
    }

    static Entity entity(LogEntry entry) {
        int crc = entry.checksum();
        byte[] checksum = {(byte) (crc >>> 24), (byte) (crc >>> 16), (byte) (crc >>> 8), (byte) crc};
        return Entity.newBuilder()
                .setPos(Pos.newBuilder().setSuffix(entry.position().suffix()).setOffset(entry.position().offset()))
                .setPayload(entry.payload())
                .setChecksum(UnsafeByteOperations.unsafeWrap(checksum))
                .setMeta(Meta.newBuilder().setStartTs(entry.startTs()).setCommitTs(entry.commitTs()))
                .build();
    }

    private synchronized void closeReader() {
        if (!closed) {
            closed = true;
            try {
                reader.close();
            } catch (Exception e) {
                log.debug("closing a binlog reader: {}", e.getMessage());
            }
        }
    }
}
