package io.mppnode.exec.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class HeapMemoryTest {
    @Test
    void countsHeapBytesInTheAllocatorAndGivesThemBack() {
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator child = root.newChildAllocator("operator", 0, Long.MAX_VALUE)) {
            try (HeapMemory heap = new HeapMemory(child)) {
                heap.reserve(1000);
                heap.reserve(3000);
                assertThat(heap.usedBytes()).isEqualTo(4000);
                assertThat(child.getAllocatedMemory()).isBetween(4000L, 8192L);
                heap.release(3500);
                assertThat(heap.usedBytes()).isEqualTo(500);
                assertThat(child.getAllocatedMemory()).isBetween(500L, 1024L);
                assertThat(child.getPeakMemoryAllocation()).isGreaterThanOrEqualTo(4000L);
            }
            assertThat(child.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void refusesBytesBeyondTheLimitAndCountsNothingThen() {
        try (BufferAllocator root = new RootAllocator(10_000);
                BufferAllocator child = root.newChildAllocator("operator", 0, Long.MAX_VALUE);
                HeapMemory heap = new HeapMemory(child)) {
            heap.reserve(4000);
            assertThatThrownBy(() -> heap.reserve(20_000))
                    .isInstanceOf(OutOfMemoryException.class)
                    .hasMessageContaining("operator");
            assertThat(heap.usedBytes()).isEqualTo(4000);
            assertThat(child.getAllocatedMemory()).isLessThanOrEqualTo(4096L);
        }
    }
}
