package io.mppnode.exec.operator;

import io.mppnode.exec.type.ArrowValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/** A sink that reads every batch into Java values (see {@link ArrowValues}) and frees it. */
final class TestingRowSink implements Operator {
    private final OperatorContext context;
    private final List<List<Object>> rows = new ArrayList<>();
    private boolean finished;

    TestingRowSink(OperatorContext context) {
        this.context = context;
    }

    List<List<Object>> rows() {
        return rows;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finished;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            rows.addAll(ArrowValues.rows(batch));
        }
    }

    @Override
    public VectorSchemaRoot getOutput() {
        return null;
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public boolean isFinished() {
        return finished;
    }

    @Override
    public void close() {
        finished = true;
    }
}
