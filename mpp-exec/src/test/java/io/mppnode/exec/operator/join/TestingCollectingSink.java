package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.type.ArrowValues;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A sink that reads every batch back as Java values and records its size. By default it frees
 * each batch at once; told to {@link #keepBatches}, it holds them until closed (a consumer that
 * never lets go, to push an allocator to its limit). Told to {@link #stopAfter}, it stops taking
 * batches after that many (blocked for good), to leave its upstream mid-work.
 */
final class TestingCollectingSink implements Operator {
    private final OperatorContext context;
    private final List<List<Object>> rows = new ArrayList<>();
    private final List<VectorSchemaRoot> kept = new ArrayList<>();
    private final CompletableFuture<Void> never = new CompletableFuture<>();
    private boolean keepBatches;
    private boolean readRows = true;
    private int stopAfterBatches = Integer.MAX_VALUE;
    private int batches;
    private long rowCount;
    private int largestBatch;
    private int columnCount = -1;
    private boolean finished;

    TestingCollectingSink(OperatorContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    void keepBatches() {
        keepBatches = true;
    }

    /** Counts rows without reading them back (for joins that emit millions). */
    void countOnly() {
        readRows = false;
    }

    void stopAfter(int count) {
        stopAfterBatches = count;
    }

    List<List<Object>> rows() {
        return rows;
    }

    long rowCount() {
        return rowCount;
    }

    int batches() {
        return batches;
    }

    int largestBatch() {
        return largestBatch;
    }

    /** The column count of the batches seen, or -1 when none came. */
    int columnCount() {
        return columnCount;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return batches >= stopAfterBatches ? never : NOT_BLOCKED;
    }

    @Override
    public boolean needsInput() {
        return !finished && batches < stopAfterBatches;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        try {
            if (!needsInput()) {
                throw new IllegalStateException("addInput while not needing input");
            }
            if (readRows) {
                rows.addAll(ArrowValues.rows(batch));
            }
            rowCount += batch.getRowCount();
            largestBatch = Math.max(largestBatch, batch.getRowCount());
            columnCount = batch.getFieldVectors().size();
            batches++;
        } finally {
            if (keepBatches) {
                kept.add(batch);
            } else {
                batch.close();
            }
        }
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public boolean isFinished() {
        return finished;
    }

    @Override
    public void close() {
        kept.forEach(VectorSchemaRoot::close);
        kept.clear();
    }
}
