package io.mppnode.exec.storage;

import static io.mppnode.exec.storage.TestingKv.list;
import static io.mppnode.exec.storage.TestingKv.read;
import static io.mppnode.exec.storage.TestingKv.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Versions of handles: updates, deletes and re-inserts across commit ts, in order or late, against a reference model. */
class RegionVersionsTest {
    private BufferAllocator allocator;
    private Catalog catalog;
    private Region region;
    private final TestingKv model = new TestingKv();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog(allocator);
        catalog.createTable(TestingKv.TABLE);
        region = catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(0, 100_000));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void randomUpdatesDeletesAndLateCommitsMatchTheModelAtEveryTimestamp() {
        Random random = new Random(20261122);
        long[] initial = new long[300];
        for (int i = 0; i < initial.length; i++) {
            initial[i] = i;
        }
        model.write(region, allocator, 10, values(10, initial));
        assertThat(region.isVersioned()).as("a load of new handles keeps no index").isFalse();

        TreeSet<Long> timestamps = new TreeSet<>(List.of(10L));
        long newest = 10;
        long safePoint = 0;
        int lateCommits = 0;
        for (int commit = 1; commit <= 400; commit++) {
            long commitTs;
            if (random.nextInt(8) == 0) {
                // A commit that arrives late: below the newest ts, possibly equal to a stored one.
                commitTs = safePoint + random.nextLong(newest - safePoint + 1);
                lateCommits++;
            } else {
                commitTs = newest + 1 + random.nextInt(3);
                newest = commitTs;
            }
            List<Long> handles = new ArrayList<>();
            for (long handle : random.longs(1 + random.nextInt(30), 0, 400).distinct().toArray()) {
                handles.add(handle);
            }
            Collections.shuffle(handles, random);
            Map<Long, String> upserts = new LinkedHashMap<>();
            List<Long> deletes = new ArrayList<>();
            for (long handle : handles) {
                if (random.nextInt(4) == 0) {
                    deletes.add(handle);
                } else {
                    upserts.put(handle, handle + "@" + commitTs + "#" + commit);
                }
            }
            if (!upserts.isEmpty()) {
                model.write(region, allocator, commitTs, upserts);
            }
            if (!deletes.isEmpty()) {
                model.delete(region, allocator, commitTs, deletes);
            }
            timestamps.add(commitTs);
            if (commit % 50 == 0) {
                assertEverySnapshot(timestamps.tailSet(safePoint, true));
            }
            if (commit % 120 == 0) {
                safePoint = timestamps.ceiling(safePoint + random.nextLong(newest - safePoint));
                CompactionResult result = region.compact(safePoint);
                assertThat(result.rowsAfter()).isLessThan(result.rowsBefore());
                assertEverySnapshot(timestamps.tailSet(safePoint, true));
                long refused = safePoint - 1;
                assertThatThrownBy(() -> region.openSnapshot(refused, List.of()))
                        .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_TOO_OLD));
            }
        }
        assertThat(lateCommits).isGreaterThan(30);
        assertEverySnapshot(timestamps.tailSet(safePoint, true));

        region.compact(newest);
        assertThat(read(region, newest)).isEqualTo(model.expected(newest));
        assertThat(region.storedRows()).as("one version per visible handle, no deletions").isEqualTo(model.expected(newest).size());
        assertThat(region.isVersioned()).as("nothing has two versions any more").isFalse();
    }

    @Test
    void piecesOfChunksWithNoKillAtOrBelowTheSnapshotAreWhole() {
        model.write(region, allocator, 10, values(10, range(0, 100)));
        model.write(region, allocator, 20, values(20, range(100, 200)));
        model.write(region, allocator, 30, values(30, range(200, 300)));
        model.write(region, allocator, 40, values(40, 150, 151));
        model.delete(region, allocator, 45, list(298, 299));

        List<ScanPiece> before = region.snapshot(35, List.of());
        assertThat(before).hasSize(3).allSatisfy(piece -> assertThat(piece.isContiguous()).isTrue());
        assertThat(before).extracting(ScanPiece::rowCount).containsExactly(100, 100, 100);

        List<ScanPiece> updated = region.snapshot(40, List.of());
        assertThat(updated).extracting(ScanPiece::isContiguous).containsExactly(true, false, true, true);
        assertThat(updated).extracting(ScanPiece::rowCount).containsExactly(100, 98, 100, 2);

        // The deletions leave one run of the third chunk's rows, still shared without a copy.
        List<ScanPiece> deleted = region.snapshot(45, List.of());
        assertThat(deleted).extracting(ScanPiece::isContiguous).containsExactly(true, false, true, true);
        assertThat(deleted).extracting(ScanPiece::rowCount).containsExactly(100, 98, 98, 2);

        for (long ts = 0; ts <= 50; ts++) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(model.expected(ts));
        }
    }

    @Test
    void aLateVersionTakesItsPlaceInTheChain() {
        model.write(region, allocator, 100, values(100, 1, 2, 3));
        model.write(region, allocator, 300, values(300, 1, 2));
        model.delete(region, allocator, 400, list(3));
        // Late: between 100 and 300 for handle 1, equal to 300 for handle 2 (the later write wins),
        // below the deletion for handle 3, and new for handle 4 below nothing.
        model.write(region, allocator, 200, values(200, 1));
        model.write(region, allocator, 300, Map.of(2L, "2@300 again"));
        model.write(region, allocator, 350, values(350, 3));
        model.write(region, allocator, 50, values(50, 4));
        // And one older than everything of its handle.
        model.write(region, allocator, 60, values(60, 2));
        for (long ts : new long[] {0, 50, 60, 99, 100, 150, 200, 250, 299, 300, 349, 350, 399, 400, Long.MAX_VALUE}) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(model.expected(ts));
        }
        assertThat(read(region, 250)).containsEntry(1L, "1@200").containsEntry(2L, "2@100").containsEntry(4L, "4@50");
        assertThat(read(region, 300)).containsEntry(2L, "2@300 again").containsEntry(3L, "3@100");
    }

    @Test
    void equalCommitTsLetsTheLaterWriteWin() {
        model.write(region, allocator, 100, values(100, 1, 2));
        model.write(region, allocator, 100, Map.of(1L, "second"));
        model.delete(region, allocator, 100, list(2));
        assertThat(read(region, 100)).containsExactly(Map.entry(1L, "second"));
        assertThat(read(region, 99)).isEmpty();
    }

    @Test
    void reInsertedHandlesComeBackAfterADelete() {
        model.write(region, allocator, 10, values(10, 1, 2));
        model.delete(region, allocator, 20, list(1, 2));
        model.write(region, allocator, 30, values(30, 2));
        assertThat(read(region, 15)).isEqualTo(values(10, 1, 2));
        assertThat(read(region, 25)).isEmpty();
        assertThat(read(region, 30)).isEqualTo(values(30, 2));
        assertThat(region.isVersioned()).isTrue();
    }

    @Test
    void writesOutOfRangeOfTimestampsAreRefused() {
        assertThatThrownBy(() -> TestingKv.append(region, allocator, -1, values(0, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("commit ts is out of range: -1");
        assertThatThrownBy(() -> TestingKv.append(region, allocator, Long.MAX_VALUE, values(0, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("commit ts is out of range: " + Long.MAX_VALUE);
        assertThat(region.storedRows()).isZero();
    }

    @Test
    void snapshotsTakenWhileCommitsArriveSeeWholeCommits() throws Exception {
        // Each commit moves an amount between two handles, or moves a handle's amount to a new
        // handle (an append and a delete at one ts): at every committed ts there are 100 handles
        // holding 10,000 in all.
        Map<Long, String> initial = new LinkedHashMap<>();
        for (long handle = 0; handle < 100; handle++) {
            initial.put(handle, "100");
        }
        TestingKv.append(region, allocator, 1, initial);
        AtomicLong committed = new AtomicLong(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Random random = new Random(9);
                Map<Long, Long> amounts = new HashMap<>();
                initial.keySet().forEach(handle -> amounts.put(handle, 100L));
                long nextHandle = 100;
                for (long ts = 2; ts < 2000; ts++) {
                    List<Long> live = new ArrayList<>(amounts.keySet());
                    long from = live.get(random.nextInt(live.size()));
                    if (random.nextInt(5) == 0) {
                        long to = nextHandle++;
                        long amount = amounts.remove(from);
                        amounts.put(to, amount);
                        TestingKv.append(region, allocator, ts, Map.of(to, Long.toString(amount)));
                        BigIntVector gone = new BigIntVector("h", allocator);
                        gone.allocateNew(1);
                        gone.set(0, from);
                        gone.setValueCount(1);
                        region.delete(gone, ts);
                    } else {
                        long to = live.get(random.nextInt(live.size()));
                        if (to == from) {
                            continue;
                        }
                        long moved = random.nextInt(10);
                        amounts.merge(from, -moved, Long::sum);
                        amounts.merge(to, moved, Long::sum);
                        Map<Long, String> changes = new LinkedHashMap<>();
                        changes.put(from, Long.toString(amounts.get(from)));
                        changes.put(to, Long.toString(amounts.get(to)));
                        TestingKv.append(region, allocator, ts, changes);
                    }
                    committed.set(ts);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        int snapshots = 0;
        do {
            Map<Long, String> seen = read(region, committed.get());
            assertThat(seen).hasSize(100);
            assertThat(seen.values().stream().mapToLong(Long::parseLong).sum()).isEqualTo(10_000);
            snapshots++;
        } while (writer.isAlive());
        writer.join();
        assertThat(failure.get()).isNull();
        assertThat(snapshots).isPositive();
    }

    private void assertEverySnapshot(Iterable<Long> timestamps) {
        for (long ts : timestamps) {
            assertThat(read(region, ts)).as("at ts %d", ts).isEqualTo(model.expected(ts));
            if (ts > region.safePoint()) {
                assertThat(read(region, ts - 1)).as("at ts %d", ts - 1).isEqualTo(model.expected(ts - 1));
            }
        }
        assertThat(read(region, Long.MAX_VALUE)).isEqualTo(model.expected(Long.MAX_VALUE));
    }

    private static long[] range(long from, long to) {
        long[] handles = new long[(int) (to - from)];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = from + i;
        }
        return handles;
    }
}
