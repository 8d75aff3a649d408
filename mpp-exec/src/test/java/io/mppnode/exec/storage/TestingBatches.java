package io.mppnode.exec.storage;

import io.mppnode.exec.type.ArrowValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Reads batches back as Java values (see {@link ArrowValues}) for equality assertions. */
public final class TestingBatches {
    private TestingBatches() {}

    public static List<List<Object>> rows(VectorSchemaRoot batch) {
        List<List<Object>> rows = new ArrayList<>();
        for (int row = 0; row < batch.getRowCount(); row++) {
            List<Object> values = new ArrayList<>();
            for (FieldVector vector : batch.getFieldVectors()) {
                values.add(ArrowValues.get(vector, row));
            }
            rows.add(values);
        }
        return rows;
    }
}
