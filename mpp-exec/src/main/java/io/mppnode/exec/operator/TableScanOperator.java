package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.partition.RowGather;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.ScanPiece;
import io.mppnode.exec.storage.Snapshot;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.storage.Tables;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Reads columns of a snapshot of a table's regions (the pieces a snapshot sees) in batches of
 * at most {@code batchRows} rows. A contiguous run of a chunk's rows is handed out without
 * copying: the batch's buffers share the stored memory (stored chunks are immutable), and the
 * operator's allocator accounts for them while the batch lives. Selected rows of a chunk (a
 * snapshot that hides some versions, or key ranges inside a chunk) are copied. A column added
 * to the table after a chunk was written reads as NULLs, allocated in the operator's allocator.
 *
 * <p>The operator owns its {@link Snapshot}: it keeps the chunks it reads alive (a compaction or
 * a dropped table frees them only after) and gives them back once it has handed out its last
 * batch, on {@link #finish()}, or on {@link #close()}. Batches already handed out hold their own
 * references to shared buffers.
 */
public final class TableScanOperator implements Operator {
    private final OperatorContext context;
    private final List<String> columns;
    private final int[] columnIndexes;
    private final Schema schema;
    private final int batchRows;
    private final Snapshot snapshot;
    private final List<ScanPiece> pieces;
    private int piece;
    private int offset;
    private boolean finished;

    /**
     * Reads the pieces of {@code snapshot}, of a table whose definition is {@code table} (or an
     * older one: chunks written later hold more columns, which are not read). Takes ownership of
     * the snapshot, also when it throws.
     *
     * @throws IllegalArgumentException when a column is not the table's, or batchRows is not positive
     */
    public TableScanOperator(OperatorContext context, TableInfo table, List<String> columns, Snapshot snapshot, int batchRows) {
        try {
            this.context = requireNonNull(context, "context is null");
            this.columns = List.copyOf(columns);
            if (batchRows <= 0) {
                throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
            }
            this.batchRows = batchRows;
            this.columnIndexes = new int[this.columns.size()];
            List<ColumnSchema> schemas = new ArrayList<>();
            for (int i = 0; i < this.columns.size(); i++) {
                String name = this.columns.get(i);
                columnIndexes[i] = table.columnIndex(name);
                if (columnIndexes[i] < 0) {
                    throw new IllegalArgumentException("table '" + table.name() + "' has no column '" + name + "'");
                }
                schemas.add(table.columns().get(columnIndexes[i]));
            }
            this.schema = Tables.arrowSchema(schemas);
        } catch (RuntimeException | Error e) {
            snapshot.close();
            throw e;
        }
        this.snapshot = snapshot;
        this.pieces = snapshot.pieces();
    }

    /**
     * Reads the given pieces of a table's snapshot (from {@link Region#snapshot}), holding their
     * chunks from now on.
     *
     * @throws IllegalStateException when a chunk of the pieces was freed since (compacted or dropped)
     */
    public TableScanOperator(OperatorContext context, TableInfo table, List<String> columns, List<ScanPiece> pieces, int batchRows) {
        this(context, table, columns, Snapshot.of(pieces), batchRows);
    }

    public TableScanOperator(OperatorContext context, Table table, List<String> columns, int batchRows) {
        this(context, table, columns, batchRows, 0, 1);
    }

    /**
     * Reads part {@code part} of {@code parts} of everything the table holds, at the newest
     * snapshot: the parts of one scan together read every row once.
     */
    public TableScanOperator(OperatorContext context, Table table, List<String> columns, int batchRows, int part, int parts) {
        this(context, table.info(), columns, newestPart(table, checkPart(part, parts), parts), batchRows);
    }

    private static int checkPart(int part, int parts) {
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts);
        }
        return part;
    }

    private static Snapshot newestPart(Table table, int part, int parts) {
        try (Snapshot all = table.openSnapshot(Long.MAX_VALUE)) {
            if (parts == 1) {
                return all.share();
            }
            List<Snapshot> split = all.split(parts);
            for (int other = 0; other < parts; other++) {
                if (other != part) {
                    split.get(other).close();
                }
            }
            return split.get(part);
        }
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
        while (piece < pieces.size() && offset >= pieces.get(piece).rowCount()) {
            piece++;
            offset = 0;
        }
        if (piece >= pieces.size()) {
            finish();
            return null;
        }
        ScanPiece current = pieces.get(piece);
        int rows = Math.min(batchRows, current.rowCount() - offset);
        VectorSchemaRoot batch = current.isContiguous() ? share(current, rows) : copy(current, rows);
        offset += rows;
        if (!hasRowsAfter(piece)) {
            finish();
        }
        return batch;
    }

    private boolean hasRowsAfter(int index) {
        if (offset < pieces.get(index).rowCount()) {
            return true;
        }
        for (int next = index + 1; next < pieces.size(); next++) {
            if (pieces.get(next).rowCount() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Rows {@code [offset, offset + rows)} of a contiguous piece, sharing the stored buffers. */
    private VectorSchemaRoot share(ScanPiece current, int rows) {
        int start = current.row(offset);
        List<FieldVector> vectors = new ArrayList<>(columnIndexes.length);
        try {
            for (int column = 0; column < columnIndexes.length; column++) {
                int index = columnIndexes[column];
                if (!current.holdsColumn(index)) {
                    vectors.add(nulls(column, rows));
                    continue;
                }
                TransferPair pair = current.data().getVector(index).getTransferPair(context.allocator());
                pair.splitAndTransfer(start, rows);
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        // Sharing moves the accounting of the stored buffers to this allocator without asking
        // its limit; a scan whose batches do not fit fails as an allocation would.
        if (context.allocator().getHeadroom() < 0) {
            long held = context.allocator().getAllocatedMemory();
            vectors.forEach(FieldVector::close);
            throw new OutOfMemoryException("a batch of " + rows + " stored rows brings the scan's memory to " + held
                    + " bytes, over its limit");
        }
        return new VectorSchemaRoot(schema.getFields(), vectors, rows);
    }

    /** Rows {@code [offset, offset + rows)} of a piece of selected rows, gathered column by column into new vectors. */
    private VectorSchemaRoot copy(ScanPiece current, int rows) {
        List<FieldVector> vectors = new ArrayList<>(columnIndexes.length);
        try {
            for (int column = 0; column < columnIndexes.length; column++) {
                int index = columnIndexes[column];
                if (!current.holdsColumn(index)) {
                    vectors.add(nulls(column, rows));
                    continue;
                }
                FieldVector target = schema.getFields().get(column).createVector(context.allocator());
                vectors.add(target);
                RowGather.gather(current.data().getVector(index), current.rows(), current.from() + offset, rows, target);
            }
        } catch (RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(schema.getFields(), vectors, rows);
    }

    /** A vector of {@code rows} NULLs for output column {@code column}, which the piece's chunk does not store. */
    private FieldVector nulls(int column, int rows) {
        FieldVector vector = schema.getFields().get(column).createVector(context.allocator());
        try {
            vector.setInitialCapacity(rows);
            vector.allocateNew();
            vector.setValueCount(rows);
        } catch (RuntimeException e) {
            vector.close();
            throw e;
        }
        return vector;
    }

    /** Stops the scan and gives back its snapshot. */
    @Override
    public void finish() {
        finished = true;
        snapshot.close();
    }

    @Override
    public boolean isFinished() {
        return finished;
    }

    @Override
    public void close() {
        finish();
    }
}
