package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.Executor;
import java.util.List;

/**
 * A piece of a distributed plan that runs as one task on each of its nodes. Its root is an
 * ExchangeSender whose receivers the coordinator fills in (the parent fragment's tasks, or the
 * coordinator itself for the root fragment); the i-th ExchangeReceiver of its tree, in
 * depth-first order, receives from the i-th child fragment.
 */
public record Fragment(Executor root, List<String> nodes, List<Fragment> children) {
    public Fragment {
        requireNonNull(root, "root is null");
        nodes = List.copyOf(nodes);
        children = List.copyOf(children);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("fragment '" + root.getExecutorId() + "' runs on no node");
        }
    }

    public static Fragment of(Executor root, List<String> nodes) {
        return new Fragment(root, nodes, List.of());
    }
}
