package io.mppnode.exec.storage;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The tables and regions a node holds. Region ids are unique on the node. Thread-safe. Owns
 * its tables: closing the catalog closes them, and with them the store's memory.
 */
public final class Catalog implements AutoCloseable {
    private final ConcurrentMap<Long, Table> tables = new ConcurrentHashMap<>();
    private final ConcurrentMap<Long, Region> regions = new ConcurrentHashMap<>();
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

    @Override
    public synchronized void close() {
        tables.values().forEach(Table::close);
        tables.clear();
        regions.clear();
        if (allocator != null) {
            allocator.close();
        }
    }
}
