package io.mppnode.exchange.sender;

import io.mppnode.exchange.codec.TestingBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A partitioner for tests: routes each row by a rule on its values (the row as
 * {@link TestingBatches#rows} reads it), copying the rows of each partition into a new batch
 * from {@code allocator}; a partition with no rows is null. It records the partition counts it
 * was asked for.
 */
final class TestingPartitioner implements ExchangeWriter.Partitioner {
    private final BufferAllocator allocator;
    private final ToIntFunction<List<Object>> rule;
    private final List<Integer> partitionCounts = new ArrayList<>();

    /** @param rule the partition of a row, taken modulo the partition count */
    TestingPartitioner(BufferAllocator allocator, ToIntFunction<List<Object>> rule) {
        this.allocator = allocator;
        this.rule = rule;
    }

    @Override
    public VectorSchemaRoot[] split(VectorSchemaRoot batch, int partitionCount) {
        partitionCounts.add(partitionCount);
        List<List<Object[]>> parts = new ArrayList<>();
        for (int i = 0; i < partitionCount; i++) {
            parts.add(new ArrayList<>());
        }
        for (List<Object> row : TestingBatches.rows(batch)) {
            parts.get(Math.floorMod(rule.applyAsInt(row), partitionCount)).add(row.toArray());
        }
        VectorSchemaRoot[] result = new VectorSchemaRoot[partitionCount];
        for (int i = 0; i < partitionCount; i++) {
            if (!parts.get(i).isEmpty()) {
                result[i] = TestingBatches.batch(allocator, batch.getSchema(), parts.get(i));
            }
        }
        return result;
    }

    List<Integer> partitionCounts() {
        return List.copyOf(partitionCounts);
    }
}
