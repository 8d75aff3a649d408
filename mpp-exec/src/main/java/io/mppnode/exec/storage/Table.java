package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A stored table: its definition and the regions of it this node holds, which never overlap.
 * Thread-safe. Owns its regions and its memory (a child allocator) and frees them on
 * {@link #close()}.
 */
public final class Table implements AutoCloseable {
    private final TableInfo info;
    private final BufferAllocator allocator;
    private final Map<Long, Region> regions = new ConcurrentHashMap<>();

    Table(TableInfo info, BufferAllocator parent) {
        this.info = requireNonNull(info, "info is null");
        this.allocator = parent.newChildAllocator("table-" + info.id() + "-" + info.name(), 0, Long.MAX_VALUE);
    }

    /** A table built row by row in one region (id = the table id, every handle), written at ts 0. */
    public static Builder builder(long id, String name) {
        return new Builder(id, name);
    }

    public TableInfo info() {
        return info;
    }

    public long id() {
        return info.id();
    }

    public String name() {
        return info.name();
    }

    public List<ColumnSchema> columns() {
        return info.columns();
    }

    public Optional<ColumnSchema> column(String columnName) {
        return info.column(columnName);
    }

    /**
     * Adds an empty region. Called through {@link Catalog#addRegion}, which keeps region ids
     * unique on the node.
     *
     * @throws IllegalArgumentException when it overlaps a region of the table this node holds
     */
    synchronized Region addRegion(long regionId, RegionEpoch epoch, HandleRange range) {
        for (Region region : regions.values()) {
            if (region.range().overlaps(range)) {
                throw new IllegalArgumentException("region " + regionId + " " + range + " of table '" + info.name()
                        + "' overlaps region " + region.id() + " " + region.range());
            }
        }
        Region region = new Region(regionId, info, epoch, range, allocator);
        regions.put(regionId, region);
        return region;
    }

    public Optional<Region> region(long regionId) {
        return Optional.ofNullable(regions.get(regionId));
    }

    /** The regions held here, in handle order. */
    public List<Region> regions() {
        List<Region> list = new ArrayList<>(regions.values());
        list.sort(Comparator.comparingLong(region -> region.range().start()));
        return list;
    }

    /** Row versions stored in all regions (what a snapshot at the newest ts sees, when nothing was updated or deleted). */
    public long storedRows() {
        return regions.values().stream().mapToLong(Region::storedRows).sum();
    }

    public long bytes() {
        return regions.values().stream().mapToLong(Region::bytes).sum();
    }

    @Override
    public synchronized void close() {
        regions.values().forEach(Region::close);
        regions.clear();
        allocator.close();
    }

    /** Collects rows, then writes them into one region at commit ts 0 (visible at every timestamp). Not thread-safe. */
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

        /** Writes the rows (handles 0, 1, ...) into a table whose memory is a child of {@code parent}; the table owns it. */
        public Table build(BufferAllocator parent) {
            TableInfo info = new TableInfo(id, name, columns);
            Table table = new Table(info, parent);
            try {
                Region region = table.addRegion(id, RegionEpoch.INITIAL, HandleRange.ALL);
                VectorSchemaRoot data = VectorSchemaRoot.create(Tables.arrowSchema(columns), parent);
                BigIntVector handles = new BigIntVector("_handle", parent);
                try {
                    data.allocateNew();
                    handles.allocateNew(Math.max(1, rows.size()));
                    for (int row = 0; row < rows.size(); row++) {
                        for (int column = 0; column < columns.size(); column++) {
                            ArrowValues.set(data.getVector(column), row, rows.get(row)[column]);
                        }
                        handles.set(row, row);
                    }
                    data.setRowCount(rows.size());
                    handles.setValueCount(rows.size());
                } catch (RuntimeException e) {
                    data.close();
                    handles.close();
                    throw e;
                }
                region.append(data, handles, 0);
            } catch (RuntimeException e) {
                table.close();
                throw e;
            }
            return table;
        }
    }
}
