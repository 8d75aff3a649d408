package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.EventType;
import io.mppnode.server.binlog.log.LogEntry;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.log.LogReader;
import io.mppnode.server.binlog.log.SegmentedLog;
import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path of the binlog: an entity is parsed and checked ({@link BinlogReplica#check}),
 * appended to the durable log (group commit), applied to the replica in log order, and only
 * then acknowledged. A refused entity is never written; an entity whose write fails (a full
 * disk) is not applied and leaves nothing in the log.
 *
 * <p>Entities are checked against what is applied, so a COMMIT must follow the acknowledgement
 * of its PREWRITE, as TiDB writes them. While an entity of a transaction is being written, a
 * second one for the same start ts is refused (the first may still fail); DDLs are written one
 * at a time, each checked after the one before it is applied.
 *
 * <p>Applying runs on one thread of its own, in the order of the log, so that the log's writer
 * goes on with the next group meanwhile.
 */
public final class BinlogIngest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogIngest.class);

    private record Written(BinlogEvent event, LogPosition position, Throwable error, long startTsClaim,
            CompletableFuture<LogPosition> acknowledged) {}

    private final SegmentedLog binlog;
    private final BinlogReplica replica;
    private final ExecutorService applier;

    private final Object writeLock = new Object();
    private final Set<Long> inFlight = new HashSet<>();
    private long nextSequence;
    private CompletableFuture<?> lastDdl = CompletableFuture.completedFuture(null);

    private final Object applyLock = new Object();
    private final TreeMap<Long, Written> written = new TreeMap<>();
    private long nextToApply;

    public BinlogIngest(SegmentedLog binlog, BinlogReplica replica) {
        this.binlog = requireNonNull(binlog, "binlog is null");
        this.replica = requireNonNull(replica, "replica is null");
        this.applier = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "binlog-apply");
            thread.setDaemon(true);
            return thread;
        });
    }

    public SegmentedLog log() {
        return binlog;
    }

    public BinlogReplica replica() {
        return replica;
    }

    /**
     * Applies the log from {@code from} (exclusive when {@code skipFirst}) to its end: the
     * replica's state at start. Entities are applied as they are; ones the replica cannot use
     * any more are skipped with a warning.
     *
     * @return how many entities were applied
     */
    public long replay(LogPosition from, boolean skipFirst) throws IOException {
        long count = 0;
        try (LogReader reader = binlog.reader(from)) {
            Optional<LogEntry> entry;
            boolean first = true;
            while ((entry = reader.next()).isPresent()) {
                if (first && skipFirst) {
                    first = false;
                    continue;
                }
                first = false;
                BinlogEvent event;
                try {
                    event = parse(entry.get().payload());
                } catch (BinlogRefusal e) {
                    log.warn("binlog entity at {} does not parse and is skipped: {}", entry.get().position(), e.getMessage());
                    continue;
                }
                try {
                    replica.apply(event, entry.get().position());
                } catch (RuntimeException e) {
                    log.warn("binlog entity at {} could not be applied and is skipped: {}", entry.get().position(), e.getMessage());
                }
                count++;
            }
        }
        return count;
    }

    /**
     * Writes one entity. The future completes with its position once it is durable and applied,
     * or fails with a {@link BinlogRefusal} (nothing written) or the write's error (nothing of it
     * stored).
     */
    public CompletableFuture<LogPosition> write(ByteString payload) {
        BinlogEvent event;
        try {
            event = parse(payload);
        } catch (BinlogRefusal e) {
            return CompletableFuture.failedFuture(e);
        }
        return write(event, payload);
    }

    /**
     * Writes an entity built in this process (replication from MySQL/MariaDB into this node):
     * as {@link #write(ByteString)}, without parsing back the bytes it was just serialized to.
     */
    public CompletableFuture<LogPosition> write(BinlogEvent event) {
        return write(event, event.toByteString());
    }

    private CompletableFuture<LogPosition> write(BinlogEvent event, ByteString payload) {
        if (event.getType() == EventType.DDL) {
            CompletableFuture<LogPosition> result;
            synchronized (writeLock) {
                result = lastDdl.handle((ignored, error) -> null).thenCompose(ignored -> writeChecked(event, payload));
                lastDdl = result;
            }
            return result;
        }
        return writeChecked(event, payload);
    }

    private CompletableFuture<LogPosition> writeChecked(BinlogEvent event, ByteString payload) {
        CompletableFuture<LogPosition> acknowledged = new CompletableFuture<>();
        synchronized (writeLock) {
            long claim = claimKey(event);
            try {
                if (claim != 0 && inFlight.contains(claim)) {
                    throw new BinlogRefusal(event.getType() + " for start_ts " + claim + " while another entity of that transaction"
                            + " is still being written; write it after that one is acknowledged");
                }
                replica.check(event);
            } catch (BinlogRefusal e) {
                return CompletableFuture.failedFuture(e);
            }
            if (claim != 0) {
                inFlight.add(claim);
            }
            long sequence = nextSequence++;
            CompletableFuture<LogPosition> append;
            try {
                append = binlog.append(event.getStartTs(), event.getCommitTs(), payload);
            } catch (RuntimeException e) {
                append = CompletableFuture.failedFuture(e);
            }
            append.whenComplete((position, error) -> completed(sequence, new Written(event, position, error, claim, acknowledged)));
        }
        return acknowledged;
    }

    /** The start ts an entity claims while it is written (0: none; heartbeats and DDLs claim nothing). */
    private static long claimKey(BinlogEvent event) {
        boolean heartbeat = event.getType() == EventType.ROLLBACK && event.getCommitTs() == event.getStartTs();
        return event.getType() == EventType.DDL || heartbeat ? 0 : event.getStartTs();
    }

    private void completed(long sequence, Written entity) {
        synchronized (applyLock) {
            written.put(sequence, entity);
        }
        try {
            applier.execute(this::applyInOrder);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            entity.acknowledged().completeExceptionally(new IOException("the node is stopping; the entity may or may not be stored"));
        }
    }

    private void applyInOrder() {
        while (true) {
            Written next;
            synchronized (applyLock) {
                next = written.remove(nextToApply);
                if (next == null) {
                    return;
                }
                nextToApply++;
            }
            if (next.error() != null) {
                release(next);
                Throwable cause = next.error() instanceof CompletionException && next.error().getCause() != null
                        ? next.error().getCause() : next.error();
                next.acknowledged().completeExceptionally(cause);
                continue;
            }
            try {
                replica.apply(next.event(), next.position());
                release(next);
                next.acknowledged().complete(next.position());
            } catch (RuntimeException e) {
                release(next);
                next.acknowledged().completeExceptionally(e);
            }
        }
    }

    private void release(Written entity) {
        if (entity.startTsClaim() != 0) {
            synchronized (writeLock) {
                inFlight.remove(entity.startTsClaim());
            }
        }
    }

    /** @throws BinlogRefusal when the payload is not a {@link BinlogEvent} */
    static BinlogEvent parse(ByteString payload) {
        BinlogEvent event;
        try {
            event = BinlogEvent.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new BinlogRefusal("the payload does not parse as a mppnode.binlog.BinlogEvent: " + e.getMessage());
        }
        if (!event.getUnknownFields().asMap().isEmpty()) {
            throw new BinlogRefusal("the payload does not parse as a mppnode.binlog.BinlogEvent: it has fields numbered "
                    + event.getUnknownFields().asMap().keySet() + ", which a BinlogEvent does not have");
        }
        return event;
    }

    @Override
    public void close() {
        applier.shutdown();
        try {
            if (!applier.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("the binlog applier did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
