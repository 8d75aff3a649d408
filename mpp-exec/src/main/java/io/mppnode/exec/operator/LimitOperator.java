package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Skips the first {@code offset} rows, then passes on the next {@code limit} rows, and stops.
 * It streams: a batch goes on whole (its buffers moved into this operator's allocator, no copy)
 * or sliced (sharing the batch's value buffers, see {@link BatchTransfer#slice}). Once the limit
 * is reached it needs no more input, and is finished as soon as its last batch is taken, so a
 * driver stops pulling batches from upstream at once. A limit of 0 is finished from the start.
 *
 * <p>Holds at most one output batch. Not thread-safe.
 */
public final class LimitOperator implements Operator {
    private final OperatorContext context;
    private long rowsToSkip;
    private long rowsToPass;
    private VectorSchemaRoot pending;
    private boolean finishing;
    private boolean closed;

    /**
     * @param limit the most rows to pass on, at least 0
     * @param offset the rows to skip first, at least 0
     */
    public LimitOperator(OperatorContext context, long limit, long offset) {
        this.context = requireNonNull(context, "context is null");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        this.rowsToPass = limit;
        this.rowsToSkip = offset;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finishing && !closed && pending == null && rowsToPass > 0;
    }

    /** Takes ownership of {@code batch}: frees it, or moves (part of) it into the output. */
    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            if (!needsInput()) {
                throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
            }
            int rows = batch.getRowCount();
            int skipped = (int) Math.min(rowsToSkip, rows);
            int passed = (int) Math.min(rowsToPass, rows - skipped);
            rowsToSkip -= skipped;
            if (passed == 0) {
                return;
            }
            pending = passed == rows
                    ? BatchTransfer.transfer(batch, context.allocator())
                    : BatchTransfer.slice(batch, skipped, passed, context.allocator());
            rowsToPass -= passed;
        }
    }

    /** The next batch, in this operator's allocator, or null; the batch belongs to the caller. */
    @Override
    public VectorSchemaRoot getOutput() {
        VectorSchemaRoot output = pending;
        pending = null;
        return output;
    }

    @Override
    public void finish() {
        finishing = true;
    }

    @Override
    public boolean isFinished() {
        return pending == null && (finishing || closed || rowsToPass == 0);
    }

    @Override
    public void close() {
        closed = true;
        if (pending != null) {
            pending.close();
            pending = null;
        }
    }
}
