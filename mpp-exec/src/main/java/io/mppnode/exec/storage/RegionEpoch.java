package io.mppnode.exec.storage;

/** A region's epoch, as in metapb: {@code conf_ver} moves on membership changes, {@code version} on splits and merges. */
public record RegionEpoch(long confVer, long version) {
    public static final RegionEpoch INITIAL = new RegionEpoch(1, 1);

    @Override
    public String toString() {
        return "epoch(conf_ver " + confVer + ", version " + version + ")";
    }
}
