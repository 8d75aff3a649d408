package io.mppnode.exec.driver;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A sink that records the values of column 0 (int64) of every batch and frees the batch. When
 * told to {@link #blockAfterEachBatch}, every batch blocks it until the test completes
 * {@link #blocked()}.
 */
class TestingSinkOperator implements Operator {
    private final OperatorContext context;
    private final List<Long> values = new ArrayList<>();
    private final List<Integer> batchSizes = new ArrayList<>();
    private boolean blockAfterEachBatch;
    private CompletableFuture<Void> blocked = NOT_BLOCKED;
    private int finishCalls;
    private volatile boolean closed;

    TestingSinkOperator(OperatorContext context) {
        this.context = context;
    }

    void blockAfterEachBatch() {
        blockAfterEachBatch = true;
    }

    /** The future the sink is blocked on now. */
    CompletableFuture<Void> blocked() {
        return blocked;
    }

    List<Long> values() {
        return values;
    }

    List<Integer> batchSizes() {
        return batchSizes;
    }

    int finishCalls() {
        return finishCalls;
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
        return finishCalls == 0 && blocked.isDone();
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            if (!needsInput()) {
                throw new IllegalStateException("addInput while not needing input");
            }
            BigIntVector vector = (BigIntVector) batch.getVector(0);
            for (int row = 0; row < batch.getRowCount(); row++) {
                values.add(vector.get(row));
            }
            batchSizes.add(batch.getRowCount());
        }
        if (blockAfterEachBatch) {
            blocked = new CompletableFuture<>();
        }
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    @Override
    public void finish() {
        finishCalls++;
    }

    @Override
    public boolean isFinished() {
        return finishCalls > 0 && blocked.isDone();
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public boolean countsInputAsOutput() {
        return true;
    }
}
