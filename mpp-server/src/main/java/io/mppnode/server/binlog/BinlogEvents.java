package io.mppnode.server.binlog;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.binlog.AddColumn;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.CreateTable;
import io.mppnode.proto.binlog.DdlChange;
import io.mppnode.proto.binlog.DropTable;
import io.mppnode.proto.binlog.EventType;
import io.mppnode.proto.binlog.RegionSpec;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.RowChange;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.proto.plan.Field;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Builds binlog events ({@code binlog_event.proto}) for writers: tools, loaders, tests. */
public final class BinlogEvents {
    private BinlogEvents() {}

    public static BinlogEvent createTable(TableInfo table, List<RegionSpec> regions, long commitTs) {
        return ddl(commitTs, DdlChange.newBuilder().setQuery("CREATE TABLE " + table.name()).setCreateTable(tableSpec(table, regions)).build());
    }

    /** A table's definition and regions as the DDL (and the replica's checkpoint) carry them. */
    public static CreateTable tableSpec(TableInfo table, List<RegionSpec> regions) {
        CreateTable.Builder create = CreateTable.newBuilder().setTableId(table.id()).setName(table.name()).addAllRegions(regions);
        for (ColumnSchema column : table.columns()) {
            create.addColumns(Field.newBuilder().setName(column.name()).setType(column.type()));
        }
        return create.build();
    }

    public static BinlogEvent addColumn(long tableId, ColumnSchema column, long commitTs) {
        return ddl(commitTs, DdlChange.newBuilder().setQuery("ALTER TABLE ADD COLUMN " + column.name())
                .setAddColumn(AddColumn.newBuilder().setTableId(tableId)
                        .setColumn(Field.newBuilder().setName(column.name()).setType(column.type())))
                .build());
    }

    public static BinlogEvent dropTable(long tableId, long commitTs) {
        return ddl(commitTs, DdlChange.newBuilder().setQuery("DROP TABLE").setDropTable(DropTable.newBuilder().setTableId(tableId)).build());
    }

    private static BinlogEvent ddl(long commitTs, DdlChange change) {
        return BinlogEvent.newBuilder().setType(EventType.DDL).setStartTs(commitTs - 1).setCommitTs(commitTs).setDdl(change).build();
    }

    /** A region of handles {@code range} with id {@code id}. */
    public static RegionSpec region(long id, HandleRange range) {
        RegionSpec.Builder spec = RegionSpec.newBuilder().setRegionId(id);
        if (range.start() == Long.MIN_VALUE) {
            spec.setUnboundedStart(true);
        } else {
            spec.setStartHandle(range.start());
        }
        if (range.end() == Long.MAX_VALUE) {
            spec.setUnboundedEnd(true);
        } else {
            spec.setEndHandle(range.end());
        }
        return spec.build();
    }

    /** A prewrite inserting every row of {@code rows} (handles from {@code handles}) into one table. */
    public static BinlogEvent insert(long startTs, long tableId, VectorSchemaRoot rows, BigIntVector handles) {
        TableMutation.Builder mutation = TableMutation.newBuilder().setTableId(tableId);
        for (int row = 0; row < rows.getRowCount(); row++) {
            Row.Builder values = Row.newBuilder().setHandle(handles.get(row));
            for (FieldVector vector : rows.getFieldVectors()) {
                values.addValues(RowValues.value(vector, row));
            }
            mutation.addChanges(RowChange.newBuilder().setInsert(values));
        }
        return prewrite(startTs, List.of(mutation.build()));
    }

    public static BinlogEvent prewrite(long startTs, List<TableMutation> mutations) {
        return BinlogEvent.newBuilder().setType(EventType.PREWRITE).setStartTs(startTs).addAllMutations(mutations).build();
    }

    public static BinlogEvent commit(long startTs, long commitTs) {
        return BinlogEvent.newBuilder().setType(EventType.COMMIT).setStartTs(startTs).setCommitTs(commitTs).build();
    }

    public static BinlogEvent rollback(long startTs) {
        return BinlogEvent.newBuilder().setType(EventType.ROLLBACK).setStartTs(startTs).build();
    }

    /** Pump's fake binlog: nothing at or below {@code ts} is missing. */
    public static BinlogEvent heartbeat(long ts) {
        return BinlogEvent.newBuilder().setType(EventType.ROLLBACK).setStartTs(ts).setCommitTs(ts).build();
    }
}
