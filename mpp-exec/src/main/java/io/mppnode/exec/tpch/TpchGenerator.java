package io.mppnode.exec.tpch;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.exec.storage.ColumnSchema;
import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchEntity;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Generates one part of a TPC-H table (the TPC-H generator {@code io.trino.tpch}) as Arrow
 * batches: the table's columns plus the rows' handles (see {@link TpchTable}). The same scale
 * factor, part and part count always give the same rows.
 */
public final class TpchGenerator {
    private TpchGenerator() {}

    /** A batch of generated rows and their handles; the receiver owns and closes both. */
    public record Batch(VectorSchemaRoot rows, BigIntVector handles) implements AutoCloseable {
        @Override
        public void close() {
            rows.close();
            handles.close();
        }
    }

    /** The table's columns as an Arrow schema. */
    public static Schema schema(TpchTable table) {
        return new Schema(table.columns().stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
    }

    /**
     * Generates part {@code part} (from 1) of {@code parts} in batches of at most
     * {@code batchRows} rows, handing each to {@code sink}, which owns it. Memory comes from
     * {@code allocator}.
     */
    public static void generate(TpchTable table, double scaleFactor, int part, int parts, int batchRows,
            BufferAllocator allocator, Consumer<Batch> sink) {
        requireNonNull(sink, "sink is null");
        TpchTable.checkPart(part, parts);
        if (!(scaleFactor > 0)) {
            throw new IllegalArgumentException("scale factor must be positive: " + scaleFactor);
        }
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        generateTyped(table, table.generator(), scaleFactor, part, parts, batchRows, allocator, sink);
    }

    private static <E extends TpchEntity> void generateTyped(TpchTable table, io.trino.tpch.TpchTable<E> generator,
            double scaleFactor, int part, int parts, int batchRows, BufferAllocator allocator, Consumer<Batch> sink) {
        List<TpchColumn<E>> columns = generator.getColumns();
        Schema schema = schema(table);
        Iterator<E> rows = generator.createGenerator(scaleFactor, part, parts).iterator();
        long lastRowNumber = -1;
        int ordinal = 0;
        while (rows.hasNext()) {
            VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
            BigIntVector handles = new BigIntVector("_handle", allocator);
            try {
                batch.allocateNew();
                handles.allocateNew(batchRows);
                batch.getFieldVectors().forEach(vector -> vector.setInitialCapacity(batchRows));
                int count = 0;
                while (count < batchRows && rows.hasNext()) {
                    E row = rows.next();
                    ordinal = row.rowNumber() == lastRowNumber ? ordinal + 1 : 0;
                    lastRowNumber = row.rowNumber();
                    handles.setSafe(count, row.rowNumber() * table.fanOut() + ordinal);
                    for (int c = 0; c < columns.size(); c++) {
                        set(batch.getVector(c), table.columns().get(c), columns.get(c), row, count);
                    }
                    count++;
                }
                batch.setRowCount(count);
                handles.setValueCount(count);
            } catch (RuntimeException e) {
                batch.close();
                handles.close();
                throw e;
            }
            sink.accept(new Batch(batch, handles));
        }
    }

    private static <E extends TpchEntity> void set(FieldVector vector, ColumnSchema schema, TpchColumn<E> column, E row, int index) {
        switch (vector) {
            case BigIntVector v -> v.setSafe(index, column.getIdentifier(row));
            case IntVector v -> v.setSafe(index, column.getInteger(row));
            case DateDayVector v -> v.setSafe(index, column.getDate(row));
            case DecimalVector v -> v.setSafe(index, Math.round(column.getDouble(row) * 100)); // the unscaled value, scale 2
            case VarCharVector v -> v.setSafe(index, column.getString(row).getBytes(StandardCharsets.UTF_8));
            default -> throw new IllegalStateException("column " + schema.name() + " has an unexpected vector " + vector);
        }
    }
}
