package io.mppnode.exec.operator;

import io.mppnode.exec.type.ArrowValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Drives one operator through its whole life, as a driver would, and reads what came out. */
final class TestingOperators {
    private TestingOperators() {}

    /** What an operator gave: its rows as Java values, and the size of each batch. */
    record Output(List<List<Object>> rows, List<Integer> batchSizes) {}

    /**
     * Adds each batch while the operator needs input (closing the batches it no longer takes),
     * taking its output after each, then finishes it and takes the rest of its output. Every
     * batch, in and out, is closed; the operator is left for the caller to close.
     */
    static Output run(Operator operator, List<VectorSchemaRoot> batches) {
        List<List<Object>> rows = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        try {
            for (int i = 0; i < batches.size(); i++) {
                if (!operator.needsInput()) {
                    break;
                }
                VectorSchemaRoot batch = batches.get(i);
                batches.set(i, null);
                operator.addInput(batch);
                drain(operator, rows, sizes);
            }
            operator.finish();
            while (!operator.isFinished()) {
                if (!drain(operator, rows, sizes)) {
                    throw new AssertionError("operator is not finished and gives no output");
                }
            }
            if (operator.getOutput() != null) {
                throw new AssertionError("a finished operator gave output");
            }
        } finally {
            batches.forEach(batch -> {
                if (batch != null) {
                    batch.close();
                }
            });
        }
        return new Output(rows, sizes);
    }

    private static boolean drain(Operator operator, List<List<Object>> rows, List<Integer> sizes) {
        boolean any = false;
        for (VectorSchemaRoot next = operator.getOutput(); next != null; next = operator.getOutput()) {
            try (VectorSchemaRoot output = next) {
                rows.addAll(ArrowValues.rows(output));
                sizes.add(output.getRowCount());
                any = true;
            }
        }
        return any;
    }

    /** The values of the given columns of each row. */
    static List<List<Object>> project(List<List<Object>> rows, int... columns) {
        List<List<Object>> projected = new ArrayList<>(rows.size());
        for (List<Object> row : rows) {
            List<Object> values = new ArrayList<>(columns.length);
            for (int column : columns) {
                values.add(row.get(column));
            }
            projected.add(values);
        }
        return projected;
    }
}
