package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.type.ArrowValues;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A source of the given rows (Java values, see {@link ArrowValues}) in batches of at most
 * {@code batchRows}, each written into a new batch of its context's allocator when asked for.
 * A test can make it block, after some batches, until a future completes.
 */
final class TestingRowSource implements Operator {
    private final OperatorContext context;
    private final Schema schema;
    private final List<List<Object>> rows;
    private final int batchRows;
    private int next;
    private int batches;
    private int blockAfterBatches = Integer.MAX_VALUE;
    private CompletableFuture<Void> unblocked = NOT_BLOCKED;
    private boolean finished;

    TestingRowSource(OperatorContext context, Schema schema, List<List<Object>> rows, int batchRows) {
        this.context = requireNonNull(context, "context is null");
        this.schema = requireNonNull(schema, "schema is null");
        this.rows = List.copyOf(rows);
        this.batchRows = batchRows;
    }

    /** After {@code count} batches, blocks until {@code until} completes. */
    void blockAfter(int count, CompletableFuture<Void> until) {
        blockAfterBatches = count;
        unblocked = until;
    }

    int batchesProduced() {
        return batches;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return batches >= blockAfterBatches && !unblocked.isDone() ? unblocked : NOT_BLOCKED;
    }

    @Override
    public boolean needsInput() {
        return false;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        batch.close();
        throw new UnsupportedOperationException("a source takes no input");
    }

    @Override
    public VectorSchemaRoot getOutput() {
        if (finished || !isBlocked().isDone()) {
            return null;
        }
        int count = Math.min(batchRows, rows.size() - next);
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, context.allocator());
        try {
            for (int column = 0; column < schema.getFields().size(); column++) {
                for (int row = 0; row < count; row++) {
                    ArrowValues.set(batch.getVector(column), row, rows.get(next + row).get(column));
                }
                batch.getVector(column).setValueCount(count);
            }
            batch.setRowCount(count);
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        next += count;
        batches++;
        finished = next >= rows.size();
        return batch;
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public boolean isFinished() {
        return finished || next >= rows.size();
    }

    @Override
    public void close() {
        finished = true;
    }
}
