package io.mppnode.exec.driver;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A source of one int64 column "n" numbered 0, 1, 2, ... across batches of the given sizes,
 * allocated from its context. The test can block it with {@link #blockUntil}.
 */
final class TestingSourceOperator implements Operator {
    static final Schema SCHEMA = new Schema(List.of(new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null)));

    private final OperatorContext context;
    private final ArrayDeque<Integer> batchSizes;
    private CompletableFuture<Void> blocked = NOT_BLOCKED;
    private long next;
    private int batchesProduced;
    private boolean closed;

    TestingSourceOperator(OperatorContext context, Integer... batchSizes) {
        this.context = context;
        this.batchSizes = new ArrayDeque<>(List.of(batchSizes));
    }

    void blockUntil(CompletableFuture<Void> future) {
        blocked = future;
    }

    int batchesProduced() {
        return batchesProduced;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        return blocked;
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
        if (!blocked.isDone()) {
            throw new IllegalStateException("getOutput while blocked");
        }
        Integer rows = batchSizes.poll();
        if (rows == null) {
            return null;
        }
        VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, context.allocator());
        BigIntVector vector = (BigIntVector) batch.getVector(0);
        vector.allocateNew(rows);
        for (int row = 0; row < rows; row++) {
            vector.set(row, next++);
        }
        batch.setRowCount(rows);
        batchesProduced++;
        return batch;
    }

    @Override
    public void finish() {
        batchSizes.clear();
    }

    @Override
    public boolean isFinished() {
        return batchSizes.isEmpty();
    }

    @Override
    public void close() {
        closed = true;
    }
}
