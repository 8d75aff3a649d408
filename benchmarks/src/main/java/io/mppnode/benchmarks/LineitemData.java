package io.mppnode.benchmarks;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * A lineitem-like table, generated from a fixed seed, held as Arrow batches of
 * {@value #BATCH_ROWS} rows for our operators and loadable into a DuckDB table {@code lineitem}
 * with the same values, for {@link OperatorBenchmark}. No value is NULL (as in TPC-H).
 *
 * <p>The columns follow TPC-H's lineitem where it matters to the operators:
 * <ul>
 *   <li>{@code l_orderkey} int64: 2^20 order slots drawn uniformly per row and spread as TPC-H's
 *       sparse keys (8 of every 32), so about 1.03 million distinct keys in 4 million rows, in
 *       no particular order (TPC-H's lineitem is clustered by order; this is the harder case);
 *   <li>{@code l_quantity} int32 1..50; {@code l_extendedprice} decimal(15, 2), quantity times a
 *       part price of 900.00..2099.99; {@code l_discount} decimal(15, 2) 0.00..0.10;
 *       {@code l_tax} decimal(15, 2) 0.00..0.08;
 *   <li>{@code l_returnflag}, {@code l_linestatus} strings of one character, derived from the
 *       ship and receipt dates around 1995-06-17 as in TPC-H: four combinations (A/F, R/F, N/F,
 *       N/O);
 *   <li>{@code l_shipdate} date, uniform over 1992-01-02..1998-12-01;
 *   <li>{@code d_extendedprice}, {@code d_discount}, {@code d_tax} float64: the same three
 *       decimals as doubles, to compare float64 with decimal work on equal values.
 * </ul>
 *
 * <p>The batches belong to this object; {@link #share} hands out batches sharing their buffers.
 * {@link #close()} frees them and closes the allocator given to the constructor (failing on a
 * leak). Not thread-safe.
 */
final class LineitemData implements AutoCloseable {
    static final int BATCH_ROWS = 8192;
    /** The order slots {@code l_orderkey} is drawn from, each an order of {@link OrdersData}. */
    static final int ORDER_SLOTS = 1 << 20;
    static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("l_orderkey", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("l_quantity", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("l_extendedprice", ColumnTypes.decimal(15, 2)),
            new ColumnSchema("l_discount", ColumnTypes.decimal(15, 2)),
            new ColumnSchema("l_tax", ColumnTypes.decimal(15, 2)),
            new ColumnSchema("l_returnflag", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("l_linestatus", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("l_shipdate", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("d_extendedprice", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("d_discount", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("d_tax", ColumnTypes.of(TypeKind.FLOAT64)));
    private static final String DUCKDB_TABLE = "CREATE TABLE lineitem (l_orderkey BIGINT, l_quantity INTEGER,"
            + " l_extendedprice DECIMAL(15, 2), l_discount DECIMAL(15, 2), l_tax DECIMAL(15, 2), l_returnflag VARCHAR,"
            + " l_linestatus VARCHAR, l_shipdate DATE, d_extendedprice DOUBLE, d_discount DOUBLE, d_tax DOUBLE)";
    private static final long SEED = 19_920_102L;
    private static final int FIRST_SHIP_DAY = (int) LocalDate.of(1992, 1, 2).toEpochDay();
    private static final int SHIP_DAYS = (int) (LocalDate.of(1998, 12, 1).toEpochDay() - FIRST_SHIP_DAY + 1);
    private static final int CURRENT_DAY = (int) LocalDate.of(1995, 6, 17).toEpochDay();
    private static final byte[][] FLAGS = {bytes("A"), bytes("R"), bytes("N")};
    private static final byte[][] STATUSES = {bytes("F"), bytes("O")};

    private final BufferAllocator allocator;
    private final Schema schema;
    private final List<VectorSchemaRoot> batches = new ArrayList<>();

    /** Generates {@code batchCount} full batches in {@code allocator}, which this object then owns. */
    LineitemData(BufferAllocator allocator, int batchCount) {
        this.allocator = allocator;
        this.schema = new Schema(COLUMNS.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
        SplittableRandom random = new SplittableRandom(SEED);
        try {
            for (int b = 0; b < batchCount; b++) {
                batches.add(batch(random));
            }
        } catch (RuntimeException | Error e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    private VectorSchemaRoot batch(SplittableRandom random) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                vector.setInitialCapacity(BATCH_ROWS);
                vector.allocateNew();
            }
            BigIntVector orderKey = (BigIntVector) batch.getVector(0);
            IntVector quantity = (IntVector) batch.getVector(1);
            DecimalVector price = (DecimalVector) batch.getVector(2);
            DecimalVector discount = (DecimalVector) batch.getVector(3);
            DecimalVector tax = (DecimalVector) batch.getVector(4);
            VarCharVector returnFlag = (VarCharVector) batch.getVector(5);
            VarCharVector lineStatus = (VarCharVector) batch.getVector(6);
            DateDayVector shipDate = (DateDayVector) batch.getVector(7);
            Float8Vector priceDouble = (Float8Vector) batch.getVector(8);
            Float8Vector discountDouble = (Float8Vector) batch.getVector(9);
            Float8Vector taxDouble = (Float8Vector) batch.getVector(10);
            for (int row = 0; row < BATCH_ROWS; row++) {
                int slot = random.nextInt(ORDER_SLOTS);
                int units = 1 + random.nextInt(50);
                long priceCents = (long) units * (90_000 + random.nextInt(120_000));
                int discountCents = random.nextInt(11);
                int taxCents = random.nextInt(9);
                int ship = FIRST_SHIP_DAY + random.nextInt(SHIP_DAYS);
                int receipt = ship + 1 + random.nextInt(30);
                orderKey.set(row, orderKey(slot));
                quantity.set(row, units);
                price.set(row, priceCents); // the unscaled value
                discount.set(row, discountCents);
                tax.set(row, taxCents);
                returnFlag.setSafe(row, receipt <= CURRENT_DAY ? FLAGS[random.nextInt(2)] : FLAGS[2]);
                lineStatus.setSafe(row, ship > CURRENT_DAY ? STATUSES[1] : STATUSES[0]);
                shipDate.set(row, ship);
                priceDouble.set(row, priceCents / 100.0);
                discountDouble.set(row, discountCents / 100.0);
                taxDouble.set(row, taxCents / 100.0);
            }
            batch.setRowCount(BATCH_ROWS);
            return batch;
        } catch (RuntimeException | Error e) {
            batch.close();
            throw e;
        }
    }

    /** The key of order slot {@code slot} (0 .. {@link #ORDER_SLOTS} - 1): TPC-H's sparse keys, 8 of every 32. */
    static long orderKey(int slot) {
        return (long) (slot >>> 3) * 32 + (slot & 7) + 1;
    }

    int batchCount() {
        return batches.size();
    }

    long rows() {
        return (long) batches.size() * BATCH_ROWS;
    }

    /** The schemas of the named columns, in that order (an operator's input). */
    static List<ColumnSchema> columns(List<String> names) {
        return names.stream().map(name -> COLUMNS.stream().filter(column -> column.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("lineitem has no column " + name))).toList();
    }

    /** The positions of the named columns, for {@link #share}. */
    static int[] columnIndexes(List<String> names) {
        int[] indexes = new int[names.size()];
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = COLUMNS.indexOf(columns(List.of(names.get(i))).getFirst());
        }
        return indexes;
    }

    /**
     * Batch {@code index} with only the given columns (as a scan with column pruning gives them),
     * sharing the stored buffers: no copy. The caller owns the returned batch and closes it (or
     * hands it to an operator, which then does).
     */
    VectorSchemaRoot share(int index, int[] columnIndexes) {
        return share(batches.get(index), columnIndexes);
    }

    /** The given columns of {@code batch} in a new batch sharing its buffers (see {@link #share(int, int[])}). */
    static VectorSchemaRoot share(VectorSchemaRoot batch, int[] columnIndexes) {
        List<FieldVector> vectors = new ArrayList<>(columnIndexes.length);
        try {
            for (int column : columnIndexes) {
                FieldVector vector = batch.getVector(column);
                TransferPair pair = vector.getTransferPair(vector.getAllocator());
                pair.splitAndTransfer(0, batch.getRowCount());
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(), vectors, batch.getRowCount());
    }

    /** Creates table {@code lineitem} in {@code duckdb} and appends every row of the batches to it. */
    void loadInto(Connection duckdb) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute(DUCKDB_TABLE);
        }
        try (DuckDBAppender appender = duckdb.unwrap(DuckDBConnection.class).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "lineitem")) {
            for (VectorSchemaRoot batch : batches) {
                BigIntVector orderKey = (BigIntVector) batch.getVector(0);
                IntVector quantity = (IntVector) batch.getVector(1);
                DecimalVector price = (DecimalVector) batch.getVector(2);
                DecimalVector discount = (DecimalVector) batch.getVector(3);
                DecimalVector tax = (DecimalVector) batch.getVector(4);
                VarCharVector returnFlag = (VarCharVector) batch.getVector(5);
                VarCharVector lineStatus = (VarCharVector) batch.getVector(6);
                DateDayVector shipDate = (DateDayVector) batch.getVector(7);
                Float8Vector priceDouble = (Float8Vector) batch.getVector(8);
                Float8Vector discountDouble = (Float8Vector) batch.getVector(9);
                Float8Vector taxDouble = (Float8Vector) batch.getVector(10);
                for (int row = 0; row < batch.getRowCount(); row++) {
                    appender.beginRow()
                            .append(orderKey.get(row))
                            .append(quantity.get(row))
                            .appendDecimal(unscaled(price, row))
                            .appendDecimal(unscaled(discount, row))
                            .appendDecimal(unscaled(tax, row))
                            .append(new String(returnFlag.get(row), StandardCharsets.UTF_8))
                            .append(new String(lineStatus.get(row), StandardCharsets.UTF_8))
                            .appendEpochDays(shipDate.get(row))
                            .append(priceDouble.get(row))
                            .append(discountDouble.get(row))
                            .append(taxDouble.get(row))
                            .endRow();
                }
            }
            appender.flush();
        }
    }

    /** A decimal's unscaled value, which in this table always fits a long (the low half of the 128 bits). */
    private static long unscaled(DecimalVector vector, int row) {
        return vector.getDataBuffer().getLong((long) row * DecimalVector.TYPE_WIDTH);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Frees the batches and closes the allocator. @throws IllegalStateException on a leak */
    @Override
    public void close() {
        batches.forEach(VectorSchemaRoot::close);
        batches.clear();
        ExchangeBenchmark.closeChecked(allocator);
    }
}
