package io.mppnode.exec.operator;

import java.util.function.BiFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A source of {@code batches} batches, batch i made by a function in this source's allocator,
 * that counts the batches it produced and their bytes (to show how much input a consumer pulled).
 */
final class TestingBatchSource implements Operator {
    private final OperatorContext context;
    private final int batches;
    private final BiFunction<Integer, BufferAllocator, VectorSchemaRoot> makeBatch;
    private int produced;
    private long producedBytes;
    private boolean finished;

    TestingBatchSource(OperatorContext context, int batches, BiFunction<Integer, BufferAllocator, VectorSchemaRoot> makeBatch) {
        this.context = context;
        this.batches = batches;
        this.makeBatch = makeBatch;
    }

    int batchesProduced() {
        return produced;
    }

    long bytesProduced() {
        return producedBytes;
    }

    @Override
    public OperatorContext context() {
        return context;
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
        if (isFinished()) {
            return null;
        }
        VectorSchemaRoot batch = makeBatch.apply(produced, context.allocator());
        produced++;
        for (FieldVector vector : batch.getFieldVectors()) {
            producedBytes += vector.getBufferSize();
        }
        return batch;
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public boolean isFinished() {
        return finished || produced >= batches;
    }

    @Override
    public void close() {
        finished = true;
    }
}
