package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The build rows one {@link HashBuildOperator} instance took: its batches, in its context's
 * allocator, and each batch's evaluated key vectors. It owns them: the build operator until it
 * finishes, then the {@link JoinBridge}, then the {@link LookupTable} being built from it, which
 * frees them as it copies them. {@link #close()} frees whatever is left and may be repeated.
 * Not thread-safe; it changes hands under the bridge's lock.
 */
final class BuildPart implements AutoCloseable {
    private final List<VectorSchemaRoot> batches = new ArrayList<>();
    private final List<FieldVector[]> keys = new ArrayList<>();
    private long rowCount;

    /** Takes ownership of {@code batch} and of {@code batchKeys} (one vector per key, as many values as the batch has rows). */
    void add(VectorSchemaRoot batch, FieldVector[] batchKeys) {
        batches.add(requireNonNull(batch, "batch is null"));
        keys.add(requireNonNull(batchKeys, "batchKeys is null"));
        rowCount += batch.getRowCount();
    }

    long rowCount() {
        return rowCount;
    }

    /** The batches, for the table to read (and to close column by column as it copies them). */
    List<VectorSchemaRoot> batches() {
        return batches;
    }

    /** The key vectors of batch {@code index}. */
    FieldVector[] keys(int index) {
        return keys.get(index);
    }

    @Override
    public void close() {
        for (FieldVector[] batchKeys : keys) {
            for (FieldVector key : batchKeys) {
                key.close();
            }
        }
        for (VectorSchemaRoot batch : batches) {
            batch.close();
        }
        keys.clear();
        batches.clear();
        rowCount = 0;
    }
}
