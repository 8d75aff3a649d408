package io.mppnode.exec.storage;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The tables and regions a node holds. Region ids are unique on the node. Thread-safe. Owns
 * its tables: closing the catalog closes them, and with them the store's memory.
 */
public final class Catalog implements AutoCloseable {
    /** The first region id {@link #nextFreeRegionId()} hands out: far above ids that people and tests pick. */
    public static final long FIRST_GENERATED_REGION_ID = 1L << 40;

    private final ConcurrentMap<Long, Table> tables = new ConcurrentHashMap<>();
    private final ConcurrentMap<Long, Region> regions = new ConcurrentHashMap<>();
    /** Dropped tables whose memory scans still hold; closed with the catalog. */
    private final Set<Table> dropped = ConcurrentHashMap.newKeySet();
    private final BufferAllocator allocator;

    /** A catalog whose created tables take their memory from a child of {@code parent} ("store"). */
    public Catalog(BufferAllocator parent) {
        this.allocator = parent.newChildAllocator("store", 0, Long.MAX_VALUE);
    }

    /** A catalog of tables built elsewhere ({@link #add}); it cannot create tables itself. */
    public Catalog() {
        this.allocator = null;
    }

    /** Adds a table built elsewhere, with its regions. @throws IllegalArgumentException when its id or a region id is taken */
    public synchronized void add(Table table) {
        Table previous = tables.get(table.id());
        if (previous != null) {
            throw new IllegalArgumentException("table id " + table.id() + " is taken by '" + previous.name() + "'");
        }
        for (Region region : table.regions()) {
            if (regions.containsKey(region.id())) {
                throw new IllegalArgumentException("region id " + region.id() + " is taken by " + regions.get(region.id()));
            }
        }
        tables.put(table.id(), table);
        table.regions().forEach(region -> regions.put(region.id(), region));
    }

    /**
     * Creates a table, or returns the one with the same definition that exists.
     *
     * @throws IllegalArgumentException when the id or the name is taken by a table with another definition
     */
    public synchronized Table createTable(TableInfo info) {
        if (allocator == null) {
            throw new IllegalStateException("this catalog has no memory of its own to create tables in");
        }
        Table existing = tables.get(info.id());
        if (existing != null) {
            if (!existing.info().equals(info)) {
                throw new IllegalArgumentException("table id " + info.id() + " is taken by '" + existing.name() + "' "
                        + existing.columns() + ", not " + info.name() + " " + info.columns());
            }
            return existing;
        }
        Optional<Table> sameName = table(info.name());
        if (sameName.isPresent()) {
            throw new IllegalArgumentException("table name '" + info.name() + "' is taken by table id " + sameName.get().id());
        }
        Table table = new Table(info, allocator);
        tables.put(info.id(), table);
        return table;
    }

    /**
     * Adds an empty region to a table.
     *
     * @throws IllegalArgumentException when the region id is taken or the range overlaps a region of the table
     */
    public synchronized Region addRegion(long tableId, long regionId, RegionEpoch epoch, HandleRange range) {
        Region existing = regions.get(regionId);
        if (existing != null) {
            throw new IllegalArgumentException("region id " + regionId + " is taken by " + existing);
        }
        Region region = table(tableId).addRegion(regionId, epoch, range);
        regions.put(regionId, region);
        return region;
    }

    /**
     * Adds an empty region with an id of its own ({@link #nextFreeRegionId()}).
     *
     * @throws IllegalArgumentException when the range overlaps a region of the table
     */
    public synchronized Region addRegion(long tableId, RegionEpoch epoch, HandleRange range) {
        return addRegion(tableId, nextFreeRegionId(), epoch, range);
    }

    /**
     * A region id no region uses: above every id in use, and at least
     * {@link #FIRST_GENERATED_REGION_ID}. Another thread may take it before the caller adds its
     * region; {@link #addRegion(long, RegionEpoch, HandleRange)} picks and adds at once.
     */
    public synchronized long nextFreeRegionId() {
        long max = regions.keySet().stream().mapToLong(Long::longValue).max().orElse(FIRST_GENERATED_REGION_ID - 1);
        if (max == Long.MAX_VALUE) {
            throw new IllegalStateException("region id " + Long.MAX_VALUE + " is in use: no id above it is left");
        }
        return Math.max(FIRST_GENERATED_REGION_ID, max + 1);
    }

    /**
     * Appends a nullable column to a table ({@link Table#addColumn}).
     *
     * @return the table's new definition
     * @throws MppException UNKNOWN_TABLE
     * @throws IllegalArgumentException when the table has a column of that name
     */
    public TableInfo addColumn(long tableId, ColumnSchema column) {
        return table(tableId).addColumn(column);
    }

    /**
     * Drops a table: from now on lookups say it is unknown, its id, name and region ids are free
     * for reuse, and its regions refuse reads and writes. Scans that opened a snapshot of it
     * keep reading; its memory is freed when the last of them closes.
     *
     * @throws MppException UNKNOWN_TABLE
     */
    public synchronized void dropTable(long tableId) {
        Table table = table(tableId);
        tables.remove(tableId);
        for (Region region : table.regions()) {
            regions.remove(region.id(), region);
        }
        dropped.add(table);
        table.drop(() -> dropped.remove(table));
    }

    /** @throws MppException UNKNOWN_TABLE */
    public Table table(long tableId) {
        Table table = tables.get(tableId);
        if (table == null) {
            throw new MppException(ErrorCode.UNKNOWN_TABLE, "unknown table id " + tableId);
        }
        return table;
    }

    public Optional<Table> table(String name) {
        return tables.values().stream().filter(table -> table.name().equals(name)).findFirst();
    }

    public Optional<Region> region(long regionId) {
        return Optional.ofNullable(regions.get(regionId));
    }

    /** The tables, by id. */
    public List<Table> tables() {
        return tables.values().stream().sorted(Comparator.comparingLong(Table::id)).toList();
    }

    /** Frees the store's memory at once, with every table, dropped ones that scans still read included: the node has stopped its tasks. */
    @Override
    public synchronized void close() {
        tables.values().forEach(Table::close);
        tables.clear();
        List.copyOf(dropped).forEach(Table::close);
        dropped.clear();
        regions.clear();
        if (allocator != null) {
            allocator.close();
        }
    }
}
