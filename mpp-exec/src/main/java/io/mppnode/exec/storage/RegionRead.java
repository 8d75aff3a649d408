package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** A region a task reads: its id, the epoch the coordinator knows, and the handle ranges to read (empty: all of it). */
public record RegionRead(long regionId, RegionEpoch epoch, List<HandleRange> ranges) {
    public RegionRead {
        requireNonNull(epoch, "epoch is null");
        ranges = List.copyOf(ranges);
    }
}
