package io.mppnode.exchange.receiver;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.Mpp.TaskMeta;

/**
 * One sender a receiver reads from: its task, whether it runs on this node (a local tunnel) or
 * elsewhere (a gRPC stream), and the name errors use for it.
 */
public record ExchangeSource(TaskMeta sender, TaskMeta receiver, boolean local) {
    public ExchangeSource {
        requireNonNull(sender, "sender is null");
        requireNonNull(receiver, "receiver is null");
    }

    /** "task 3 at 127.0.0.1:20170": how errors name the source. */
    public String name() {
        return "task " + sender.getTaskId() + " at " + sender.getAddress();
    }
}
