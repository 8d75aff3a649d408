package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.proto.plan.DataType;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The sink of a hash join's build pipeline: keeps every batch of the build side, with its
 * evaluated keys, and when it finishes hands them to the {@link JoinBridge}. The last of the
 * join's build instances to finish builds the {@link LookupTable} there and then, and publishes
 * it to the probes.
 *
 * <p>Memory: each batch's buffers are transferred into this operator's context allocator, so
 * the build side's memory is the join's; from {@link #finish()} on the bridge owns them (and, once
 * built, the table). {@link #close()} frees what this operator still holds; closing before
 * {@link #finish()} tells the bridge that the build will never complete.
 */
public final class HashBuildOperator implements Operator {
    private final OperatorContext context;
    private final List<VectorExpr> buildKeys;
    private final List<DataType> keyTypes;
    private final JoinBridge bridge;
    private BuildPart part = new BuildPart();
    private boolean schemaRecorded;
    private boolean finished;
    private boolean closed;

    /**
     * Registers with the bridge as one of its build instances.
     *
     * @param buildKeys the join keys over the build side's columns, at least one; their types are
     *     the probe keys' types
     * @throws IllegalStateException when the bridge already has all its build instances
     */
    public HashBuildOperator(OperatorContext context, List<VectorExpr> buildKeys, JoinBridge bridge) {
        this.context = requireNonNull(context, "context is null");
        this.buildKeys = List.copyOf(buildKeys);
        this.bridge = requireNonNull(bridge, "bridge is null");
        if (this.buildKeys.isEmpty()) {
            throw new IllegalArgumentException("executor '" + context.executorId() + "': a hash join needs at least one key");
        }
        this.keyTypes = this.buildKeys.stream().map(VectorExpr::type).toList();
        bridge.registerBuild();
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finished && !closed;
    }

    /** Takes ownership of {@code batch}: its buffers move into this operator's allocator. */
    @Override
    public void addInput(VectorSchemaRoot batch) {
        if (!needsInput()) {
            batch.close();
            throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
        }
        VectorSchemaRoot owned = Batches.transfer(batch, context.allocator());
        try {
            if (!schemaRecorded) {
                bridge.recordBuildSchema(owned.getSchema());
                schemaRecorded = true;
            }
            if (owned.getRowCount() == 0) {
                owned.close();
                return;
            }
            FieldVector[] keys = Batches.evaluateAll(buildKeys, owned, context.allocator());
            part.add(owned, keys);
        } catch (RuntimeException | Error e) {
            owned.close();
            throw e;
        }
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    /**
     * Hands the rows to the bridge; the last build instance builds the table here.
     *
     * @throws org.apache.arrow.memory.OutOfMemoryException when the table does not fit
     */
    @Override
    public void finish() {
        if (finished || closed) {
            return;
        }
        finished = true;
        BuildPart handed = part;
        part = null;
        bridge.finishBuild(handed, keyTypes, context.allocator());
    }

    @Override
    public boolean isFinished() {
        return finished || closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (part != null) {
            part.close();
            part = null;
        }
        bridge.buildClosed(finished);
    }
}
