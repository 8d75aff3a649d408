package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.Binlog.WriteBinlogReq;
import io.mppnode.proto.PumpGrpc;
import io.mppnode.proto.admin.TpchPart;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.RegionSpec;
import io.mppnode.server.admin.TpchLoad;
import io.mppnode.server.rpc.ChannelPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Loads TPC-H into a cluster through the Pump service instead of the generator on the nodes:
 * each node gets CREATE TABLE DDLs naming the regions it holds (the layout of
 * {@link TpchLoad#layout}, same region ids and handles), then one transaction (PREWRITE and
 * COMMIT) per generated batch, and finally a heartbeat. The answers of queries over it must be
 * the same as over the directly loaded data.
 */
public final class TpchBinlogLoad {
    private final ChannelPool channels;
    private final long clusterId;
    private final Tso tso;
    private final int batchRows;

    public TpchBinlogLoad(ChannelPool channels, long clusterId, Tso tso, int batchRows) {
        this.channels = requireNonNull(channels, "channels is null");
        this.clusterId = clusterId;
        this.tso = requireNonNull(tso, "tso is null");
        this.batchRows = batchRows;
    }

    /**
     * Writes everything to every node (the nodes in parallel) and returns the heartbeat ts sent
     * last to all of them: a read at it sees every row.
     */
    public long load(List<String> nodes, double scaleFactor, int regionsPerNode, BufferAllocator scratch) {
        Map<String, List<TpchPart>> layout = TpchLoad.layout(nodes, scaleFactor, regionsPerNode);
        List<CompletableFuture<Void>> loads = new ArrayList<>();
        for (String node : nodes) {
            loads.add(CompletableFuture.runAsync(() -> loadNode(node, layout.get(node), scaleFactor, scratch)));
        }
        try {
            CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof MppException mpp ? mpp : new MppException(ErrorCode.INTERNAL_ERROR, e.getCause().toString(), e.getCause());
        }
        long done = tso.next();
        nodes.forEach(node -> write(node, BinlogEvents.heartbeat(done)));
        return done;
    }

    private void loadNode(String node, List<TpchPart> parts, double scaleFactor, BufferAllocator scratch) {
        for (TpchTable table : TpchTable.values()) {
            List<TpchPart> tableParts = parts.stream().filter(part -> part.getTable().equals(table.tableName())).toList();
            if (tableParts.isEmpty()) {
                continue;
            }
            List<RegionSpec> regions = new ArrayList<>();
            for (TpchPart part : tableParts) {
                long[] handles = table.handleRange(scaleFactor, part.getPart(), part.getParts());
                regions.add(BinlogEvents.region(TpchLoader.regionId(table, part.getPart()), new HandleRange(handles[0], handles[1])));
            }
            write(node, BinlogEvents.createTable(table.info(), regions, tso.next()));
            for (TpchPart part : tableParts) {
                TpchGenerator.generate(table, scaleFactor, part.getPart(), part.getParts(), batchRows, scratch, batch -> {
                    try (batch) {
                        long startTs = tso.next();
                        write(node, BinlogEvents.insert(startTs, table.id(), batch.rows(), batch.handles()));
                        write(node, BinlogEvents.commit(startTs, tso.next()));
                    }
                });
            }
        }
    }

    private void write(String node, BinlogEvent event) {
        String errmsg = PumpGrpc.newBlockingStub(channels.channel(node)).withDeadlineAfter(60, TimeUnit.SECONDS)
                .writeBinlog(WriteBinlogReq.newBuilder().setClusterID(clusterId).setPayload(event.toByteString()).build())
                .getErrmsg();
        if (!errmsg.isEmpty()) {
            throw new MppException(ErrorCode.INVALID_DATA, "WriteBinlog to " + node + " refused " + event.getType() + ": " + errmsg);
        }
    }
}
