package io.mppnode.server.coordinator;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.plan.PlanValidator;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.proto.Coprocessor.KeyRange;
import io.mppnode.proto.Coprocessor.RegionInfo;
import io.mppnode.proto.Coprocessor.TableRegions;
import io.mppnode.proto.Metapb;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.Plan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cuts a distributed plan into fragments and places them on nodes.
 *
 * <p>A distributed plan is one {@link Plan} whose root is an ExchangeSender (to the
 * coordinator) and in which every ExchangeReceiver has exactly one child: the ExchangeSender
 * that roots the fragment it receives from. The planner cuts the tree at the receivers, fills
 * an empty receiver schema with its child fragment's output, and places each fragment:
 * <ul>
 *   <li>a fragment with TableScans runs on the nodes that hold regions of the scanned tables,
 *       each task reading the regions of its node;
 *   <li>otherwise, a fragment that receives a HASH exchange runs on every node;
 *   <li>otherwise (it receives only PASS_THROUGH or BROADCAST) it runs on one node, the first.
 * </ul>
 * A fragment that scans a table and also receives a HASH exchange is refused: its rows would
 * not be partitioned as the exchange's.
 */
public final class FragmentPlanner {
    private final ClusterView cluster;
    private final PlanValidator validator;

    public FragmentPlanner(ClusterView cluster) {
        this.cluster = cluster;
        this.validator = new PlanValidator(cluster::table);
    }

    /** @throws MppException INVALID_PLAN / UNKNOWN_TABLE naming the executor and the problem */
    public Fragment place(Plan plan) {
        if (!plan.hasRoot() || !plan.getRoot().hasExchangeSender()) {
            throw new MppException(ErrorCode.INVALID_PLAN, "the root of a distributed plan must be an ExchangeSender, found "
                    + (plan.hasRoot() ? PlanValidator.kindName(plan.getRoot()) + " '" + plan.getRoot().getExecutorId() + "'" : "nothing"));
        }
        return cutFragment(plan.getRoot()).fragment();
    }

    private record Cut(Fragment fragment, List<ColumnSchema> output, ExchangeType type) {}

    private Cut cutFragment(Executor sender) {
        List<Cut> children = new ArrayList<>();
        Set<Long> scans = new LinkedHashSet<>();
        Executor root = rewrite(sender, children, scans);
        List<ColumnSchema> output;
        try {
            output = validator.validate(Plan.newBuilder().setRoot(withPlaceholderPeers(root)).build(), Long.MAX_VALUE);
        } catch (MppException e) {
            throw new MppException(e.code(), "fragment '" + sender.getExecutorId() + "': " + e.getMessage());
        }
        boolean receivesHash = children.stream().anyMatch(child -> child.type() == ExchangeType.HASH);
        List<Fragment> childFragments = children.stream().map(Cut::fragment).toList();
        Fragment fragment;
        if (!scans.isEmpty()) {
            if (receivesHash) {
                throw new MppException(ErrorCode.INVALID_PLAN, "fragment '" + sender.getExecutorId() + "' scans table(s) " + scans
                        + " and receives a HASH exchange; its scanned rows would not be partitioned as the exchange's");
            }
            Map<String, List<TableRegions>> regions = regionsByNode(scans);
            if (regions.isEmpty()) {
                throw new MppException(ErrorCode.UNKNOWN_TABLE, "fragment '" + sender.getExecutorId() + "': no node of "
                        + cluster.nodes() + " holds a region of table(s) " + scans);
            }
            fragment = new Fragment(root, List.copyOf(regions.keySet()), childFragments, regions);
        } else if (receivesHash) {
            fragment = new Fragment(root, cluster.nodes(), childFragments);
        } else {
            fragment = new Fragment(root, List.of(cluster.nodes().getFirst()), childFragments);
        }
        return new Cut(fragment, output, sender.getExchangeSender().getType());
    }

    /** The fragment with a stand-in peer where the coordinator fills in TaskMetas, so that it validates as a task's plan. */
    private static Executor withPlaceholderPeers(Executor executor) {
        Executor.Builder builder = executor.toBuilder();
        TaskMeta placeholder = TaskMeta.newBuilder().setTaskId(-1).setAddress("placeholder").build();
        if (executor.hasExchangeSender() && executor.getExchangeSender().getReceiversCount() == 0) {
            builder.getExchangeSenderBuilder().addReceivers(placeholder);
        }
        if (executor.hasExchangeReceiver() && executor.getExchangeReceiver().getSendersCount() == 0) {
            builder.getExchangeReceiverBuilder().addSenders(placeholder);
        }
        builder.clearChildren();
        executor.getChildrenList().forEach(child -> builder.addChildren(withPlaceholderPeers(child)));
        return builder.build();
    }

    /** The executor with receivers cut from their child fragments (added to {@code children} in depth-first order). */
    private Executor rewrite(Executor executor, List<Cut> children, Set<Long> scans) {
        if (executor.hasTableScan()) {
            cluster.table(executor.getTableScan().getTableId());
            scans.add(executor.getTableScan().getTableId());
        }
        Executor.Builder builder = executor.toBuilder();
        if (executor.hasExchangeReceiver()) {
            if (executor.getChildrenCount() != 1 || !executor.getChildren(0).hasExchangeSender()) {
                throw new MppException(ErrorCode.INVALID_PLAN, "ExchangeReceiver '" + executor.getExecutorId()
                        + "' must have exactly one child, the ExchangeSender of the fragment it receives from");
            }
            Cut child = cutFragment(executor.getChildren(0));
            children.add(child);
            builder.clearChildren();
            if (executor.getExchangeReceiver().getSchemaCount() == 0) {
                for (ColumnSchema column : child.output()) {
                    builder.getExchangeReceiverBuilder().addSchema(Field.newBuilder().setName(column.name()).setType(column.type()));
                }
            }
            return builder.build();
        }
        builder.clearChildren();
        for (Executor child : executor.getChildrenList()) {
            builder.addChildren(rewrite(child, children, scans));
        }
        return builder.build();
    }

    private Map<String, List<TableRegions>> regionsByNode(Set<Long> tables) {
        Map<String, Map<Long, TableRegions.Builder>> byNode = new LinkedHashMap<>();
        for (String node : cluster.nodes()) {
            for (long table : tables) {
                for (ClusterView.Placement placement : cluster.regions(table)) {
                    if (!placement.node().equals(node)) {
                        continue;
                    }
                    Metapb.Region region = placement.region().getRegion();
                    byNode.computeIfAbsent(node, ignored -> new LinkedHashMap<>())
                            .computeIfAbsent(table, id -> TableRegions.newBuilder().setPhysicalTableId(id))
                            .addRegions(RegionInfo.newBuilder()
                                    .setRegionId(region.getId())
                                    .setRegionEpoch(region.getRegionEpoch())
                                    .addRanges(KeyRange.newBuilder().setStart(region.getStartKey()).setEnd(region.getEndKey())));
                }
            }
        }
        Map<String, List<TableRegions>> result = new LinkedHashMap<>();
        byNode.forEach((node, perTable) -> result.put(node, perTable.values().stream().map(TableRegions.Builder::build).toList()));
        return result;
    }
}
