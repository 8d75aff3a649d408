package io.mppnode.exec.operator;

import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Random rows for the sort oracle tests, loaded both as Arrow batches and into an in-memory
 * DuckDB table "t": a unique id in shuffled order (the tiebreak), then a column of every type,
 * each with about 15% NULLs and many duplicates: negative numbers and the int64 extremes, NaN
 * and infinities in the double, decimals of 12 and of 30 digits, multi-byte strings and strings
 * sharing prefixes longer than 8 bytes, dates and timestamps.
 */
final class TestingSortTable implements AutoCloseable {
    static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("a", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("b", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("c", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("f", ColumnTypes.of(TypeKind.BOOLEAN)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("d", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("ts", ColumnTypes.of(TypeKind.TIMESTAMP)),
            new ColumnSchema("p", ColumnTypes.decimal(12, 2)),
            new ColumnSchema("q", ColumnTypes.decimal(30, 4)));
    static final Schema SCHEMA = new Schema(COLUMNS.stream()
            .map(column -> ColumnTypes.toArrowField(column.name(), column.type()))
            .toList());
    private static final String DUCKDB_COLUMNS = "id BIGINT, a INTEGER, b BIGINT, c DOUBLE, f BOOLEAN, s VARCHAR, "
            + "d DATE, ts TIMESTAMP, p DECIMAL(12, 2), q DECIMAL(30, 4)";
    private static final String[] WORDS = {"apple", "mango", "Zebra", "münchen", "東京", "", "m", "naïve", "zoo😀",
        "ÿ", "prefix-s", "prefix-sh", "prefix-shared-alpha", "prefix-shared-beta", "prefix-shared-", "Ā"};

    private final List<List<Object>> rows;
    private final Connection duckdb;

    private TestingSortTable(List<List<Object>> rows, Connection duckdb) {
        this.rows = rows;
        this.duckdb = duckdb;
    }

    /** {@code count} random rows from {@code seed}, loaded into a new in-memory DuckDB. */
    static TestingSortTable load(int count, long seed) throws SQLException {
        Random random = new Random(seed);
        List<Long> ids = new ArrayList<>();
        for (long id = 0; id < count; id++) {
            ids.add(id);
        }
        Collections.shuffle(ids, random);
        List<List<Object>> rows = new ArrayList<>();
        for (long id : ids) {
            rows.add(Arrays.asList(
                    id,
                    maybeNull(random, random.nextInt(101) - 50),
                    maybeNull(random, int64(random)),
                    maybeNull(random, float64(random)),
                    maybeNull(random, random.nextBoolean()),
                    maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                    maybeNull(random, LocalDate.of(1999, 12, 25).plusDays(random.nextInt(15))),
                    maybeNull(random, LocalDateTime.of(2000, 1, 1, 0, 0).plusSeconds(random.nextInt(200) - 100)
                            .plusNanos(random.nextInt(3) * 1000L)),
                    maybeNull(random, BigDecimal.valueOf(random.nextInt(2001) - 1000, 2)),
                    maybeNull(random, wideDecimal(random))));
        }
        Connection duckdb = DriverManager.getConnection("jdbc:duckdb:");
        try {
            try (Statement statement = duckdb.createStatement()) {
                statement.execute("CREATE TABLE t (" + DUCKDB_COLUMNS + ")");
            }
            try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (List<Object> row : rows) {
                    for (int i = 0; i < row.size(); i++) {
                        insert.setObject(i + 1, row.get(i));
                    }
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        } catch (SQLException | RuntimeException e) {
            duckdb.close();
            throw e;
        }
        return new TestingSortTable(rows, duckdb);
    }

    private static long int64(Random random) {
        return switch (random.nextInt(40)) {
            case 0 -> Long.MIN_VALUE;
            case 1 -> Long.MAX_VALUE;
            default -> random.nextInt(401) - 200;
        };
    }

    private static double float64(Random random) {
        return switch (random.nextInt(40)) {
            case 0 -> Double.NaN;
            case 1 -> Double.POSITIVE_INFINITY;
            case 2 -> Double.NEGATIVE_INFINITY;
            default -> Math.round(random.nextGaussian() * 100) / 10.0;
        };
    }

    /**
     * Values beyond 18 digits (the 128-bit path), a few small ones repeated, and some around
     * +-2^63 unscaled, whose 128-bit values share the high word and differ in the low word's top bit.
     */
    private static BigDecimal wideDecimal(Random random) {
        switch (random.nextInt(8)) {
            case 0, 1 -> {
                return BigDecimal.valueOf(random.nextInt(7) - 3, 4);
            }
            case 2 -> {
                BigInteger nearTwoToThe63 = BigInteger.ONE.shiftLeft(63).add(BigInteger.valueOf(random.nextInt(5) - 2));
                return new BigDecimal(random.nextBoolean() ? nearTwoToThe63 : nearTwoToThe63.negate(), 4);
            }
            default -> { }
        }
        BigInteger unscaled = new BigInteger(95, random).subtract(BigInteger.ONE.shiftLeft(94));
        return new BigDecimal(unscaled, 4);
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }

    List<List<Object>> rows() {
        return rows;
    }

    static int column(String name) {
        for (int i = 0; i < COLUMNS.size(); i++) {
            if (COLUMNS.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no column " + name);
    }

    /**
     * The rows as batches of {@code batchRows} (the last one shorter), with a batch of no rows
     * first, and one between every two batches, in {@code allocator}; the caller owns them.
     */
    List<VectorSchemaRoot> batches(BufferAllocator allocator, int batchRows) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        batches.add(batch(allocator, List.of()));
        for (int start = 0; start < rows.size(); start += batchRows) {
            batches.add(batch(allocator, rows.subList(start, Math.min(rows.size(), start + batchRows))));
            batches.add(batch(allocator, List.of()));
        }
        return batches;
    }

    /** The rows as one batch in {@code allocator}, which the caller owns. */
    static VectorSchemaRoot batch(BufferAllocator allocator, List<List<Object>> rows) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator);
        try {
            for (int column = 0; column < COLUMNS.size(); column++) {
                batch.getVector(column).allocateNew();
                for (int row = 0; row < rows.size(); row++) {
                    ArrowValues.set(batch.getVector(column), row, rows.get(row).get(column));
                }
                batch.getVector(column).setValueCount(rows.size());
            }
            batch.setRowCount(rows.size());
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        return batch;
    }

    /** A compiled key expression over the table's columns. */
    static VectorExpr key(Expr expr) {
        return new ExprCompiler("sort_1").compile(new ExprBinder("sort_1", COLUMNS).bind(expr));
    }

    static VectorExpr key(String column) {
        return key(Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(column)).build());
    }

    /** The rows DuckDB answers, as the Java values ArrowValues reads (LocalDate, LocalDateTime, ...). */
    List<List<Object>> duckDb(String sql) throws SQLException {
        List<List<Object>> result = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet set = statement.executeQuery(sql)) {
            int columns = set.getMetaData().getColumnCount();
            while (set.next()) {
                List<Object> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(switch (set.getMetaData().getColumnTypeName(i)) {
                        case "DATE" -> set.getObject(i, LocalDate.class);
                        case "TIMESTAMP" -> set.getObject(i, LocalDateTime.class);
                        default -> set.getObject(i);
                    });
                }
                result.add(row);
            }
        }
        return result;
    }

    @Override
    public void close() throws SQLException {
        duckdb.close();
    }
}
