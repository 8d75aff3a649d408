package io.mppnode.exec.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionIndexTest {
    @Test
    void agreesWithAHashMapAcrossGrowthAndExtremeHandles() {
        Random random = new Random(5);
        VersionIndex index = new VersionIndex(0);
        Map<Long, Long> reference = new HashMap<>();
        long[] special = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 32, -(1L << 32)};
        for (int i = 0; i < 200_000; i++) {
            long handle = i % 10 == 0 ? special[random.nextInt(special.length)]
                    : random.nextBoolean() ? random.nextInt(50_000) : random.nextLong();
            long location = VersionIndex.location(random.nextInt(Integer.MAX_VALUE), random.nextInt(Region.MAX_CHUNK_ROWS));
            index.put(handle, location);
            reference.put(handle, location);
        }
        assertThat(index.size()).isEqualTo(reference.size());
        reference.forEach((handle, location) -> assertThat(index.get(handle)).isEqualTo(location));
        for (int i = 0; i < 10_000; i++) {
            long handle = random.nextLong();
            assertThat(index.get(handle)).isEqualTo(reference.getOrDefault(handle, VersionIndex.ABSENT));
        }
        Map<Long, Long> visited = new HashMap<>();
        index.forEach(visited::put);
        assertThat(visited).isEqualTo(reference);
    }

    @Test
    void locationsPackAChunkPositionAndARow() {
        long location = VersionIndex.location(123_456, 8191);
        assertThat(VersionIndex.chunkOf(location)).isEqualTo(123_456);
        assertThat(VersionIndex.rowOf(location)).isEqualTo(8191);
        assertThatThrownBy(() -> new VersionIndex(4).put(1, VersionIndex.ABSENT)).isInstanceOf(IllegalArgumentException.class);
    }
}
