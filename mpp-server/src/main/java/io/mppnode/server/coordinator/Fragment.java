package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.Coprocessor.TableRegions;
import io.mppnode.proto.plan.Executor;
import java.util.List;
import java.util.Map;

/**
 * A piece of a distributed plan that runs as one task on each of its nodes. Its root is an
 * ExchangeSender whose receivers the coordinator fills in (the parent fragment's tasks, or the
 * coordinator itself for the root fragment); the i-th ExchangeReceiver of its tree, in
 * depth-first order, receives from the i-th child fragment. {@code regions} names, per node,
 * the regions its task's TableScans read (a node without an entry reads every region it holds).
 */
public record Fragment(Executor root, List<String> nodes, List<Fragment> children, Map<String, List<TableRegions>> regions) {
    public Fragment {
        requireNonNull(root, "root is null");
        nodes = List.copyOf(nodes);
        children = List.copyOf(children);
        regions = Map.copyOf(regions);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("fragment '" + root.getExecutorId() + "' runs on no node");
        }
    }

    public Fragment(Executor root, List<String> nodes, List<Fragment> children) {
        this(root, nodes, children, Map.of());
    }

    public static Fragment of(Executor root, List<String> nodes) {
        return new Fragment(root, nodes, List.of());
    }
}
