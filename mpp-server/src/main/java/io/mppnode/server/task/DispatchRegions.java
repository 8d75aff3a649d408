package io.mppnode.server.task;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.RecordKeys;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.storage.RegionRead;
import io.mppnode.proto.Coprocessor.KeyRange;
import io.mppnode.proto.Coprocessor.RegionInfo;
import io.mppnode.proto.Coprocessor.TableRegions;
import io.mppnode.proto.Metapb;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.admin.AdminService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The regions a dispatched task reads, checked against what this node holds. {@code regions}
 * names the regions of the plan's only scanned table; {@code table_regions} names them per
 * table. A region this node lacks, or holds at another epoch, goes into {@code retry_regions}
 * (the task reads the others); a scanned table the request names no regions for is read in
 * every region the node holds.
 */
public record DispatchRegions(Map<Long, List<RegionRead>> reads, List<Metapb.Region> retry) {
    public static DispatchRegions resolve(Catalog catalog, Plan plan, DispatchTaskRequest request) {
        Set<Long> scanned = new LinkedHashSet<>();
        collectScans(plan.getRoot(), scanned);
        Map<Long, List<RegionInfo>> requested = new LinkedHashMap<>();
        if (request.getRegionsCount() > 0) {
            if (scanned.size() != 1) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "DispatchTaskRequest.regions names " + request.getRegionsCount()
                        + " regions but the plan scans " + scanned.size() + " tables " + scanned
                        + "; name the regions of each table in table_regions");
            }
            requested.put(scanned.iterator().next(), new ArrayList<>(request.getRegionsList()));
        }
        for (TableRegions table : request.getTableRegionsList()) {
            if (!scanned.contains(table.getPhysicalTableId())) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "table_regions names table " + table.getPhysicalTableId()
                        + ", which the plan does not scan (it scans " + scanned + ")");
            }
            requested.computeIfAbsent(table.getPhysicalTableId(), ignored -> new ArrayList<>()).addAll(table.getRegionsList());
        }
        Map<Long, List<RegionRead>> reads = new LinkedHashMap<>();
        List<Metapb.Region> retry = new ArrayList<>();
        for (Map.Entry<Long, List<RegionInfo>> entry : requested.entrySet()) {
            long tableId = entry.getKey();
            List<RegionRead> tableReads = new ArrayList<>();
            Set<Long> seen = new LinkedHashSet<>();
            for (RegionInfo info : entry.getValue()) {
                if (!seen.add(info.getRegionId())) {
                    throw new MppException(ErrorCode.INVALID_REQUEST, "region " + info.getRegionId() + " of table " + tableId + " is named twice");
                }
                RegionEpoch epoch = new RegionEpoch(info.getRegionEpoch().getConfVer(), info.getRegionEpoch().getVersion());
                Region region = catalog.region(info.getRegionId()).orElse(null);
                if (region == null || region.tableId() != tableId || !region.epoch().equals(epoch)) {
                    retry.add(retryRegion(info, region, tableId));
                    continue;
                }
                List<HandleRange> ranges = new ArrayList<>();
                for (KeyRange range : info.getRangesList()) {
                    try {
                        ranges.add(RecordKeys.handleRange(tableId, range.getStart().toByteArray(), range.getEnd().toByteArray()));
                    } catch (IllegalArgumentException e) {
                        throw new MppException(ErrorCode.INVALID_REQUEST, "region " + info.getRegionId() + ": " + e.getMessage());
                    }
                }
                tableReads.add(new RegionRead(region.id(), epoch, ranges));
            }
            reads.put(tableId, tableReads);
        }
        return new DispatchRegions(reads, retry);
    }

    /** The region as this node knows it (its epoch and keys), or as the request named it when the node lacks it. */
    private static Metapb.Region retryRegion(RegionInfo info, Region region, long tableId) {
        if (region != null && region.tableId() == tableId) {
            return AdminService.metaOf(region);
        }
        return Metapb.Region.newBuilder().setId(info.getRegionId()).setRegionEpoch(info.getRegionEpoch()).build();
    }

    /** The ids of the tables the plan scans. */
    static Set<Long> scannedTables(Plan plan) {
        Set<Long> tables = new java.util.HashSet<>();
        collectScans(plan.getRoot(), tables);
        return tables;
    }

    private static void collectScans(Executor executor, Set<Long> tables) {
        if (executor.hasTableScan()) {
            tables.add(executor.getTableScan().getTableId());
        }
        executor.getChildrenList().forEach(child -> collectScans(child, tables));
    }
}
