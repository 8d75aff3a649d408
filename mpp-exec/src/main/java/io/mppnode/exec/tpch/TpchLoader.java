package io.mppnode.exec.tpch;

import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import java.util.function.LongConsumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Loads generated TPC-H data into a catalog, one region per generator part. Loaded rows are
 * written at commit ts 0: visible at every timestamp.
 */
public final class TpchLoader {
    /** Rows per generated batch, and so per stored chunk. */
    public static final int BATCH_ROWS = 8192;

    private TpchLoader() {}

    /** The region id of part {@code part} (from 1) of a TPC-H table: {@code table id * 100000 + part}. */
    public static long regionId(TpchTable table, int part) {
        return table.id() * 100_000 + part;
    }

    /**
     * Generates part {@code part} of {@code parts} of {@code table} at {@code scaleFactor} into a
     * new region of the catalog (creating the table if needed), reporting the rows written so far
     * to {@code progress} after each batch.
     *
     * @return the region
     * @throws IllegalArgumentException when the region exists or overlaps one the node holds
     */
    public static Region loadPart(Catalog catalog, TpchTable table, double scaleFactor, int part, int parts,
            BufferAllocator scratch, LongConsumer progress) {
        long[] handles = table.handleRange(scaleFactor, part, parts);
        catalog.createTable(table.info());
        Region region = catalog.addRegion(table.id(), regionId(table, part), RegionEpoch.INITIAL, new HandleRange(handles[0], handles[1]));
        long[] written = {0};
        TpchGenerator.generate(table, scaleFactor, part, parts, BATCH_ROWS, scratch, batch -> {
            long rows = batch.rows().getRowCount();
            region.append(batch.rows(), batch.handles(), 0);
            written[0] += rows;
            progress.accept(written[0]);
        });
        return region;
    }

    /** Loads every table whole (one part each) into the catalog: a one-node TPC-H database. */
    public static void loadAll(Catalog catalog, double scaleFactor, BufferAllocator scratch) {
        for (TpchTable table : TpchTable.values()) {
            loadPart(catalog, table, scaleFactor, 1, 1, scratch, rows -> {});
        }
    }
}
