package io.mppnode.exec.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Table "kv" (id 7: k int64, v string; the handle is k) for tests of versions, and a reference
 * model of what a snapshot must see: per handle, a history of values by commit ts (null: deleted;
 * for an equal commit ts, the later write replaces the earlier).
 */
final class TestingKv {
    static final TableInfo TABLE = new TableInfo(7, "kv", List.of(
            new ColumnSchema("k", ColumnTypes.of(TypeKind.INT64)), new ColumnSchema("v", ColumnTypes.of(TypeKind.STRING))));

    private final Map<Long, NavigableMap<Long, String>> history = new HashMap<>();

    /** Writes {@code values} (handle to value) at {@code commitTs} in one call, and records them. */
    void write(Region region, BufferAllocator allocator, long commitTs, Map<Long, String> values) {
        append(region, allocator, commitTs, values);
        values.forEach((handle, value) -> history.computeIfAbsent(handle, h -> new TreeMap<>()).put(commitTs, value));
    }

    /** Deletes {@code handles} at {@code commitTs} in one call, and records it. */
    void delete(Region region, BufferAllocator allocator, long commitTs, Collection<Long> handles) {
        BigIntVector vector = new BigIntVector("h", allocator);
        vector.allocateNew(Math.max(1, handles.size()));
        int i = 0;
        for (long handle : handles) {
            vector.set(i++, handle);
        }
        vector.setValueCount(handles.size());
        region.delete(vector, commitTs);
        handles.forEach(handle -> history.computeIfAbsent(handle, h -> new TreeMap<>()).put(commitTs, null));
    }

    /** What a snapshot at {@code startTs} must see. */
    Map<Long, String> expected(long startTs) {
        Map<Long, String> visible = new HashMap<>();
        history.forEach((handle, versions) -> {
            Map.Entry<Long, String> version = versions.floorEntry(startTs);
            if (version != null && version.getValue() != null) {
                visible.put(handle, version.getValue());
            }
        });
        return visible;
    }

    /** Writes rows of table kv (k = the handle) at {@code commitTs}, without recording them. */
    static void append(Region region, BufferAllocator allocator, long commitTs, Map<Long, String> values) {
        VectorSchemaRoot rows = VectorSchemaRoot.create(Tables.arrowSchema(TABLE.columns()), allocator);
        BigIntVector handles = new BigIntVector("h", allocator);
        rows.allocateNew();
        handles.allocateNew(Math.max(1, values.size()));
        int i = 0;
        for (Map.Entry<Long, String> entry : values.entrySet()) {
            handles.set(i, entry.getKey());
            ArrowValues.set(rows.getVector(0), i, entry.getKey());
            ArrowValues.set(rows.getVector(1), i, entry.getValue());
            i++;
        }
        rows.setRowCount(values.size());
        handles.setValueCount(values.size());
        region.append(rows, handles, commitTs);
    }

    /** The rows of pieces as handle (column k) to value (column v); fails on a handle seen twice. */
    static Map<Long, String> read(List<ScanPiece> pieces) {
        Map<Long, String> rows = new HashMap<>();
        for (ScanPiece piece : pieces) {
            for (int i = 0; i < piece.rowCount(); i++) {
                long handle = (Long) ArrowValues.get(piece.data().getVector(0), piece.row(i));
                String value = (String) ArrowValues.get(piece.data().getVector(1), piece.row(i));
                assertThat(rows.put(handle, value)).as("handle %d is seen once", handle).isNull();
            }
        }
        return rows;
    }

    /** What a snapshot of {@code region} at {@code startTs} sees. */
    static Map<Long, String> read(Region region, long startTs) {
        try (Snapshot snapshot = region.openSnapshot(startTs, List.of())) {
            return read(snapshot.pieces());
        }
    }

    /** Values "h@ts" for the handles, in handle order. */
    static Map<Long, String> values(long commitTs, long... handles) {
        Map<Long, String> values = new TreeMap<>();
        for (long handle : handles) {
            values.put(handle, handle + "@" + commitTs);
        }
        return values;
    }

    static List<Long> list(long... handles) {
        List<Long> list = new ArrayList<>();
        for (long handle : handles) {
            list.add(handle);
        }
        return list;
    }
}
