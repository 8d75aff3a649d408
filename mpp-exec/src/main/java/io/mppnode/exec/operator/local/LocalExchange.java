package io.mppnode.exec.operator.local;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Merges the batches of several drivers of one task into one driver: the parallel copies of a
 * pipeline end in {@link LocalExchangeSinkOperator}s, and one {@link LocalExchangeSourceOperator}
 * starts the pipeline that continues. The queue is bounded: a full queue blocks the sinks, an
 * empty one blocks the source, each with a future, never a thread.
 *
 * <p>Each added batch's buffers are transferred into the exchange's allocator, so that a
 * producing driver may finish and close its operators while its batches wait here. When the
 * source closes (its consumer needs no more, e.g. a Limit), the queued batches are freed and
 * the sinks finish at once, so the producers stop early. Thread-safe.
 */
public final class LocalExchange {
    private final BufferAllocator allocator;
    private final int maxBufferedBatches;
    private final ArrayDeque<VectorSchemaRoot> queue = new ArrayDeque<>();
    private int openSinks;
    private boolean sourceClosed;
    private CompletableFuture<Void> notFull = new CompletableFuture<>();
    private CompletableFuture<Void> notEmpty = new CompletableFuture<>();

    /**
     * @param allocator where queued batches live; must outlive the exchange's last batch
     * @param sinks how many sinks will add batches and finish
     */
    public LocalExchange(BufferAllocator allocator, int sinks, int maxBufferedBatches) {
        this.allocator = requireNonNull(allocator, "allocator is null");
        if (sinks < 1 || maxBufferedBatches < 1) {
            throw new IllegalArgumentException("sinks " + sinks + " and maxBufferedBatches " + maxBufferedBatches + " must be positive");
        }
        this.openSinks = sinks;
        this.maxBufferedBatches = maxBufferedBatches;
    }

    // ----- sinks -----

    /** Whether a sink may add a batch now. */
    synchronized boolean acceptsInput() {
        return !sourceClosed && queue.size() < maxBufferedBatches;
    }

    /** Completes when a sink may add again (room in the queue, or nobody to read). */
    synchronized CompletableFuture<Void> sinkBlocked() {
        if (sourceClosed || queue.size() < maxBufferedBatches) {
            return CompletableFuture.completedFuture(null);
        }
        if (notFull.isDone()) {
            notFull = new CompletableFuture<>();
        }
        return notFull;
    }

    /** Takes ownership of the batch: queues it in this exchange's allocator, or frees it when nobody will read. */
    void add(VectorSchemaRoot batch) {
        VectorSchemaRoot moved;
        try (batch) {
            synchronized (this) {
                if (sourceClosed) {
                    return;
                }
            }
            moved = transfer(batch);
        }
        CompletableFuture<Void> wake;
        synchronized (this) {
            if (sourceClosed) {
                moved.close();
                return;
            }
            queue.add(moved);
            wake = notEmpty;
        }
        wake.complete(null);
    }

    synchronized boolean sourceClosed() {
        return sourceClosed;
    }

    /** One sink will add no more. */
    void sinkFinished() {
        CompletableFuture<Void> wake;
        synchronized (this) {
            if (openSinks == 0) {
                throw new IllegalStateException("more sinks finished than were announced");
            }
            openSinks--;
            wake = notEmpty;
        }
        wake.complete(null);
    }

    // ----- the source -----

    /** The next batch, which belongs to the caller, or null when none is queued. */
    VectorSchemaRoot poll() {
        CompletableFuture<Void> wake;
        VectorSchemaRoot batch;
        synchronized (this) {
            batch = queue.poll();
            if (batch == null) {
                return null;
            }
            wake = notFull;
        }
        wake.complete(null);
        return batch;
    }

    /** Completes when a batch is queued or every sink has finished. */
    synchronized CompletableFuture<Void> sourceBlocked() {
        if (!queue.isEmpty() || openSinks == 0 || sourceClosed) {
            return CompletableFuture.completedFuture(null);
        }
        if (notEmpty.isDone()) {
            notEmpty = new CompletableFuture<>();
        }
        return notEmpty;
    }

    /** Every sink has finished and every batch was taken. */
    synchronized boolean isFinished() {
        return sourceClosed || (openSinks == 0 && queue.isEmpty());
    }

    /** The reader needs no more: frees what is queued; sinks finish at once from now on. */
    void closeSource() {
        List<VectorSchemaRoot> dropped;
        CompletableFuture<Void> wake;
        synchronized (this) {
            sourceClosed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            wake = notFull;
        }
        dropped.forEach(VectorSchemaRoot::close);
        wake.complete(null);
    }

    private VectorSchemaRoot transfer(VectorSchemaRoot batch) {
        List<FieldVector> vectors = new ArrayList<>(batch.getFieldVectors().size());
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                var pair = vector.getTransferPair(allocator);
                pair.transfer();
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
    }
}
