package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
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
 * {@link #close()} (the node stops), or, once dropped, when the last scan reading it closes.
 */
public final class Table implements AutoCloseable {
    private final BufferAllocator allocator;
    private final Map<Long, Region> regions = new ConcurrentHashMap<>();
    private volatile TableInfo info;
    /** Runs once the table's memory is all freed (after a drop or close). */
    private volatile Runnable onFreed = () -> {};

    // Guarded by memoryLock: regions whose memory is not freed yet, and whether the table is dropped or closed.
    private final Object memoryLock = new Object();
    private int unfreedRegions;
    private boolean retiring;
    private boolean allocatorClosed;
    private boolean dropped;

    Table(TableInfo info, BufferAllocator parent) {
        this.info = requireNonNull(info, "info is null");
        this.allocator = parent.newChildAllocator("table-" + info.id() + "-" + info.name(), 0, Long.MAX_VALUE);
    }

    /** A table built row by row in one region (id = the table id, every handle), written at ts 0. */
    public static Builder builder(long id, String name) {
        return new Builder(id, name);
    }

    /** The current definition: {@link #addColumn} replaces it. */
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
        checkNotDropped();
        for (Region region : regions.values()) {
            if (region.range().overlaps(range)) {
                throw new IllegalArgumentException("region " + regionId + " " + range + " of table '" + info.name()
                        + "' overlaps region " + region.id() + " " + region.range());
            }
        }
        Region region = new Region(regionId, info, epoch, range, allocator, this::regionFreed);
        synchronized (memoryLock) {
            unfreedRegions++;
        }
        regions.put(regionId, region);
        return region;
    }

    /**
     * Appends a nullable column. Rows stored before read NULL in it; writes from now on must
     * carry it. The table gets a new {@link TableInfo}; scans planned before keep the columns
     * they asked for.
     *
     * @return the new definition
     * @throws IllegalArgumentException when the table has a column of that name
     * @throws MppException INVALID_PLAN when the type is not one the node stores; UNKNOWN_TABLE when the table was dropped
     */
    public synchronized TableInfo addColumn(ColumnSchema column) {
        requireNonNull(column, "column is null");
        checkNotDropped();
        if (info.column(column.name()).isPresent()) {
            throw new IllegalArgumentException("table '" + info.name() + "' already has a column '" + column.name() + "'");
        }
        List<ColumnSchema> columns = new ArrayList<>(info.columns());
        columns.add(column);
        TableInfo next = new TableInfo(info.id(), info.name(), columns);
        for (Region region : regions.values()) {
            region.setTable(next);
        }
        info = next;
        return next;
    }

    /**
     * Compacts every region at {@code safePoint} ({@link Region#compact}).
     *
     * @return the sum over the regions
     */
    public CompactionResult compact(long safePoint) {
        CompactionResult result = CompactionResult.NONE;
        for (Region region : regions()) {
            result = result.plus(region.compact(safePoint));
        }
        return result;
    }

    /**
     * What every region of the table shows at {@code startTs}, in handle order; the caller
     * closes it.
     *
     * @throws MppException SNAPSHOT_TOO_OLD or UNKNOWN_TABLE as {@link Region#openSnapshot}
     */
    public Snapshot openSnapshot(long startTs) {
        List<Snapshot> parts = new ArrayList<>();
        try {
            for (Region region : regions()) {
                parts.add(region.openSnapshot(startTs, List.of()));
            }
        } catch (RuntimeException e) {
            parts.forEach(Snapshot::close);
            throw e;
        }
        return Snapshot.concat(parts);
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

    /**
     * Drops the table (the catalog removed it): its regions refuse reads and writes, and the
     * memory is freed when the last scan reading it closes; then {@code onFreed} runs.
     */
    void drop(Runnable whenFreed) {
        synchronized (this) {
            if (dropped) {
                return;
            }
            dropped = true;
            onFreed = requireNonNull(whenFreed, "whenFreed is null");
        }
        regions.values().forEach(Region::drop);
        boolean nowFreed;
        synchronized (memoryLock) {
            retiring = true;
            nowFreed = closeAllocatorIfDone();
        }
        if (nowFreed) {
            onFreed.run();
        }
    }

    private void regionFreed() {
        boolean nowFreed;
        synchronized (memoryLock) {
            unfreedRegions--;
            nowFreed = closeAllocatorIfDone();
        }
        if (nowFreed) {
            onFreed.run();
        }
    }

    /** Under memoryLock. */
    private boolean closeAllocatorIfDone() {
        if (!retiring || allocatorClosed || unfreedRegions > 0) {
            return false;
        }
        allocatorClosed = true;
        allocator.close();
        return true;
    }

    private void checkNotDropped() {
        if (dropped) {
            throw new MppException(ErrorCode.UNKNOWN_TABLE, "table '" + info.name() + "' (id " + info.id() + ") was dropped");
        }
    }

    /** Frees the table's memory at once, whoever still reads it: the node has stopped its tasks. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            dropped = true;
        }
        regions.values().forEach(Region::close);
        regions.clear();
        boolean nowFreed;
        synchronized (memoryLock) {
            retiring = true;
            nowFreed = closeAllocatorIfDone();
        }
        if (nowFreed) {
            onFreed.run();
        }
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
