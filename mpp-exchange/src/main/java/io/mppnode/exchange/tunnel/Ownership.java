package io.mppnode.exchange.tunnel;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/** Moving a batch's memory between allocators of one node: a transfer of accounting, never a copy. */
public final class Ownership {
    private Ownership() {}

    /**
     * Moves {@code batch} into {@code target}: the returned batch has the same buffers, accounted
     * to {@code target}. {@code batch} is closed (left empty) either way; the caller owns the
     * result.
     */
    public static VectorSchemaRoot moveTo(VectorSchemaRoot batch, BufferAllocator target) {
        List<FieldVector> vectors = new ArrayList<>(batch.getFieldVectors().size());
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(target);
                pair.transfer();
                vectors.add((FieldVector) pair.getTo());
            }
            return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        } finally {
            batch.close();
        }
    }
}
