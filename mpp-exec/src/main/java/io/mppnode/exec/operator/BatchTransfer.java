package io.mppnode.exec.operator;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Moves a batch, or a range of its rows, into an operator's allocator without copying values,
 * so that what an operator holds is counted under its executor.
 */
final class BatchTransfer {
    private BatchTransfer() {}

    /**
     * A batch holding all of {@code batch}'s buffers, now counted in {@code allocator}. The new
     * batch belongs to the caller; {@code batch} is left empty and stays the caller's to close.
     */
    static VectorSchemaRoot transfer(VectorSchemaRoot batch, BufferAllocator allocator) {
        return move(batch, allocator, 0, batch.getRowCount(), true);
    }

    /**
     * The rows {@code from .. from + count - 1} of {@code batch} as a new batch in
     * {@code allocator}, sharing the batch's value buffers (Arrow copies only what it must: a
     * validity bitmap sliced at a row that is not a multiple of 8, a string column's offsets).
     * The new batch belongs to the caller; {@code batch} stays the caller's to close.
     */
    static VectorSchemaRoot slice(VectorSchemaRoot batch, int from, int count, BufferAllocator allocator) {
        return move(batch, allocator, from, count, false);
    }

    private static VectorSchemaRoot move(VectorSchemaRoot batch, BufferAllocator allocator, int from, int count,
            boolean whole) {
        List<FieldVector> moved = new ArrayList<>(batch.getFieldVectors().size());
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(allocator);
                if (whole) {
                    pair.transfer();
                } else {
                    pair.splitAndTransfer(from, count);
                }
                moved.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException | Error e) {
            moved.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), moved, count);
    }

    /**
     * Refuses to go on holding memory beyond the operator's limit. Arrow moves buffers into an
     * allocator even past its limit (a transfer never fails), so an operator that buffers its
     * input checks after each transfer.
     *
     * @throws OutOfMemoryException when {@code allocator}, or an ancestor, holds more than its limit
     */
    static void checkLimit(BufferAllocator allocator, String executorId) {
        if (allocator.isOverLimit()) {
            String limit = allocator.getAllocatedMemory() > allocator.getLimit()
                    ? "its memory limit of " + allocator.getLimit() + " bytes"
                    : "the memory limit of the query";
            throw new OutOfMemoryException("executor '" + executorId + "' holds " + allocator.getAllocatedMemory()
                    + " bytes of buffered input, beyond " + limit);
        }
    }
}
