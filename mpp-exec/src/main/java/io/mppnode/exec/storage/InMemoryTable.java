package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A small table held in Arrow memory: an id, a name, typed columns and its rows. Immutable once
 * built, so any number of scans may read it at once. Loaded tables are visible at every
 * timestamp. The table owns its memory (a child of the allocator given to the builder) and
 * frees it on {@link #close()}.
 */
public final class InMemoryTable implements AutoCloseable {
    private final long id;
    private final String name;
    private final List<ColumnSchema> columns;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot data;

    private InMemoryTable(long id, String name, List<ColumnSchema> columns, BufferAllocator allocator, VectorSchemaRoot data) {
        this.id = id;
        this.name = name;
        this.columns = List.copyOf(columns);
        this.allocator = allocator;
        this.data = data;
    }

    public static Builder builder(long id, String name) {
        return new Builder(id, name);
    }

    public long id() {
        return id;
    }

    public String name() {
        return name;
    }

    public List<ColumnSchema> columns() {
        return columns;
    }

    public Optional<ColumnSchema> column(String columnName) {
        return columns.stream().filter(column -> column.name().equals(columnName)).findFirst();
    }

    public int rowCount() {
        return data.getRowCount();
    }

    /** The stored vector of a column, for reading only: callers must not modify or close it. */
    public FieldVector vector(String columnName) {
        FieldVector vector = data.getVector(columnName);
        if (vector == null) {
            throw new IllegalArgumentException("table '" + name + "' has no column '" + columnName + "'");
        }
        return vector;
    }

    @Override
    public void close() {
        data.close();
        allocator.close();
    }

    /** Collects rows, then writes them into Arrow memory. Not thread-safe. */
    public static final class Builder {
        private final long id;
        private final String name;
        private final List<ColumnSchema> columns = new ArrayList<>();
        private final List<Object[]> rows = new ArrayList<>();

        private Builder(long id, String name) {
            this.id = id;
            this.name = requireNonNull(name, "name is null");
        }

        public Builder column(String columnName, DataType type) {
            ColumnTypes.check(type, "column '" + columnName + "'");
            if (columns.stream().anyMatch(column -> column.name().equals(columnName))) {
                throw new IllegalArgumentException("table '" + name + "' already has a column '" + columnName + "'");
            }
            columns.add(new ColumnSchema(columnName, type));
            return this;
        }

        /** Adds a row: one Java value per column, in column order (see {@link ArrowValues}). */
        public Builder row(Object... values) {
            if (values.length != columns.size()) {
                throw new IllegalArgumentException("table '" + name + "' has " + columns.size()
                        + " columns, the row has " + values.length + " values");
            }
            rows.add(values.clone());
            return this;
        }

        /** Writes the rows into memory from a child of {@code parent}; the table owns it. */
        public InMemoryTable build(BufferAllocator parent) {
            Schema schema = new Schema(columns.stream()
                    .map(column -> ColumnTypes.toArrowField(column.name(), column.type()))
                    .toList());
            BufferAllocator allocator = parent.newChildAllocator("table-" + id + "-" + name, 0, Long.MAX_VALUE);
            VectorSchemaRoot data = VectorSchemaRoot.create(schema, allocator);
            try {
                data.allocateNew();
                for (int row = 0; row < rows.size(); row++) {
                    for (int column = 0; column < columns.size(); column++) {
                        ArrowValues.set(data.getVector(column), row, rows.get(row)[column]);
                    }
                }
                data.setRowCount(rows.size());
            } catch (RuntimeException e) {
                data.close();
                allocator.close();
                throw e;
            }
            return new InMemoryTable(id, name, columns, allocator, data);
        }
    }
}
