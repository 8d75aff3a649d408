package io.mppnode.benchmarks;

import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.CompactionResult;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.storage.Tables;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scan throughput of a stored table whose rows were updated in many small commits, in rows per
 * second (the score: the table's 1,048,576 visible rows; one operation is a
 * {@link TableScanOperator} over all its regions at the newest ts, every batch counted and
 * closed, with the operator and its allocator built anew).
 *
 * <p>The table: {@code k} int64 (the handle), {@code qty} int64, {@code price} decimal(15, 2),
 * {@code tag} string (5 to 8 bytes), {@code comment} string (24 bytes), in {@code regions}
 * regions of equal handle ranges, first loaded in batches of 8192 rows at commit ts 1. The
 * {@link Layout}s:
 * <ul>
 *   <li>{@code VERSIONED}: then {@code rounds} rounds, each updating a random 10% of the handles
 *       (all columns but {@code k}, values of the same sizes) in commits of 1000 rows at
 *       increasing commit ts (each cut by region: about 1000 / regions rows per chunk). Most
 *       loaded chunks then have superseded rows, so the scan copies their visible rows;
 *   <li>{@code COMPACTED}: the same, then {@code Table.compact} at the newest ts (one version per
 *       handle, chunks of up to 8192 rows, no index: read whole, zero-copy);
 *   <li>{@code NEVER_UPDATED}: the load alone: the same number of rows and columns, never
 *       updated (the direct-load fast path).
 * </ul>
 *
 * <p>Setup checks, before measuring, that a scan sees every handle once and that the sum of
 * {@code qty} is that of the newest version of each handle (kept aside while writing), and prints
 * the table's stored rows, chunks and bytes. Every Arrow allocator is closed at the end of the
 * trial: a leak fails it.
 *
 * <p>Run: {@code bin/mpp bench VersionedScanBenchmark -rf json -rff versioned-scan.json}, or after
 * {@code mvn -pl benchmarks -am package -DskipTests}:
 * {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar VersionedScanBenchmark}
 * (with a JDK 25 {@code java}; {@code -p rounds=1,3,10} for more or fewer updates). Building the
 * versioned table takes a few seconds per trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VersionedScanBenchmark {
    private static final int ROWS = 1 << 20;
    private static final int LOAD_BATCH_ROWS = 8192;
    private static final int COMMIT_ROWS = 1000;
    private static final int SCAN_BATCH_ROWS = 8192;
    private static final long TABLE_ID = 1;
    private static final List<String> COLUMNS = List.of("k", "qty", "price", "tag", "comment");
    private static final TableInfo TABLE = new TableInfo(TABLE_ID, "versioned", List.of(
            new ColumnSchema("k", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("qty", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("price", ColumnTypes.decimal(15, 2)),
            new ColumnSchema("tag", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("comment", ColumnTypes.of(TypeKind.STRING))));

    /** How the table's rows came to be stored. */
    public enum Layout {
        VERSIONED, COMPACTED, NEVER_UPDATED
    }

    @Param({"VERSIONED", "COMPACTED", "NEVER_UPDATED"})
    public Layout layout;

    /** Rounds of updates of 10% of the handles (VERSIONED and COMPACTED). */
    @Param({"3"})
    public int rounds;

    @Param({"4"})
    public int regions;

    private BufferAllocator root;
    private Catalog catalog;
    private Table table;

    @Setup(Level.Trial)
    public void setUp() {
        root = new RootAllocator(Long.MAX_VALUE);
        catalog = new Catalog(root);
        table = catalog.createTable(TABLE);
        List<Region> stored = new ArrayList<>();
        long regionRows = ROWS / regions;
        for (int r = 0; r < regions; r++) {
            stored.add(catalog.addRegion(TABLE_ID, r + 1, RegionEpoch.INITIAL,
                    new HandleRange(r * regionRows, r == regions - 1 ? Long.MAX_VALUE : (r + 1) * regionRows)));
        }
        // The qty of each handle's newest version, to check the scan against.
        long[] qty = new long[ROWS];
        for (int from = 0; from < ROWS; from += LOAD_BATCH_ROWS) {
            List<Long> handles = new ArrayList<>();
            for (long handle = from; handle < from + LOAD_BATCH_ROWS; handle++) {
                handles.add(handle);
            }
            write(stored.get((int) Math.min(regions - 1, from / regionRows)), handles, 0, 1, qty);
        }
        long commitTs = 1;
        if (layout != Layout.NEVER_UPDATED) {
            Random random = new Random(42);
            List<Long> all = new ArrayList<>(ROWS);
            for (long handle = 0; handle < ROWS; handle++) {
                all.add(handle);
            }
            for (int round = 1; round <= rounds; round++) {
                Collections.shuffle(all, random);
                List<Long> updated = all.subList(0, ROWS / 10);
                for (int from = 0; from < updated.size(); from += COMMIT_ROWS) {
                    commitTs++;
                    List<List<Long>> byRegion = new ArrayList<>();
                    for (int r = 0; r < regions; r++) {
                        byRegion.add(new ArrayList<>());
                    }
                    for (long handle : updated.subList(from, Math.min(updated.size(), from + COMMIT_ROWS))) {
                        byRegion.get((int) Math.min(regions - 1, handle / regionRows)).add(handle);
                    }
                    for (int r = 0; r < regions; r++) {
                        if (!byRegion.get(r).isEmpty()) {
                            write(stored.get(r), byRegion.get(r), round, commitTs, qty);
                        }
                    }
                }
            }
        }
        if (layout == Layout.COMPACTED) {
            long started = System.nanoTime();
            CompactionResult result = table.compact(commitTs);
            System.out.printf("%ncompaction in %d ms: %s%n", (System.nanoTime() - started) / 1_000_000, result);
        }
        long expectedQty = 0;
        for (long value : qty) {
            expectedQty += value;
        }
        long[] seen = scanAndSumQty();
        System.out.printf("%n%s, %d rounds: %,d rows stored in %,d chunks, %,d bytes; a scan sees %,d rows%n", layout, rounds,
                table.storedRows(), stored.stream().mapToInt(Region::chunkCount).sum(), table.bytes(), seen[0]);
        if (seen[0] != ROWS || seen[1] != expectedQty) {
            throw new IllegalStateException(layout + ": the scan saw " + seen[0] + " rows with qty sum " + seen[1] + ", expected "
                    + ROWS + " and " + expectedQty);
        }
    }

    /** Writes {@code handles} at {@code commitTs} with the values of update {@code round} (0: the load). */
    private void write(Region region, List<Long> handles, int round, long commitTs, long[] qty) {
        VectorSchemaRoot rows = VectorSchemaRoot.create(Tables.arrowSchema(TABLE.columns()), root);
        BigIntVector handleVector = new BigIntVector("_handle", root);
        try {
            int count = handles.size();
            rows.allocateNew();
            handleVector.allocateNew(count);
            BigIntVector k = (BigIntVector) rows.getVector("k");
            BigIntVector quantity = (BigIntVector) rows.getVector("qty");
            DecimalVector price = (DecimalVector) rows.getVector("price");
            VarCharVector tag = (VarCharVector) rows.getVector("tag");
            VarCharVector comment = (VarCharVector) rows.getVector("comment");
            for (int i = 0; i < count; i++) {
                long handle = handles.get(i);
                long value = (handle * 31 + round * 7) % 1000;
                handleVector.set(i, handle);
                k.setSafe(i, handle);
                quantity.setSafe(i, value);
                price.setSafe(i, BigDecimal.valueOf((handle * 7919 + round) % 10_000_000, 2));
                tag.setSafe(i, ("tag-" + handle % 10_000).getBytes(StandardCharsets.UTF_8));
                comment.setSafe(i, String.format("comment %08d round %03d", handle % 100_000_000, round % 1000)
                        .getBytes(StandardCharsets.UTF_8));
                qty[(int) handle] = value;
            }
            rows.setRowCount(count);
            handleVector.setValueCount(count);
        } catch (RuntimeException e) {
            rows.close();
            handleVector.close();
            throw e;
        }
        region.append(rows, handleVector, commitTs);
    }

    /** One scan: rows seen, and the sum of qty. */
    private long[] scanAndSumQty() {
        long[] result = new long[2];
        try (OperatorContext context = new OperatorContext("table_scan_0", root)) {
            TableScanOperator scan = new TableScanOperator(context, table, COLUMNS, SCAN_BATCH_ROWS);
            try {
                while (!scan.isFinished()) {
                    try (VectorSchemaRoot batch = scan.getOutput()) {
                        if (batch != null) {
                            result[0] += batch.getRowCount();
                            BigIntVector quantity = (BigIntVector) batch.getVector("qty");
                            for (int row = 0; row < batch.getRowCount(); row++) {
                                result[1] += quantity.get(row);
                            }
                        }
                    }
                }
            } finally {
                scan.close();
            }
        }
        return result;
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long scan() {
        long rows = 0;
        try (OperatorContext context = new OperatorContext("table_scan_0", root)) {
            TableScanOperator scan = new TableScanOperator(context, table, COLUMNS, SCAN_BATCH_ROWS);
            try {
                while (!scan.isFinished()) {
                    VectorSchemaRoot batch = scan.getOutput();
                    if (batch != null) {
                        rows += batch.getRowCount();
                        batch.close();
                    }
                }
            } finally {
                scan.close();
            }
        }
        return rows;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        catalog.close();
        root.close();
    }
}
