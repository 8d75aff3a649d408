package io.mppnode.exec.storage;

import static io.mppnode.exec.storage.TestingKv.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Dropping a table while scans read it, and the ids it frees. */
class TableDropTest {
    private BufferAllocator allocator;
    private Catalog catalog;
    private Table table;
    private final TestingKv model = new TestingKv();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog(allocator);
        table = catalog.createTable(TestingKv.TABLE);
        Region low = catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(0, 20_000));
        Region high = catalog.addRegion(7, 71, RegionEpoch.INITIAL, new HandleRange(20_000, 40_000));
        model.write(low, allocator, 10, values(10, range(0, 20_000)));
        model.write(high, allocator, 10, values(10, range(20_000, 40_000)));
        model.write(low, allocator, 20, values(20, range(100, 200)));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void theMemoryIsFreedWhenTheLastScanReadingTheDroppedTableCloses() {
        Map<Long, String> expected = model.expected(Long.MAX_VALUE);
        try (OperatorContext first = new OperatorContext("table_scan_0", allocator);
                OperatorContext second = new OperatorContext("table_scan_1", allocator)) {
            TableScanOperator early = new TableScanOperator(first, table, List.of("k", "v"), 1000);
            TableScanOperator whole = new TableScanOperator(second, table, List.of("k", "v"), 1000);
            Map<Long, String> scanned = new HashMap<>();
            collect(whole.getOutput(), scanned);
            early.getOutput().close();

            catalog.dropTable(7);

            assertThatThrownBy(() -> catalog.table(7))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
                    .hasMessage("unknown table id 7");
            assertThat(catalog.tables()).isEmpty();
            assertThat(catalog.region(70)).isEmpty();
            assertThatThrownBy(() -> table.openSnapshot(10))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
                    .hasMessage("table 'kv' (id 7) was dropped");
            assertThatThrownBy(() -> TestingKv.append(table.regions().getFirst(), allocator, 30, values(30, 1)))
                    .hasMessage("table 'kv' (id 7) was dropped");
            assertThat(storedTables()).as("the dropped table's memory, held by the scans").isEqualTo(1);

            early.close();
            assertThat(storedTables()).as("still held by the other scan").isEqualTo(1);
            while (!whole.isFinished()) {
                VectorSchemaRoot batch = whole.getOutput();
                if (batch != null) {
                    collect(batch, scanned);
                }
            }
            assertThat(scanned).isEqualTo(expected);
            whole.close();
            assertThat(storedTables()).isZero();
        }
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void theIdsOfADroppedTableAndItsRegionsAreFreeAgain() {
        catalog.dropTable(7);
        Table again = catalog.createTable(new TableInfo(7, "kv", TestingKv.TABLE.columns()));
        Region region = catalog.addRegion(7, 70, RegionEpoch.INITIAL, HandleRange.ALL);
        TestingKv.append(region, allocator, 1, values(1, 5));
        assertThat(TestingKv.read(region, 1)).isEqualTo(values(1, 5));
        assertThat(catalog.table(7)).isSameAs(again);
        assertThatThrownBy(() -> catalog.dropTable(8)).isInstanceOf(MppException.class).hasMessage("unknown table id 8");
    }

    @Test
    void generatedRegionIdsStartFarAboveHandPickedOnesAndStayAboveEveryIdInUse() {
        assertThat(catalog.nextFreeRegionId()).isEqualTo(Catalog.FIRST_GENERATED_REGION_ID);
        Table other = catalog.createTable(new TableInfo(8, "other", TestingKv.TABLE.columns()));
        Region first = catalog.addRegion(other.id(), RegionEpoch.INITIAL, new HandleRange(0, 10));
        Region second = catalog.addRegion(other.id(), RegionEpoch.INITIAL, new HandleRange(10, 20));
        assertThat(first.id()).isEqualTo(1L << 40);
        assertThat(second.id()).isEqualTo((1L << 40) + 1);
        catalog.addRegion(other.id(), (1L << 40) + 5, RegionEpoch.INITIAL, new HandleRange(20, 30));
        assertThat(catalog.nextFreeRegionId()).isEqualTo((1L << 40) + 6);
        catalog.dropTable(other.id());
        assertThat(catalog.nextFreeRegionId()).isEqualTo(Catalog.FIRST_GENERATED_REGION_ID);
    }

    @Test
    void closingTheCatalogFreesADroppedTableThatAScanStillHolds() {
        try (OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("k"), 1000);
            catalog.dropTable(7);
            catalog.close();
            assertThat(allocator.getAllocatedMemory()).isZero();
            // The node stopped: the late close of the scan gives back nothing twice.
            scan.close();
        }
    }

    /** The tables whose memory the store still holds. */
    private int storedTables() {
        return allocator.getChildAllocators().stream()
                .filter(child -> child.getName().equals("store"))
                .mapToInt(store -> store.getChildAllocators().size())
                .sum();
    }

    private static void collect(VectorSchemaRoot batch, Map<Long, String> rows) {
        try (batch) {
            for (List<Object> row : TestingBatches.rows(batch)) {
                assertThat(rows.put((Long) row.get(0), (String) row.get(1))).isNull();
            }
        }
    }

    private static long[] range(long from, long to) {
        long[] handles = new long[(int) (to - from)];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = from + i;
        }
        return handles;
    }
}
