package io.mppnode.exec.storage;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The tables a node holds, by table id. Thread-safe. Owns its tables: closing the catalog
 * closes them.
 */
public final class Catalog implements AutoCloseable {
    private final ConcurrentMap<Long, InMemoryTable> tables = new ConcurrentHashMap<>();

    /** @throws IllegalArgumentException when a table with that id exists */
    public void add(InMemoryTable table) {
        InMemoryTable previous = tables.putIfAbsent(table.id(), table);
        if (previous != null) {
            throw new IllegalArgumentException("table id " + table.id() + " is taken by '" + previous.name() + "'");
        }
    }

    /** @throws MppException UNKNOWN_TABLE */
    public InMemoryTable table(long tableId) {
        InMemoryTable table = tables.get(tableId);
        if (table == null) {
            throw new MppException(ErrorCode.UNKNOWN_TABLE, "unknown table id " + tableId);
        }
        return table;
    }

    public List<InMemoryTable> tables() {
        return List.copyOf(tables.values());
    }

    @Override
    public void close() {
        tables.values().forEach(InMemoryTable::close);
        tables.clear();
    }
}
