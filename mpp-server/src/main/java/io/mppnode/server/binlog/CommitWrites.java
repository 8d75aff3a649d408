package io.mppnode.server.binlog;

import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.storage.Tables;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.RowChange;
import io.mppnode.proto.binlog.TableMutation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A committed transaction's effect on the regions, built in full before anything is written so
 * that a commit is applied whole or not at all: per region, the rows it puts (inserts and the
 * new side of updates, as one columnar batch sorted by handle) and the handles it deletes.
 *
 * <p>A transaction is reduced to its final effect per handle, in the order of its changes: an
 * insert or update puts the row, a delete removes the handle, and an update that changes the
 * handle deletes the old one and puts the new one. Rows written before an ADD COLUMN have fewer
 * values than the table has columns now: the missing ones are NULL.
 */
final class CommitWrites implements AutoCloseable {
    private record RegionWrite(Region region, VectorSchemaRoot rows, BigIntVector handles, BigIntVector deletes) {}

    /** A deletion in the per-handle reduction. */
    private static final Row DELETED = Row.getDefaultInstance();

    private final List<RegionWrite> writes = new ArrayList<>();
    private final List<Long> skippedTables = new ArrayList<>();

    /**
     * Prepares the writes of {@code mutations} to the tables {@code tables} finds (null: the
     * table was dropped since the prewrite, and its changes are skipped).
     */
    static CommitWrites prepare(List<TableMutation> mutations, LongFunction<Table> tables, BufferAllocator allocator) {
        CommitWrites result = new CommitWrites();
        try {
            Map<Long, Map<Long, Row>> finalRows = new LinkedHashMap<>();
            for (TableMutation mutation : mutations) {
                Map<Long, Row> rows = finalRows.computeIfAbsent(mutation.getTableId(), id -> new HashMap<>());
                for (RowChange change : mutation.getChangesList()) {
                    switch (change.getChangeCase()) {
                        case INSERT -> rows.put(change.getInsert().getHandle(), change.getInsert());
                        case UPDATE -> {
                            long oldHandle = change.getUpdate().getOldRow().getHandle();
                            if (oldHandle != change.getUpdate().getNewRow().getHandle()) {
                                rows.put(oldHandle, DELETED);
                            }
                            rows.put(change.getUpdate().getNewRow().getHandle(), change.getUpdate().getNewRow());
                        }
                        case DELETE -> rows.put(change.getDelete().getHandle(), DELETED);
                        case CHANGE_NOT_SET -> throw new IllegalStateException("a row change with nothing set passed validation");
                    }
                }
            }
            for (Map.Entry<Long, Map<Long, Row>> entry : finalRows.entrySet()) {
                Table table = tables.apply(entry.getKey());
                if (table == null) {
                    result.skippedTables.add(entry.getKey());
                    continue;
                }
                result.prepareTable(table, entry.getValue(), allocator);
            }
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
        return result;
    }

    private void prepareTable(Table table, Map<Long, Row> rows, BufferAllocator allocator) {
        List<Region> regions = table.regions();
        Map<Region, TreeMap<Long, Row>> byRegion = new LinkedHashMap<>();
        for (Map.Entry<Long, Row> entry : rows.entrySet()) {
            Region region = regionOf(regions, entry.getKey());
            if (region == null) {
                throw new IllegalStateException("handle " + entry.getKey() + " of table '" + table.name()
                        + "' is in no region of this node (the regions changed since the prewrite was checked)");
            }
            byRegion.computeIfAbsent(region, r -> new TreeMap<>()).put(entry.getKey(), entry.getValue());
        }
        TableInfo info = table.info();
        for (Map.Entry<Region, TreeMap<Long, Row>> entry : byRegion.entrySet()) {
            int puts = (int) entry.getValue().values().stream().filter(row -> row != DELETED).count();
            int deletes = entry.getValue().size() - puts;
            VectorSchemaRoot batch = null;
            BigIntVector handles = null;
            BigIntVector deleted = null;
            try {
                if (puts > 0) {
                    batch = VectorSchemaRoot.create(Tables.arrowSchema(info.columns()), allocator);
                    handles = new BigIntVector("_handle", allocator);
                    for (FieldVector vector : batch.getFieldVectors()) {
                        vector.setInitialCapacity(puts);
                        vector.allocateNew();
                    }
                    handles.allocateNew(puts);
                }
                if (deletes > 0) {
                    deleted = new BigIntVector("_handle", allocator);
                    deleted.allocateNew(deletes);
                }
                int put = 0;
                int delete = 0;
                for (Map.Entry<Long, Row> row : entry.getValue().entrySet()) {
                    if (row.getValue() == DELETED) {
                        deleted.set(delete++, row.getKey());
                        continue;
                    }
                    List<io.mppnode.proto.binlog.Value> values = row.getValue().getValuesList();
                    for (int column = 0; column < info.columns().size(); column++) {
                        FieldVector vector = batch.getVector(column);
                        if (column < values.size()) {
                            RowValues.set(vector, put, values.get(column));
                        } else {
                            vector.setNull(put);
                        }
                    }
                    handles.set(put++, row.getKey());
                }
                if (batch != null) {
                    batch.setRowCount(puts);
                    handles.setValueCount(puts);
                }
                if (deleted != null) {
                    deleted.setValueCount(deletes);
                }
                writes.add(new RegionWrite(entry.getKey(), batch, handles, deleted));
            } catch (RuntimeException e) {
                for (AutoCloseable thing : new AutoCloseable[] {batch, handles, deleted}) {
                    closeQuietly(thing);
                }
                throw e;
            }
        }
    }

    /** The region holding {@code handle}, or null. */
    static Region regionOf(List<Region> regions, long handle) {
        for (Region region : regions) {
            if (region.range().contains(handle)) {
                return region;
            }
        }
        return null;
    }

    /** Tables of the transaction that were gone at commit. */
    List<Long> skippedTables() {
        return skippedTables;
    }

    /** Writes everything at {@code commitTs}; the regions take the memory. */
    void apply(long commitTs) {
        List<RegionWrite> toWrite = List.copyOf(writes);
        writes.clear();
        RuntimeException failure = null;
        for (RegionWrite write : toWrite) {
            try {
                if (write.rows() != null) {
                    write.region().append(write.rows(), write.handles(), commitTs);
                }
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            } finally {
                try {
                    if (write.deletes() != null) {
                        write.region().delete(write.deletes(), commitTs);
                    }
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        for (RegionWrite write : writes) {
            closeQuietly(write.rows());
            closeQuietly(write.handles());
            closeQuietly(write.deletes());
        }
        writes.clear();
    }

    private static void closeQuietly(AutoCloseable thing) {
        if (thing == null) {
            return;
        }
        try {
            thing.close();
        } catch (Exception ignored) {
            // freeing memory of a commit that is not applied
        }
    }
}
