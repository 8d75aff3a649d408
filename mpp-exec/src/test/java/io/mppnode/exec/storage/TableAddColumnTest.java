package io.mppnode.exec.storage;

import static io.mppnode.exec.storage.TestingKv.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Adding a column: old rows read NULL in it, new rows carry it, scans of old rows still share the stored buffers. */
class TableAddColumnTest {
    private static final ColumnSchema NOTE = new ColumnSchema("n", ColumnTypes.of(TypeKind.INT64));

    private BufferAllocator allocator;
    private Catalog catalog;
    private Table table;
    private Region region;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog(allocator);
        table = catalog.createTable(TestingKv.TABLE);
        region = catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(0, 1000));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void oldRowsReadNullInTheNewColumnAndNewRowsCarryIt() {
        TestingKv.append(region, allocator, 10, values(10, 1, 2, 3));
        TableInfo before = table.info();

        TableInfo after = catalog.addColumn(7, NOTE);

        assertThat(after.columns()).extracting(ColumnSchema::name).containsExactly("k", "v", "n");
        assertThat(table.info()).isEqualTo(after);
        assertThat(region.table()).isEqualTo(after);
        assertThat(before.columns()).hasSize(2);
        assertThatThrownBy(() -> TestingKv.append(region, allocator, 20, values(20, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rows for table 'kv' have columns [k: Int(64, true), v: Utf8]; the table has");
        appendWithNote(20, 4, "v4", 44L);

        assertThat(scan(table.info(), List.of("k", "n", "v"), table.openSnapshot(Long.MAX_VALUE))).containsExactly(
                Arrays.asList(1L, null, "1@10"), Arrays.asList(2L, null, "2@10"), Arrays.asList(3L, null, "3@10"),
                Arrays.asList(4L, 44L, "v4"));
        assertThat(scan(table.info(), List.of("n"), table.openSnapshot(15))).containsExactly(
                Arrays.asList((Object) null), Arrays.asList((Object) null), Arrays.asList((Object) null));
        // A scan planned before the change reads the columns it knew, from chunks of both shapes.
        assertThat(scan(before, List.of("v"), table.openSnapshot(Long.MAX_VALUE)))
                .containsExactly(List.of("1@10"), List.of("2@10"), List.of("3@10"), List.of("v4"));
    }

    @Test
    void theOldColumnsOfOldRowsAreStillSharedWithoutACopy() {
        TestingKv.append(region, allocator, 10, values(10, 1, 2, 3));
        catalog.addColumn(7, NOTE);
        long stored = region.snapshot(10, List.of()).getFirst().data().getVector(0).getDataBuffer().memoryAddress();
        try (OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table.info(), List.of("k", "n"), table.openSnapshot(10), 100);
            try (VectorSchemaRoot batch = scan.getOutput()) {
                assertThat(batch.getVector(0).getDataBuffer().memoryAddress()).isEqualTo(stored);
                assertThat(batch.getVector(1).getNullCount()).isEqualTo(3);
            }
            scan.close();
        }
    }

    @Test
    void compactionMergesChunksOfBothShapes() {
        TestingKv.append(region, allocator, 10, values(10, 1, 2, 3));
        catalog.addColumn(7, NOTE);
        appendWithNote(20, 1, "v1", 11L);
        appendWithNote(30, 5, "v5", 55L);
        List<List<Object>> expected = List.of(
                Arrays.asList(1L, "v1", 11L), Arrays.asList(2L, "2@10", null), Arrays.asList(3L, "3@10", null),
                Arrays.asList(5L, "v5", 55L));

        CompactionResult result = region.compact(30);

        assertThat(result.chunksAfter()).isEqualTo(1);
        assertThat(sorted(scan(table.info(), List.of("k", "v", "n"), table.openSnapshot(30)))).isEqualTo(expected);
    }

    @Test
    void aColumnNameThatIsTakenOrAnUnknownTypeIsRefused() {
        assertThatThrownBy(() -> catalog.addColumn(7, new ColumnSchema("v", ColumnTypes.of(TypeKind.INT32))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("table 'kv' already has a column 'v'");
        assertThatThrownBy(() -> catalog.addColumn(7, new ColumnSchema("x", DataType.getDefaultInstance())))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PLAN));
        assertThatThrownBy(() -> catalog.addColumn(8, NOTE))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE));
        assertThat(table.info()).isEqualTo(TestingKv.TABLE);
    }

    @Test
    void regionsAddedLaterHaveTheNewColumns() {
        catalog.addColumn(7, NOTE);
        region = catalog.addRegion(7, 71, RegionEpoch.INITIAL, new HandleRange(1000, 2000));
        appendWithNote(5, 1500, "v", 1L);
        assertThat(scan(table.info(), List.of("k", "n"), region.openSnapshot(5, List.of()))).containsExactly(List.of(1500L, 1L));
    }

    private void appendWithNote(long commitTs, long handle, String value, Long note) {
        VectorSchemaRoot rows = VectorSchemaRoot.create(Tables.arrowSchema(table.columns()), allocator);
        BigIntVector handles = new BigIntVector("h", allocator);
        rows.allocateNew();
        handles.allocateNew(1);
        handles.set(0, handle);
        ArrowValues.set(rows.getVector(0), 0, handle);
        ArrowValues.set(rows.getVector(1), 0, value);
        ArrowValues.set(rows.getVector(2), 0, note);
        rows.setRowCount(1);
        handles.setValueCount(1);
        region.append(rows, handles, commitTs);
    }

    private List<List<Object>> scan(TableInfo info, List<String> columns, Snapshot snapshot) {
        List<List<Object>> rows = new ArrayList<>();
        try (OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, info, columns, snapshot, 2);
            while (!scan.isFinished()) {
                try (VectorSchemaRoot batch = scan.getOutput()) {
                    if (batch != null) {
                        rows.addAll(TestingBatches.rows(batch));
                    }
                }
            }
            scan.close();
        }
        return rows;
    }

    private static List<List<Object>> sorted(List<List<Object>> rows) {
        List<List<Object>> copy = new ArrayList<>(rows);
        copy.sort((a, b) -> Long.compare((Long) a.getFirst(), (Long) b.getFirst()));
        return copy;
    }
}
