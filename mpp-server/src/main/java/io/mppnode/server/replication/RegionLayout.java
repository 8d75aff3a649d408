package io.mppnode.server.replication;

import io.mppnode.exec.storage.HandleRange;
import io.mppnode.proto.binlog.RegionSpec;
import io.mppnode.server.binlog.BinlogEvents;
import java.util.ArrayList;
import java.util.List;

/**
 * How a replicated table is spread over the nodes: the whole int64 handle space cut into
 * {@code nodes * regionsPerNode} equal ranges, node {@code i} holding the {@code i}-th run of
 * {@code regionsPerNode} of them. Handles are mixed from the primary key ({@link TableMapping}),
 * so the rows spread evenly. Region ids are {@code tableId * 1024 + k + 1}.
 */
final class RegionLayout {
    static final int MAX_REGIONS = 1023;

    private final int regionsPerNode;
    private final int regions;
    private final long step;

    RegionLayout(int nodes, int regionsPerNode) {
        if (nodes < 1 || regionsPerNode < 1 || (long) nodes * regionsPerNode > MAX_REGIONS) {
            throw new IllegalArgumentException("a table is cut into at most " + MAX_REGIONS + " regions; " + nodes + " nodes with "
                    + regionsPerNode + " regions each is " + (long) nodes * regionsPerNode);
        }
        this.regionsPerNode = regionsPerNode;
        this.regions = nodes * regionsPerNode;
        this.step = Long.divideUnsigned(-1L, regions);
    }

    /** The node (index into the target list) holding {@code handle}. */
    int nodeOf(long handle) {
        return regionOf(handle) / regionsPerNode;
    }

    private int regionOf(long handle) {
        long offset = handle - Long.MIN_VALUE; // unsigned distance from the smallest handle
        return (int) Math.min(regions - 1, Long.divideUnsigned(offset, step));
    }

    /** The regions of table {@code tableId} node {@code node} holds. */
    List<RegionSpec> regionsOf(long tableId, int node) {
        List<RegionSpec> result = new ArrayList<>();
        for (int k = node * regionsPerNode; k < (node + 1) * regionsPerNode; k++) {
            long start = k == 0 ? Long.MIN_VALUE : Long.MIN_VALUE + k * step;
            long end = k == regions - 1 ? Long.MAX_VALUE : Long.MIN_VALUE + (k + 1) * step;
            result.add(BinlogEvents.region(regionId(tableId, k), new HandleRange(start, end)));
        }
        return result;
    }

    static long regionId(long tableId, int k) {
        return tableId * 1024 + k + 1;
    }
}
