package io.mppnode.exec.operator.join;

import io.mppnode.exec.expr.VectorExpr;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.TransferPair;

/** Batch plumbing shared by the join operators. */
final class Batches {
    private Batches() {}

    /**
     * Moves the buffers of {@code batch} into {@code allocator} (no copy) and closes it.
     *
     * @return a new batch with the same columns and rows, owned by the caller
     */
    static VectorSchemaRoot transfer(VectorSchemaRoot batch, BufferAllocator allocator) {
        try (batch) {
            List<FieldVector> moved = new ArrayList<>(batch.getFieldVectors().size());
            try {
                for (FieldVector vector : batch.getFieldVectors()) {
                    TransferPair pair = vector.getTransferPair(allocator);
                    pair.transfer();
                    moved.add((FieldVector) pair.getTo());
                }
            } catch (RuntimeException | Error e) {
                moved.forEach(FieldVector::close);
                throw e;
            }
            return new VectorSchemaRoot(batch.getSchema().getFields(), moved, batch.getRowCount());
        }
    }

    /** Evaluates each expression over {@code batch}; the vectors are the caller's. On a failure closes what was evaluated. */
    static FieldVector[] evaluateAll(List<VectorExpr> exprs, VectorSchemaRoot batch, BufferAllocator allocator) {
        FieldVector[] values = new FieldVector[exprs.size()];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = exprs.get(i).evaluate(batch, allocator);
            }
        } catch (RuntimeException | Error e) {
            closeAll(values);
            throw e;
        }
        return values;
    }

    static void closeAll(FieldVector[] vectors) {
        if (vectors == null) {
            return;
        }
        for (FieldVector vector : vectors) {
            if (vector != null) {
                vector.close();
            }
        }
    }

    /** The field as nullable: a column of a join's output may be NULL-padded. */
    static Field nullable(Field field) {
        if (field.isNullable()) {
            return field;
        }
        return new Field(field.getName(), FieldType.nullable(field.getType()), field.getChildren());
    }

    /** Makes {@code target} (empty) hold {@code rows} NULLs. */
    static void fillNulls(FieldVector target, int rows) {
        target.setInitialCapacity(rows);
        target.allocateNew(); // zeroed: every validity bit clear
        target.setValueCount(rows);
    }
}
