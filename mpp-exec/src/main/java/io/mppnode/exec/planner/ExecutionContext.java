package io.mppnode.exec.planner;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.RegionRead;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What a task's pipeline is built with: the task's allocator (a child of its query's), the
 * catalog, the snapshot timestamp, the tunnels to the sender's receivers in the plan's receiver
 * order (each a local or a remote tunnel), the factory of its exchange receivers, the rows per
 * batch, the node's default concurrency (a plan's own concurrency overrides it), and the
 * regions each TableScan reads, by table id (checked at dispatch; a table without an entry is
 * read in every region the node holds). The task owns all of these; the pipeline only borrows
 * them.
 */
public record ExecutionContext(BufferAllocator allocator, Catalog catalog, long startTs, List<Tunnel<?>> tunnels,
        ExchangeReceiverFactory receivers, int batchRows, int concurrency, Map<Long, List<RegionRead>> regions) {
    public static final int DEFAULT_BATCH_ROWS = 8192;

    public ExecutionContext {
        requireNonNull(allocator, "allocator is null");
        requireNonNull(catalog, "catalog is null");
        tunnels = List.copyOf(tunnels);
        regions = Map.copyOf(regions);
        requireNonNull(receivers, "receivers is null");
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        if (concurrency <= 0) {
            throw new IllegalArgumentException("concurrency must be positive: " + concurrency);
        }
    }

    /** A context that reads every region of every table. */
    public ExecutionContext(BufferAllocator allocator, Catalog catalog, long startTs, List<Tunnel<?>> tunnels,
            ExchangeReceiverFactory receivers, int batchRows, int concurrency) {
        this(allocator, catalog, startTs, tunnels, receivers, batchRows, concurrency, Map.of());
    }
}
