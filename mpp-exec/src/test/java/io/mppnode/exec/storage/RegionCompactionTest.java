package io.mppnode.exec.storage;

import static io.mppnode.exec.storage.TestingKv.list;
import static io.mppnode.exec.storage.TestingKv.read;
import static io.mppnode.exec.storage.TestingKv.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Compaction at a safe point: what snapshots see, what is dropped and merged, and compaction next to scans and writes. */
class RegionCompactionTest {
    private BufferAllocator allocator;
    private Catalog catalog;
    private Table table;
    private Region region;
    private final TestingKv model = new TestingKv();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog(allocator);
        table = catalog.createTable(TestingKv.TABLE);
        region = catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(0, 100_000));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void everySnapshotAtOrAboveTheSafePointSeesWhatItSawAndOlderOnesAreRefused() {
        model.write(region, allocator, 10, values(10, range(0, 50)));
        model.write(region, allocator, 20, values(20, range(0, 10)));
        model.delete(region, allocator, 30, list(range(5, 15)));
        model.write(region, allocator, 40, values(40, 5, 6, 7));
        model.write(region, allocator, 50, values(50, range(20, 30)));
        model.delete(region, allocator, 60, list(range(40, 50)));
        model.write(region, allocator, 70, values(70, range(0, 5)));
        model.write(region, allocator, 80, values(80, 45, 46));
        Map<Long, Map<Long, String>> before = new HashMap<>();
        for (long ts = 0; ts <= 90; ts++) {
            before.put(ts, read(region, ts));
            assertThat(before.get(ts)).as("at ts %d", ts).isEqualTo(model.expected(ts));
        }

        CompactionResult result = region.compact(55);

        for (long ts = 55; ts <= 90; ts++) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(before.get(ts));
        }
        assertThat(result.rowsBefore()).isEqualTo(50 + 10 + 10 + 3 + 10 + 10 + 5 + 2);
        // Left: the 43 versions alive at 55 (one per handle; 40..49 and 0..4 end after 55), and what came after 55.
        assertThat(result.rowsAfter()).isEqualTo(43 + 10 + 5 + 2);
        assertThat(result.chunksBefore()).isEqualTo(8);
        assertThat(result.chunksAfter()).isEqualTo(4);
        assertThat(result.bytesFreed()).isPositive();
        assertThat(region.storedRows()).isEqualTo(result.rowsAfter());
        assertThat(region.safePoint()).isEqualTo(55);

        assertThatThrownBy(() -> region.openSnapshot(54, List.of()))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_TOO_OLD))
                .hasMessage("table 'kv' cannot be read at start_ts 54: region 70 was compacted at safe point 55"
                        + " and versions before it were compacted away");
        assertThatThrownBy(() -> TestingKv.append(region, allocator, 54, values(54, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("commit ts 54 is below the safe point 55 of region 70");

        // An older safe point compacts at the current one; snapshots keep their answers.
        region.compact(30);
        assertThat(region.safePoint()).isEqualTo(55);
        for (long ts = 55; ts <= 90; ts++) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(before.get(ts));
        }
    }

    @Test
    void aRegionNeverCompactedRefusesNoSnapshot() {
        model.write(region, allocator, 10, values(10, 1, 2));
        assertThat(region.safePoint()).isZero();
        assertThat(read(region, 0)).isEmpty();
        assertThat(read(region, 10)).isEqualTo(values(10, 1, 2));
    }

    @Test
    void oneRowCommitsAreMergedAndTheRegionLeavesItsIndexWhenOneVersionIsLeft() {
        for (int i = 0; i < 1000; i++) {
            model.write(region, allocator, 1 + i, values(1 + i, i));
        }
        assertThat(region.chunkCount()).isEqualTo(1000);
        assertThat(region.isVersioned()).isFalse();

        CompactionResult merged = region.compact(1000);

        assertThat(merged).isEqualTo(new CompactionResult(1000, 1000, 1000, 1, merged.bytesFreed()));
        assertThat(region.snapshot(1000, List.of())).singleElement().satisfies(piece -> assertThat(piece.isContiguous()).isTrue());
        assertThat(read(region, 1000)).isEqualTo(model.expected(1000));

        Random random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            long handle = random.nextInt(100);
            model.write(region, allocator, 1001 + i, Map.of(handle, "update " + i));
        }
        assertThat(region.isVersioned()).isTrue();
        long newest = 3000;
        Map<Long, String> expected = model.expected(newest);

        CompactionResult updates = region.compact(newest);

        assertThat(updates.rowsBefore()).isEqualTo(3000);
        assertThat(updates.rowsAfter()).isEqualTo(1000);
        assertThat(updates.chunksAfter()).isEqualTo(1);
        assertThat(read(region, newest)).isEqualTo(expected);
        assertThat(region.isVersioned()).isFalse();
        assertThat(region.unfreedChunks()).isEqualTo(1);
    }

    @Test
    void largeChunksThatLoseNoRowStayAsTheyAre() {
        model.write(region, allocator, 0, values(0, range(0, 3 * Region.MAX_CHUNK_ROWS)));
        model.write(region, allocator, 5, values(5, 7));
        List<ScanPiece> before = region.snapshot(10, List.of());

        CompactionResult result = region.compact(10);

        // The first chunk lost handle 7's old version: rewritten with the update; the other two are kept.
        assertThat(result.chunksBefore()).isEqualTo(4);
        assertThat(result.chunksAfter()).isEqualTo(3);
        assertThat(result.rowsAfter()).isEqualTo(3L * Region.MAX_CHUNK_ROWS);
        List<ScanPiece> after = region.snapshot(10, List.of());
        assertThat(after).hasSize(3).allSatisfy(piece -> assertThat(piece.isContiguous()).isTrue());
        assertThat(after.subList(1, 3)).extracting(ScanPiece::chunk).containsExactly(before.get(1).chunk(), before.get(2).chunk());
        assertThat(read(region, 10)).isEqualTo(model.expected(10));
        assertThat(region.isVersioned()).isFalse();
    }

    @Test
    void deletionsAndTheVersionsTheyEndedGoAndTheHandlesCanComeBack() {
        model.write(region, allocator, 10, values(10, range(0, 10)));
        model.delete(region, allocator, 20, list(range(0, 10)));

        CompactionResult result = region.compact(30);

        assertThat(result.rowsAfter()).isZero();
        assertThat(result.chunksAfter()).isZero();
        assertThat(region.isVersioned()).isFalse();
        assertThat(region.unfreedChunks()).isZero();
        model.write(region, allocator, 40, values(40, 3, 4));
        assertThat(read(region, 35)).isEmpty();
        assertThat(read(region, 40)).isEqualTo(values(40, 3, 4));
    }

    @Test
    void aScanInProgressKeepsReadingTheChunksACompactionReplacedWhichAreFreedWhenItCloses() throws Exception {
        Random random = new Random(11);
        long ts = 1;
        for (int commit = 0; commit < 200; commit++, ts++) {
            model.write(region, allocator, ts, values(ts, range(commit * 10, commit * 10 + 10)));
        }
        for (int commit = 0; commit < 50; commit++, ts++) {
            Map<Long, String> updates = new LinkedHashMap<>();
            random.longs(20, 0, 2000).forEach(handle -> updates.put(handle, "update " + handle));
            model.write(region, allocator, ts, updates);
        }
        long newest = ts - 1;
        Map<Long, String> expected = model.expected(newest);
        int chunksBefore = region.chunkCount();
        long chunksTheScanReads = region.snapshot(newest, List.of()).stream().map(ScanPiece::chunk).distinct().count();
        assertThat(chunksTheScanReads).isGreaterThan(100);

        Map<Long, String> scanned = new HashMap<>();
        try (OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("k", "v"), 100);
            for (int batch = 0; batch < 5; batch++) {
                collect(scan.getOutput(), scanned);
            }

            AtomicReference<CompactionResult> result = new AtomicReference<>();
            Thread compaction = Thread.ofPlatform().start(() -> result.set(region.compact(newest)));
            compaction.join();

            assertThat(result.get().chunksBefore()).isEqualTo(chunksBefore);
            assertThat(region.chunkCount()).isEqualTo(1);
            assertThat(region.unfreedChunks()).as("the merged chunk, and the replaced ones the scan holds").isEqualTo(1 + chunksTheScanReads);
            long whileScanning = allocator.getAllocatedMemory();
            while (!scan.isFinished()) {
                VectorSchemaRoot batch = scan.getOutput();
                if (batch != null) {
                    collect(batch, scanned);
                }
            }
            assertThat(scanned).isEqualTo(expected);
            assertThat(region.unfreedChunks()).as("a finished scan gives its chunks back").isEqualTo(1);
            assertThat(allocator.getAllocatedMemory()).isLessThan(whileScanning);
            scan.close();
        }
        assertThat(read(region, newest)).isEqualTo(expected);
    }

    @Test
    void writesDuringCompactionsAreKept() throws Exception {
        model.write(region, allocator, 1, values(1, range(0, 1000)));
        AtomicLong committed = new AtomicLong(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Random random = new Random(3);
                for (long ts = 2; ts < 300; ts++) {
                    List<Long> handles = new ArrayList<>();
                    random.longs(0, 1200).distinct().limit(25).forEach(handles::add);
                    Map<Long, String> upserts = new LinkedHashMap<>();
                    long commitTs = ts;
                    handles.subList(0, 20).forEach(handle -> upserts.put(handle, handle + "@" + commitTs));
                    model.write(region, allocator, ts, upserts);
                    model.delete(region, allocator, ts, handles.subList(20, handles.size()));
                    committed.set(ts);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        int compactions = 0;
        do {
            // Everything at or below the last commit is written; the next commit is above it.
            region.compact(committed.get());
            compactions++;
        } while (writer.isAlive());
        writer.join();
        assertThat(failure.get()).isNull();
        assertThat(compactions).isPositive();

        for (long ts = region.safePoint(); ts < 300; ts++) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(model.expected(ts));
        }
        region.compact(299);
        assertThat(read(region, 299)).isEqualTo(model.expected(299));
        assertThat(region.storedRows()).isEqualTo(model.expected(299).size());
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
