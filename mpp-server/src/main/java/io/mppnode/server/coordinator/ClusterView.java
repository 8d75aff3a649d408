package io.mppnode.server.coordinator;

import com.google.common.util.concurrent.ListenableFuture;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.ListTablesRequest;
import io.mppnode.proto.admin.ListTablesResponse;
import io.mppnode.proto.admin.RegionDescription;
import io.mppnode.proto.admin.TableDescription;
import io.mppnode.server.rpc.ChannelPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the cluster's nodes hold, as their admin services list it: table definitions, and which
 * node holds which region. The coordinator places scans by it and fetches it again after a
 * region error.
 */
public final class ClusterView {
    /** A region and the node that holds it. */
    public record Placement(RegionDescription region, String node) {}

    private final List<String> nodes;
    private final Map<Long, TableInfo> tables;
    private final Map<Long, List<Placement>> regions;

    ClusterView(List<String> nodes, Map<Long, TableInfo> tables, Map<Long, List<Placement>> regions) {
        this.nodes = List.copyOf(nodes);
        this.tables = Map.copyOf(tables);
        this.regions = Map.copyOf(regions);
    }

    /**
     * Asks every node for its tables (in parallel, within {@code deadline}).
     *
     * @throws MppException CONNECTION_FAILED naming a node that does not answer, INVALID_REQUEST
     *     when two nodes define a table differently
     */
    public static ClusterView fetch(ChannelPool channels, List<String> nodes, Duration deadline) {
        if (nodes.isEmpty()) {
            throw new MppException(ErrorCode.INVALID_REQUEST, "no nodes given");
        }
        List<ListenableFuture<ListTablesResponse>> answers = new ArrayList<>();
        for (String node : nodes) {
            answers.add(AdminGrpc.newFutureStub(channels.channel(node))
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .listTables(ListTablesRequest.getDefaultInstance()));
        }
        Map<Long, TableInfo> tables = new LinkedHashMap<>();
        Map<Long, List<Placement>> regions = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            String node = nodes.get(i);
            ListTablesResponse answer;
            try {
                answer = answers.get(i).get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new MppException(ErrorCode.CONNECTION_FAILED, "node " + node + " does not answer: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new MppException(ErrorCode.CONNECTION_FAILED, "node " + node + " does not answer within " + deadline.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MppException(ErrorCode.QUERY_CANCELLED, "interrupted while asking " + node + " for its tables");
            }
            for (TableDescription table : answer.getTablesList()) {
                TableInfo info = new TableInfo(table.getId(), table.getName(),
                        table.getColumnsList().stream().map(field -> new ColumnSchema(field.getName(), field.getType())).toList());
                TableInfo known = tables.putIfAbsent(info.id(), info);
                if (known != null && !known.equals(info)) {
                    throw new MppException(ErrorCode.INVALID_REQUEST, "nodes disagree on table " + info.id() + ": " + node
                            + " has " + info + ", another node " + known);
                }
                for (RegionDescription region : table.getRegionsList()) {
                    regions.computeIfAbsent(info.id(), ignored -> new ArrayList<>()).add(new Placement(region, node));
                }
            }
        }
        return new ClusterView(nodes, tables, regions);
    }

    public List<String> nodes() {
        return nodes;
    }

    /** @throws MppException UNKNOWN_TABLE naming the table id and the nodes asked */
    public TableInfo table(long tableId) {
        TableInfo table = tables.get(tableId);
        if (table == null) {
            throw new MppException(ErrorCode.UNKNOWN_TABLE, "no node of " + nodes + " holds table id " + tableId
                    + (tables.isEmpty() ? " (they hold no tables)" : " (they hold " + tables.values().stream().map(t -> t.name() + " = " + t.id()).toList() + ")"));
        }
        return table;
    }

    public Map<Long, TableInfo> tables() {
        return tables;
    }

    /** The regions of a table and who holds them; a region held by several nodes is read on the first. */
    public List<Placement> regions(long tableId) {
        List<Placement> all = regions.getOrDefault(tableId, List.of());
        Map<Long, Placement> first = new LinkedHashMap<>();
        for (Placement placement : all) {
            first.putIfAbsent(placement.region().getRegion().getId(), placement);
        }
        return List.copyOf(first.values());
    }
}
