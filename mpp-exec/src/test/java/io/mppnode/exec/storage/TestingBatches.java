package io.mppnode.exec.storage;

import io.mppnode.exec.type.ArrowValues;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Reads batches back as Java values (see {@link ArrowValues}) for equality assertions. */
public final class TestingBatches {
    private TestingBatches() {}

    public static List<List<Object>> rows(VectorSchemaRoot batch) {
        return ArrowValues.rows(batch);
    }
}
