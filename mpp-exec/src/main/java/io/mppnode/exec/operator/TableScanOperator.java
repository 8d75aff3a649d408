package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.storage.InMemoryTable;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads columns of an in-memory table in batches of at most {@code batchRows} rows. Each batch
 * is a copy in the operator's allocator, so that the query's memory accounts for it and the
 * table is never shared with a consumer that might close it.
 */
public final class TableScanOperator implements Operator {
    private final OperatorContext context;
    private final InMemoryTable table;
    private final List<String> columns;
    private final Schema schema;
    private final int batchRows;
    private final int endRow;
    private int nextRow;
    private boolean finished;

    public TableScanOperator(OperatorContext context, InMemoryTable table, List<String> columns, int batchRows) {
        this(context, table, columns, batchRows, 0, 1);
    }

    /**
     * Reads part {@code part} of {@code parts} of the table: rows {@code [part * n / parts,
     * (part + 1) * n / parts)}, so that the parts of one scan together read every row once.
     */
    public TableScanOperator(OperatorContext context, InMemoryTable table, List<String> columns, int batchRows,
            int part, int parts) {
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts);
        }
        this.nextRow = (int) ((long) table.rowCount() * part / parts);
        this.endRow = (int) ((long) table.rowCount() * (part + 1) / parts);
        this.context = requireNonNull(context, "context is null");
        this.table = requireNonNull(table, "table is null");
        this.columns = List.copyOf(columns);
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        this.batchRows = batchRows;
        this.schema = new Schema(this.columns.stream().map(column -> table.vector(column).getField()).toList());
    }

    public Schema schema() {
        return schema;
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return false;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        batch.close();
        throw new IllegalStateException("a table scan takes no input");
    }

    @Override
    public VectorSchemaRoot getOutput() {
        if (finished) {
            return null;
        }
        int rows = Math.min(batchRows, endRow - nextRow);
        if (rows <= 0) {
            finished = true;
            return null;
        }
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, context.allocator());
        try {
            for (int column = 0; column < columns.size(); column++) {
                FieldVector source = table.vector(columns.get(column));
                FieldVector target = batch.getVector(column);
                target.setInitialCapacity(rows);
                target.allocateNew();
                for (int row = 0; row < rows; row++) {
                    target.copyFromSafe(nextRow + row, row, source);
                }
                target.setValueCount(rows);
            }
            batch.setRowCount(rows);
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        nextRow += rows;
        finished = nextRow >= endRow;
        return batch;
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
