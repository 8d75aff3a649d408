package io.mppnode.benchmarks;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * An orders-like table, the build side of the hash join benchmarks: one row per order slot of
 * {@link LineitemData} ({@value LineitemData#ORDER_SLOTS} rows, 1,048,576), so that every
 * {@code l_orderkey} finds exactly one {@code o_orderkey}. Generated from a fixed seed, held as
 * Arrow batches of {@value LineitemData#BATCH_ROWS} rows, loadable into a DuckDB table
 * {@code orders} with the same values. No value is NULL.
 *
 * <p>Columns: {@code o_orderkey} int64, unique, TPC-H's sparse keys (8 of every 32) in a
 * random order (a shuffled table: the hash table gets no help from ordered keys);
 * {@code o_custkey} int64, uniform over 1..150,000.
 *
 * <p>The batches belong to this object; {@link #share} hands out batches sharing their buffers.
 * {@link #close()} frees them and closes the allocator given to the constructor (failing on a
 * leak). Not thread-safe.
 */
final class OrdersData implements AutoCloseable {
    static final int ROWS = LineitemData.ORDER_SLOTS;
    static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("o_orderkey", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("o_custkey", ColumnTypes.of(TypeKind.INT64)));
    private static final String DUCKDB_TABLE = "CREATE TABLE orders (o_orderkey BIGINT, o_custkey BIGINT)";
    private static final long SEED = 19_950_617L;
    private static final int CUSTOMERS = 150_000;

    private final BufferAllocator allocator;
    private final List<VectorSchemaRoot> batches = new ArrayList<>();

    /** Generates the table in {@code allocator}, which this object then owns. */
    OrdersData(BufferAllocator allocator) {
        this.allocator = allocator;
        Schema schema = new Schema(COLUMNS.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
        SplittableRandom random = new SplittableRandom(SEED);
        int[] slots = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            slots[i] = i;
        }
        for (int i = ROWS - 1; i > 0; i--) { // Fisher-Yates
            int j = random.nextInt(i + 1);
            int slot = slots[i];
            slots[i] = slots[j];
            slots[j] = slot;
        }
        try {
            for (int first = 0; first < ROWS; first += LineitemData.BATCH_ROWS) {
                VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
                batches.add(batch);
                int rows = Math.min(LineitemData.BATCH_ROWS, ROWS - first);
                for (FieldVector vector : batch.getFieldVectors()) {
                    vector.setInitialCapacity(rows);
                    vector.allocateNew();
                }
                BigIntVector orderKey = (BigIntVector) batch.getVector(0);
                BigIntVector custKey = (BigIntVector) batch.getVector(1);
                for (int row = 0; row < rows; row++) {
                    orderKey.set(row, LineitemData.orderKey(slots[first + row]));
                    custKey.set(row, 1 + random.nextInt(CUSTOMERS));
                }
                batch.setRowCount(rows);
            }
        } catch (RuntimeException | Error e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    int batchCount() {
        return batches.size();
    }

    /**
     * Batch {@code index}, all columns, sharing the stored buffers: no copy. The caller owns the
     * returned batch and closes it (or hands it to an operator, which then does).
     */
    VectorSchemaRoot share(int index) {
        return LineitemData.share(batches.get(index), new int[] {0, 1});
    }

    /** Creates table {@code orders} in {@code duckdb} and appends every row of the batches to it. */
    void loadInto(Connection duckdb) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute(DUCKDB_TABLE);
        }
        try (DuckDBAppender appender = duckdb.unwrap(DuckDBConnection.class).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "orders")) {
            for (VectorSchemaRoot batch : batches) {
                BigIntVector orderKey = (BigIntVector) batch.getVector(0);
                BigIntVector custKey = (BigIntVector) batch.getVector(1);
                for (int row = 0; row < batch.getRowCount(); row++) {
                    appender.beginRow().append(orderKey.get(row)).append(custKey.get(row)).endRow();
                }
            }
            appender.flush();
        }
    }

    /** Frees the batches and closes the allocator. @throws IllegalStateException on a leak */
    @Override
    public void close() {
        batches.forEach(VectorSchemaRoot::close);
        batches.clear();
        ExchangeBenchmark.closeChecked(allocator);
    }
}
