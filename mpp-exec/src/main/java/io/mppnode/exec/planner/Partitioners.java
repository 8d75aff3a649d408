package io.mppnode.exec.planner;

import io.mppnode.exchange.sender.ExchangeWriter;
import org.apache.arrow.memory.BufferAllocator;

/** The exchange partitioners a plan can ask for. */
final class Partitioners {
    private Partitioners() {}

    /** Hash partitioning on the given key columns; the parts are allocated from {@code allocator}. */
    static ExchangeWriter.Partitioner hash(int[] keyColumns, BufferAllocator allocator) {
        throw new UnsupportedOperationException("hash partitioning lands with exchange.partition");
    }
}
