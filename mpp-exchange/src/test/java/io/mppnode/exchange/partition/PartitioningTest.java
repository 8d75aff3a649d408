package io.mppnode.exchange.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PartitioningTest {
    @Test
    void aStreamCountOfZeroInThePlanMeansOne() {
        Partitioning partitioning = Partitioning.of(3, 0);
        assertThat(partitioning).isEqualTo(new Partitioning(3, 1));
        assertThat(partitioning.partitionCount()).isEqualTo(3);
        assertThat(partitioning.target(2)).isEqualTo(2);
        assertThat(partitioning.stream(2)).isZero();
    }

    @Test
    void everyTargetAndStreamHasExactlyOnePartition() {
        Partitioning partitioning = new Partitioning(3, 4);
        assertThat(partitioning.partitionCount()).isEqualTo(12);
        Set<List<Integer>> seen = new HashSet<>();
        for (int partition = 0; partition < 12; partition++) {
            int target = partitioning.target(partition);
            int stream = partitioning.stream(partition);
            assertThat(partitioning.partition(target, stream)).isEqualTo(partition);
            seen.add(List.of(target, stream));
        }
        assertThat(seen).hasSize(12);
        // Receiver-minor: consecutive partitions go round the receivers.
        assertThat(List.of(partitioning.target(0), partitioning.target(1), partitioning.target(2), partitioning.target(3)))
                .containsExactly(0, 1, 2, 0);
        assertThat(partitioning.stream(3)).isEqualTo(1);
    }

    @Test
    void theTargetOfAHashDoesNotDependOnTheStreamCount() {
        SplittableRandom random = new SplittableRandom(21);
        for (int i = 0; i < 10_000; i++) {
            long hash = i < 3 ? i - 2 : random.nextLong();
            int targets = 1 + random.nextInt(20);
            int withoutStreams = PartitionHash.partition(hash, targets);
            for (int streams : new int[] {1, 2, 3, 8, 16}) {
                Partitioning partitioning = new Partitioning(targets, streams);
                assertThat(partitioning.target(PartitionHash.partition(hash, partitioning.partitionCount())))
                        .isEqualTo(withoutStreams);
            }
        }
    }

    @Test
    void refusesOutOfRange() {
        assertThatThrownBy(() -> new Partitioning(0, 1)).hasMessageContaining("targetCount");
        assertThatThrownBy(() -> new Partitioning(1, 0)).hasMessageContaining("streamCount");
        assertThatThrownBy(() -> new Partitioning(65536, 65536)).hasMessageContaining("too many partitions");
        Partitioning partitioning = new Partitioning(2, 2);
        assertThatThrownBy(() -> partitioning.target(4)).hasMessageContaining("partition 4 is out of range 0..3");
        assertThatThrownBy(() -> partitioning.stream(-1)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> partitioning.partition(2, 0)).hasMessageContaining("target 2");
        assertThatThrownBy(() -> partitioning.partition(0, 2)).hasMessageContaining("stream 2");
    }
}
