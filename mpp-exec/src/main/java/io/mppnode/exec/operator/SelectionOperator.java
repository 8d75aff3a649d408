package io.mppnode.exec.operator;

import io.mppnode.exchange.partition.RowGather;
import io.mppnode.exec.expr.VectorExpr;
import java.util.List;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Keeps the rows for which every condition is true (not false, not NULL). A batch whose rows
 * all pass goes on as it is (moved into this operator's allocator); one with none is dropped;
 * otherwise the passing rows are copied into a new batch, column by column in bulk
 * ({@link RowGather}, as the hash partitioner does).
 */
public final class SelectionOperator extends TransformOperator {
    private final List<VectorExpr> conditions;

    /** @param conditions BOOLEAN expressions over the input (see ExprBinder#bindCondition) */
    public SelectionOperator(OperatorContext context, List<VectorExpr> conditions) {
        super(context);
        this.conditions = List.copyOf(conditions);
    }

    @Override
    VectorSchemaRoot transform(VectorSchemaRoot batch) {
        try (batch) {
            int rows = batch.getRowCount();
            int[] kept = new int[rows];
            int count = rows;
            for (int i = 0; i < rows; i++) {
                kept[i] = i;
            }
            for (VectorExpr condition : conditions) {
                if (count == 0) {
                    break;
                }
                try (FieldVector result = condition.evaluate(batch, context().allocator())) {
                    BitVector bits = (BitVector) result;
                    int next = 0;
                    for (int k = 0; k < count; k++) {
                        int row = kept[k];
                        if (!bits.isNull(row) && bits.get(row) == 1) {
                            kept[next++] = row;
                        }
                    }
                    count = next;
                }
            }
            if (count == 0) {
                return null;
            }
            return count == rows ? move(batch) : gather(batch, kept, count);
        }
    }

    private VectorSchemaRoot move(VectorSchemaRoot batch) {
        List<FieldVector> moved = batch.getFieldVectors().stream().map(vector -> {
            TransferPair pair = vector.getTransferPair(context().allocator());
            pair.transfer();
            return (FieldVector) pair.getTo();
        }).toList();
        VectorSchemaRoot output = new VectorSchemaRoot(batch.getSchema().getFields(), moved, batch.getRowCount());
        return output;
    }

    private VectorSchemaRoot gather(VectorSchemaRoot batch, int[] kept, int count) {
        VectorSchemaRoot output = VectorSchemaRoot.create(batch.getSchema(), context().allocator());
        try {
            for (int column = 0; column < batch.getFieldVectors().size(); column++) {
                RowGather.gather(batch.getVector(column), kept, 0, count, output.getVector(column));
            }
            output.setRowCount(count);
        } catch (RuntimeException | Error e) {
            output.close();
            throw e;
        }
        return output;
    }
}
