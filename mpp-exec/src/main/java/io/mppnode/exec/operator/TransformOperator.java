package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An operator that turns each input batch into at most one output batch, at once (Selection,
 * Projection). It holds at most one output batch: it needs input only while it holds none.
 */
abstract class TransformOperator implements Operator {
    private final OperatorContext context;
    private VectorSchemaRoot pending;
    private boolean finishing;
    private boolean closed;

    TransformOperator(OperatorContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    /**
     * The output for one input batch, in this operator's allocator, or null when nothing of it
     * remains. Takes ownership of {@code batch} (closes it, or hands it on as the output).
     */
    abstract VectorSchemaRoot transform(VectorSchemaRoot batch);

    @Override
    public final OperatorContext context() {
        return context;
    }

    @Override
    public final boolean needsInput() {
        return !finishing && !closed && pending == null;
    }

    @Override
    public final void addInput(VectorSchemaRoot batch) {
        if (!needsInput()) {
            batch.close();
            throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
        }
        pending = transform(batch);
    }

    @Override
    public final VectorSchemaRoot getOutput() {
        VectorSchemaRoot output = pending;
        pending = null;
        return output;
    }

    @Override
    public final void finish() {
        finishing = true;
    }

    @Override
    public final boolean isFinished() {
        return (finishing || closed) && pending == null;
    }

    @Override
    public final void close() {
        closed = true;
        if (pending != null) {
            pending.close();
            pending = null;
        }
    }
}
