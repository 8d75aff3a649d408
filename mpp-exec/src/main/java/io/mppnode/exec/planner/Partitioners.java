package io.mppnode.exec.planner;

import io.mppnode.exchange.partition.HashPartitioner;
import io.mppnode.exchange.sender.ExchangeWriter;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/** The exchange partitioners a plan can ask for. */
final class Partitioners {
    private Partitioners() {}

    /** Hash partitioning on the given key columns; the parts are allocated from {@code allocator}. */
    static ExchangeWriter.Partitioner hash(Schema schema, List<Integer> keyColumns, int partitionCount, BufferAllocator allocator) {
        HashPartitioner partitioner = new HashPartitioner(schema, keyColumns, partitionCount);
        return (batch, count) -> {
            if (count != partitionCount) {
                throw new IllegalArgumentException("the partitioner was made for " + partitionCount + " partitions, asked for " + count);
            }
            return partitioner.split(batch, allocator);
        };
    }
}
