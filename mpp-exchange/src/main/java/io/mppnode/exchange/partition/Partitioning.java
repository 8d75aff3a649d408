package io.mppnode.exchange.partition;

/**
 * How the partitions of a hash exchange map to receivers and, with fine-grained shuffle, to the
 * streams of each receiver's tunnel: {@code targetCount * streamCount} partitions, partition
 * {@code p} going to receiver {@code p % targetCount}, stream {@code p / targetCount}.
 *
 * <p>Receiver-minor numbering is chosen so that the receiver of a row does not depend on the
 * stream count: {@code (h mod (T * S)) mod T == h mod T} for any row hash {@code h}, because
 * {@code T} divides {@code T * S}. Two exchanges hashing the same keys to the same receivers stay
 * co-partitioned even when only one of them uses fine-grained shuffle, or they use different
 * stream counts; only the stream within a receiver changes.
 *
 * @param targetCount the number of receivers (tunnels), in the ExchangeSender's partition order
 * @param streamCount the streams per tunnel; 1 without fine-grained shuffle
 */
public record Partitioning(int targetCount, int streamCount) {
    public Partitioning {
        if (targetCount < 1) {
            throw new IllegalArgumentException("targetCount must be at least 1, was " + targetCount);
        }
        if (streamCount < 1) {
            throw new IllegalArgumentException("streamCount must be at least 1, was " + streamCount);
        }
        if ((long) targetCount * streamCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(targetCount + " targets x " + streamCount + " streams is too many partitions");
        }
    }

    /** From the plan's ExchangeSender, where a {@code fine_grained_stream_count} of 0 means one stream. */
    public static Partitioning of(int targetCount, int fineGrainedStreamCount) {
        return new Partitioning(targetCount, fineGrainedStreamCount == 0 ? 1 : fineGrainedStreamCount);
    }

    public int partitionCount() {
        return targetCount * streamCount;
    }

    /** The receiver (index in partition order) of partition {@code partition}. */
    public int target(int partition) {
        checkPartition(partition);
        return partition % targetCount;
    }

    /** The stream id, within its receiver's tunnel, of partition {@code partition}. */
    public int stream(int partition) {
        checkPartition(partition);
        return partition / targetCount;
    }

    /** The partition that goes to {@code target}, stream {@code stream}. */
    public int partition(int target, int stream) {
        if (target < 0 || target >= targetCount) {
            throw new IllegalArgumentException("target " + target + " is out of range 0.." + (targetCount - 1));
        }
        if (stream < 0 || stream >= streamCount) {
            throw new IllegalArgumentException("stream " + stream + " is out of range 0.." + (streamCount - 1));
        }
        return stream * targetCount + target;
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= partitionCount()) {
            throw new IllegalArgumentException("partition " + partition + " is out of range 0.." + (partitionCount() - 1));
        }
    }
}
