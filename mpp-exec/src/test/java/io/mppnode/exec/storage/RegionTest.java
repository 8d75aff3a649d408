package io.mppnode.exec.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Snapshot reads of a region: commit timestamps, versions of a handle, deletes, key ranges. */
class RegionTest {
    private static final TableInfo TABLE = new TableInfo(7, "kv", List.of(
            new ColumnSchema("k", ColumnTypes.of(TypeKind.INT64)), new ColumnSchema("v", ColumnTypes.of(TypeKind.STRING))));

    private BufferAllocator allocator;
    private Catalog catalog;
    private Region region;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog(allocator);
        catalog.createTable(TABLE);
        region = catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(0, 1000));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void aSnapshotSeesWhatWasCommittedAtOrBeforeItsTimestamp() {
        write(100, 1, "a", 2, "b");
        write(200, 3, "c");
        assertThat(read(99)).isEmpty();
        assertThat(read(100)).containsExactly("1=a", "2=b");
        assertThat(read(199)).containsExactly("1=a", "2=b");
        assertThat(read(200)).containsExactly("1=a", "2=b", "3=c");
    }

    @Test
    void theNewestVisibleVersionOfAHandleWinsAndDeletesHide() {
        write(100, 1, "a", 2, "b", 3, "c");
        write(200, 2, "b2");
        delete(300, 3);
        write(400, 3, "c4");
        assertThat(read(150)).containsExactlyInAnyOrder("1=a", "2=b", "3=c");
        assertThat(read(250)).containsExactlyInAnyOrder("1=a", "2=b2", "3=c");
        assertThat(read(350)).containsExactlyInAnyOrder("1=a", "2=b2");
        assertThat(read(Long.MAX_VALUE)).containsExactlyInAnyOrder("1=a", "2=b2", "3=c4");
        assertThat(region.storedRows()).isEqualTo(6);
    }

    @Test
    void keyRangesRestrictTheRowsRead() {
        write(0, 1, "a", 5, "b", 9, "c");
        assertThat(read(10, List.of(new HandleRange(2, 9)))).containsExactly("5=b");
        assertThat(read(10, List.of(new HandleRange(0, 2), new HandleRange(9, 10)))).containsExactly("1=a", "9=c");
        assertThat(read(10, List.of(HandleRange.ALL))).containsExactly("1=a", "5=b", "9=c");
    }

    @Test
    void largeWritesAreCutIntoChunksAndScansSplitThemEvenly() {
        region = catalog.addRegion(7, 72, RegionEpoch.INITIAL, new HandleRange(1000, 1_000_000));
        int rows = Region.MAX_CHUNK_ROWS * 2 + 100;
        Object[] pairs = new Object[rows * 2];
        for (int i = 0; i < rows; i++) {
            pairs[2 * i] = 1000 + i;
            pairs[2 * i + 1] = "v" + i;
        }
        write(0, pairs);
        List<ScanPiece> pieces = region.snapshot(0, List.of());
        assertThat(pieces).hasSize(3).allSatisfy(piece -> assertThat(piece.isContiguous()).isTrue());
        List<List<ScanPiece>> parts = ScanPiece.split(pieces, 4);
        assertThat(parts).hasSize(4);
        List<Integer> sizes = parts.stream().map(part -> part.stream().mapToInt(ScanPiece::rowCount).sum()).toList();
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(rows);
        assertThat(sizes).allSatisfy(size -> assertThat(size).isBetween(rows / 4 - 1, rows / 4 + 1));
    }

    @Test
    void aHandleOutsideTheRegionIsRefusedAndNothingLeaks() {
        assertThatThrownBy(() -> write(1, 5, "ok", 1000, "too far"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("handle 1000 is outside region 70 of table 'kv', which holds handles [0, 1000)");
        assertThat(read(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void regionsOfATableMayNotOverlapAndIdsAreUniqueOnTheNode() {
        assertThatThrownBy(() -> catalog.addRegion(7, 71, RegionEpoch.INITIAL, new HandleRange(999, 2000)))
                .hasMessageContaining("overlaps region 70");
        assertThatThrownBy(() -> catalog.addRegion(7, 70, RegionEpoch.INITIAL, new HandleRange(5000, 6000)))
                .hasMessageContaining("region id 70 is taken");
        Region next = catalog.addRegion(7, 71, RegionEpoch.INITIAL, new HandleRange(1000, HandleRange.ALL.end()));
        assertThat(catalog.table(7).regions()).extracting(Region::id).containsExactly(70L, 71L);
        assertThat(RecordKeys.handleRange(7, next.startKey(), next.endKey())).isEqualTo(next.range());
    }

    private void write(long commitTs, Object... pairs) {
        VectorSchemaRoot rows = VectorSchemaRoot.create(Tables.arrowSchema(TABLE.columns()), allocator);
        BigIntVector handles = new BigIntVector("h", allocator);
        rows.allocateNew();
        handles.allocateNew();
        for (int i = 0; i < pairs.length / 2; i++) {
            long handle = ((Number) pairs[2 * i]).longValue();
            handles.setSafe(i, handle);
            ArrowValues.set(rows.getVector(0), i, handle);
            ArrowValues.set(rows.getVector(1), i, pairs[2 * i + 1]);
        }
        rows.setRowCount(pairs.length / 2);
        handles.setValueCount(pairs.length / 2);
        region.append(rows, handles, commitTs);
    }

    private void delete(long commitTs, long... keys) {
        BigIntVector handles = new BigIntVector("h", allocator);
        handles.allocateNew(keys.length);
        for (int i = 0; i < keys.length; i++) {
            handles.set(i, keys[i]);
        }
        handles.setValueCount(keys.length);
        region.delete(handles, commitTs);
    }

    private List<String> read(long ts) {
        return read(ts, List.of());
    }

    private List<String> read(long ts, List<HandleRange> ranges) {
        List<String> rows = new ArrayList<>();
        for (ScanPiece piece : region.snapshot(ts, ranges)) {
            for (int i = 0; i < piece.rowCount(); i++) {
                rows.add(ArrowValues.get(piece.data().getVector(0), piece.row(i)) + "=" + ArrowValues.get(piece.data().getVector(1), piece.row(i)));
            }
        }
        return rows;
    }
}
