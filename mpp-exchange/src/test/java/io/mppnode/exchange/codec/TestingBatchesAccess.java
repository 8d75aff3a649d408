package io.mppnode.exchange.codec;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** {@link TestingBatches} for tests in other packages (it is package-private). */
public final class TestingBatchesAccess {
    public static final Schema ALL_TYPES = TestingBatches.ALL_TYPES;

    private TestingBatchesAccess() {}

    public static Object[] fullRow(int seed) {
        return TestingBatches.fullRow(seed);
    }

    public static Object[] nullRow() {
        return TestingBatches.nullRow();
    }

    /** A batch of {@code rows}; the caller closes it. */
    public static VectorSchemaRoot batch(BufferAllocator allocator, Schema schema, List<Object[]> rows) {
        return TestingBatches.batch(allocator, schema, rows);
    }

    public static List<List<Object>> rows(VectorSchemaRoot root) {
        return TestingBatches.rows(root);
    }

    public static List<List<Object>> asLists(List<Object[]> rows) {
        return TestingBatches.asLists(rows);
    }
}
