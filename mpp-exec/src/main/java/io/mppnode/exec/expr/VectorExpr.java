package io.mppnode.exec.expr;

import io.mppnode.proto.plan.DataType;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A compiled expression that evaluates a whole batch at once ({@link ExprCompiler}): each node
 * runs one tight loop over the batch's rows and hands a vector up the tree, so nothing
 * interprets the tree per row.
 */
public interface VectorExpr {
    /** The result type (also the Arrow type of the vectors it returns, see ColumnTypes). */
    DataType type();

    /**
     * Evaluates over every row of {@code batch}, which stays the caller's. The returned vector
     * holds {@code batch.getRowCount()} values, comes from {@code allocator} and belongs to the
     * caller. When it throws, every vector it had allocated is freed.
     *
     * @throws io.mppnode.error.MppException DATA_ERROR for a value that cannot be computed
     *     (overflow, a cast out of range or of text that does not parse, a date out of range)
     */
    FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator);
}
