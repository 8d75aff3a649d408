package io.mppnode.exec.operator.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.AggregateFunction;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
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
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hash aggregation against DuckDB on the same rows: every aggregate function over every type,
 * group keys of every type, nulls everywhere, a group whose values are all NULL, multi-byte
 * strings, NaN, decimals at the edge of 38 digits; the two-phase form against the one-phase
 * form; empty inputs; overflow; a memory limit.
 */
class AggregationOracleTest {
    private static final int ROWS = 6_000;
    private static final int BATCH_ROWS = 1_000;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("k1", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("k2", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("k3", ColumnTypes.decimal(10, 2)),
            new ColumnSchema("k4", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("k5", ColumnTypes.of(TypeKind.BOOLEAN)),
            new ColumnSchema("v_int", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("v_long", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("v_dec", ColumnTypes.decimal(38, 6)),
            new ColumnSchema("v_dbl", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("v_str", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("ts", ColumnTypes.of(TypeKind.TIMESTAMP)));
    private static final String[] WORDS = {"apple", "münchen", "東京", "", "🙂", "Zebra", "naïve", "m"};

    private static List<List<Object>> table;
    private static Connection duckdb;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(11);
        table = new ArrayList<>();
        for (int id = 0; id < ROWS; id++) {
            boolean allNull = id % 97 == 0; // group k1 = 99 has only NULL values
            table.add(Arrays.asList(
                    allNull ? 99 : maybeNull(random, random.nextInt(30)),
                    maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                    maybeNull(random, BigDecimal.valueOf(random.nextInt(7) - 3, 2)),
                    maybeNull(random, LocalDate.of(2024, 2, 27).plusDays(random.nextInt(4))),
                    maybeNull(random, random.nextBoolean()),
                    allNull ? null : maybeNull(random, random.nextInt(2_000_001) - 1_000_000),
                    allNull ? null : maybeNull(random, (random.nextLong() % 1_000_000_000_000_000L)),
                    allNull ? null : maybeNull(random, new BigDecimal(new BigInteger(100, random), 6).negate()
                            .add(BigDecimal.valueOf(random.nextInt(1000), 6))),
                    allNull ? null : maybeNull(random, id % 1000 == 1 ? Double.NaN : Math.round(random.nextGaussian() * 1e6) / 1e3),
                    allNull ? null : maybeNull(random, WORDS[random.nextInt(WORDS.length)] + random.nextInt(3)),
                    allNull ? null : maybeNull(random, LocalDateTime.of(2020, 1, 1, 0, 0).plusSeconds(random.nextInt(1_000_000)))));
        }
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE t (k1 INTEGER, k2 VARCHAR, k3 DECIMAL(10, 2), k4 DATE, k5 BOOLEAN,"
                    + " v_int INTEGER, v_long BIGINT, v_dec DECIMAL(38, 6), v_dbl DOUBLE, v_str VARCHAR, ts TIMESTAMP)");
        }
        try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (List<Object> row : table) {
                for (int i = 0; i < row.size(); i++) {
                    insert.setObject(i + 1, row.get(i));
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    @AfterAll
    static void closeDuckDb() throws SQLException {
        duckdb.close();
    }

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails on a leak
    }

    /** Every aggregate of ours, and DuckDB's select list giving the same values (avg of exact types from sum and count). */
    private static final List<AggregateFunction> AGGREGATES = List.of(
            aggregate(AggregateKind.COUNT, "n"),
            aggregate(AggregateKind.COUNT, "n_int", col("v_int")),
            aggregate(AggregateKind.COUNT_DISTINCT, "distinct_str", col("v_str")),
            aggregate(AggregateKind.SUM, "sum_int", col("v_int")),
            aggregate(AggregateKind.SUM, "sum_long", col("v_long")),
            aggregate(AggregateKind.SUM, "sum_dec", col("v_dec")),
            aggregate(AggregateKind.SUM, "sum_dbl", col("v_dbl")),
            aggregate(AggregateKind.AVG, "avg_int", col("v_int")),
            aggregate(AggregateKind.AVG, "avg_dec", col("v_dec")),
            aggregate(AggregateKind.AVG, "avg_dbl", col("v_dbl")),
            aggregate(AggregateKind.MIN, "min_int", col("v_int")),
            aggregate(AggregateKind.MAX, "max_long", col("v_long")),
            aggregate(AggregateKind.MIN, "min_str", col("v_str")),
            aggregate(AggregateKind.MAX, "max_str", col("v_str")),
            aggregate(AggregateKind.MIN, "min_dec", col("v_dec")),
            aggregate(AggregateKind.MAX, "max_dec", col("v_dec")),
            aggregate(AggregateKind.MIN, "min_dbl", col("v_dbl")),
            aggregate(AggregateKind.MAX, "max_dbl", col("v_dbl")),
            aggregate(AggregateKind.MAX, "max_ts", col("ts")),
            aggregate(AggregateKind.MIN, "min_flag", col("k5")),
            aggregate(AggregateKind.MAX, "max_date", col("k4")));
    private static final String DUCKDB_AGGREGATES = "count(*), count(v_int), count(DISTINCT v_str), sum(v_int), sum(v_long),"
            + " sum(v_dec), sum(v_dbl), sum(v_int), count(v_int), sum(v_dec), count(v_dec), avg(v_dbl), min(v_int), max(v_long),"
            + " min(v_str), max(v_str), min(v_dec), max(v_dec), min(v_dbl), max(v_dbl), max(ts), min(k5), max(k4)";

    @Test
    void groupByEachKindOfKeyMatchesDuckDb() throws Exception {
        for (List<String> keys : List.of(List.of("k1"), List.of("k2"), List.of("k3", "k4"), List.of("k5", "k1", "k2"))) {
            List<List<Object>> ours = run(aggregation(AggregationMode.COMPLETE, keys, AGGREGATES), table);
            String keyList = String.join(", ", keys);
            List<List<Object>> theirs = withAverages(keys.size(), duckDb("SELECT " + keyList + ", " + DUCKDB_AGGREGATES
                    + " FROM t GROUP BY " + keyList));
            assertSameRows(ours, theirs, "group by " + keyList);
            assertThat(ours).as("groups by %s", keyList).hasSizeGreaterThan(3);
        }
    }

    @Test
    void aGroupWhoseValuesAreAllNullCountsZeroAndSumsNull() {
        List<List<Object>> ours = run(aggregation(AggregationMode.COMPLETE, List.of("k1"), AGGREGATES), table);
        List<Object> nullGroup = ours.stream().filter(row -> Integer.valueOf(99).equals(row.get(0))).findFirst().orElseThrow();
        assertThat(nullGroup.get(2)).isEqualTo(0L); // count(v_int)
        assertThat(nullGroup.subList(4, nullGroup.size() - 2)).containsOnlyNulls(); // the last two are over keys
    }

    @Test
    void globalAggregationMatchesDuckDbAndGivesOneRowForAnEmptyInput() throws Exception {
        assertSameRows(run(aggregation(AggregationMode.COMPLETE, List.of(), AGGREGATES), table),
                withAverages(0, duckDb("SELECT " + DUCKDB_AGGREGATES + " FROM t")), "global");
        List<List<Object>> empty = run(aggregation(AggregationMode.COMPLETE, List.of(), AGGREGATES), List.of());
        assertSameRows(empty, withAverages(0, duckDb("SELECT " + DUCKDB_AGGREGATES + " FROM t WHERE false")), "global, empty");
        assertThat(empty).hasSize(1);
        assertThat(run(aggregation(AggregationMode.COMPLETE, List.of("k1"), AGGREGATES), List.of())).isEmpty();
    }

    @Test
    void partialOnEachPartThenFinalEqualsOnePhase() {
        List<AggregateFunction> aggregates = List.of(
                aggregate(AggregateKind.COUNT, "n"),
                aggregate(AggregateKind.COUNT, "n_int", col("v_int")),
                aggregate(AggregateKind.SUM, "sum_long", col("v_long")),
                aggregate(AggregateKind.SUM, "sum_dec", col("v_dec")),
                aggregate(AggregateKind.AVG, "avg_int", col("v_int")),
                aggregate(AggregateKind.AVG, "avg_dec", col("v_dec")),
                aggregate(AggregateKind.AVG, "avg_dbl", col("v_dbl")),
                aggregate(AggregateKind.MIN, "min_str", col("v_str")),
                aggregate(AggregateKind.MAX, "max_dec", col("v_dec")));
        List<AggregateFunction> finals = List.of(
                aggregate(AggregateKind.COUNT, "n", col("n")),
                aggregate(AggregateKind.COUNT, "n_int", col("n_int")),
                aggregate(AggregateKind.SUM, "sum_long", col("sum_long")),
                aggregate(AggregateKind.SUM, "sum_dec", col("sum_dec")),
                aggregate(AggregateKind.AVG, "avg_int", col("avg_int_sum"), col("avg_int_count")),
                aggregate(AggregateKind.AVG, "avg_dec", col("avg_dec_sum"), col("avg_dec_count")),
                aggregate(AggregateKind.AVG, "avg_dbl", col("avg_dbl_sum"), col("avg_dbl_count")),
                aggregate(AggregateKind.MIN, "min_str", col("min_str")),
                aggregate(AggregateKind.MAX, "max_dec", col("max_dec")));
        for (List<String> keys : List.of(List.of("k2", "k4"), List.<String>of())) {
            Aggregation partial = aggregation(AggregationMode.PARTIAL, keys, aggregates);
            BoundAggregation boundPartial = Aggregations.bind("partial_1", partial, COLUMNS);
            List<List<Object>> states = new ArrayList<>();
            for (int part = 0; part < 3; part++) {
                // Uneven parts, one of them empty for the keyed case.
                List<List<Object>> rows = part == 0 ? table.subList(0, 1000) : part == 1 ? table.subList(1000, ROWS) : List.of();
                states.addAll(run(boundPartial, COLUMNS, rows));
            }
            Aggregation fin = aggregation(AggregationMode.FINAL, keys, finals);
            List<List<Object>> twoPhase = run(Aggregations.bind("final_2", fin, boundPartial.columns()), boundPartial.columns(), states);
            List<List<Object>> onePhase = run(aggregation(AggregationMode.COMPLETE, keys, aggregates), table);
            assertSameRows(twoPhase, onePhase, "two phases by " + keys);
        }
    }

    @Test
    void sumsBeyondTheirTypeAreErrorsNamingTheExecutor() {
        List<ColumnSchema> columns = List.of(new ColumnSchema("big", ColumnTypes.decimal(38, 0)), new ColumnSchema("n", ColumnTypes.of(TypeKind.INT64)));
        BigDecimal max = new BigDecimal("99999999999999999999999999999999999999");
        Aggregation sumBig = aggregation(AggregationMode.COMPLETE, List.of(), List.of(aggregate(AggregateKind.SUM, "s", col("big")),
                aggregate(AggregateKind.MAX, "m", col("big")), aggregate(AggregateKind.MIN, "lo", col("big"))));
        // +max, -max, +max: 38 digits at every step, and a sum that fits.
        assertThat(run(Aggregations.bind("aggregation_7", sumBig, columns), columns,
                List.of(List.of(max, 1L), List.of(max.negate(), 1L), List.of(max, 1L))))
                .containsExactly(List.of(max, max, max.negate()));
        assertThatThrownBy(() -> run(Aggregations.bind("aggregation_7", sumBig, columns), columns,
                List.of(List.of(max, 1L), List.of(BigDecimal.ONE, 1L))))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_ERROR))
                .hasMessage("executor 'aggregation_1': sum overflows decimal(38, 0)");
        Aggregation sumLong = aggregation(AggregationMode.COMPLETE, List.of(), List.of(aggregate(AggregateKind.SUM, "s", col("n"))));
        assertThatThrownBy(() -> run(Aggregations.bind("aggregation_8", sumLong, columns), columns,
                List.of(List.of(BigDecimal.ONE, Long.MAX_VALUE), List.of(BigDecimal.ONE, 1L))))
                .hasMessage("executor 'aggregation_1': sum overflows int64");
    }

    @Test
    void manyGroupsUnderASmallLimitFailWithoutLeaking() {
        BoundAggregation bound = Aggregations.bind("aggregation_3", aggregation(AggregationMode.COMPLETE, List.of("v_long"),
                List.of(aggregate(AggregateKind.MIN, "s", col("v_str")))), COLUMNS);
        try (BufferAllocator limited = allocator.newChildAllocator("query", 0, 200_000);
                OperatorContext context = new OperatorContext("aggregation_3", limited);
                HashAggregationOperator operator = new HashAggregationOperator(context, bound, 1000)) {
            assertThatThrownBy(() -> {
                for (int start = 0; start < ROWS; start += BATCH_ROWS) {
                    operator.addInput(batch(COLUMNS, table.subList(start, start + BATCH_ROWS)));
                }
            }).isInstanceOf(OutOfMemoryException.class);
        }
    }

    @Test
    void refusesBadAggregatesNamingTheExecutorAndTheProblem() {
        assertRefused(aggregation(AggregationMode.COMPLETE, List.of(), List.of(aggregate(AggregateKind.SUM, "s", col("v_str")))),
                "executor 'agg': aggregate 1 (sum): takes a number, got string");
        assertRefused(aggregation(AggregationMode.PARTIAL, List.of(), List.of(aggregate(AggregateKind.COUNT_DISTINCT, "d", col("v_str")))),
                "executor 'agg': aggregate 1 (count_distinct): count_distinct runs only in COMPLETE mode, not PARTIAL;"
                        + " for two phases group by the distinct columns first (see the README, \"Plans\")");
        assertRefused(aggregation(AggregationMode.FINAL, List.of(), List.of(aggregate(AggregateKind.AVG, "a", col("v_dec")))),
                "executor 'agg': aggregate 1 (avg): takes the partial sum and count columns, got 1 argument");
        assertRefused(aggregation(AggregationMode.COMPLETE, List.of("k1"), List.of(aggregate(AggregateKind.MIN, "k1", col("v_int")))),
                "executor 'agg': output column 'k1' is named twice");
        assertRefused(aggregation(AggregationMode.COMPLETE, List.of(), List.of(aggregate(AggregateKind.MAX, "m"))),
                "executor 'agg': aggregate 1 (max): takes one argument, got 0 arguments");
        assertRefused(aggregation(AggregationMode.COMPLETE, List.of(), List.of()),
                "executor 'agg': an Aggregation needs a group-by key or an aggregate function");
        assertThatThrownBy(() -> Aggregations.bind("agg", aggregation(AggregationMode.COMPLETE, List.of("nope"), List.of()), COLUMNS))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_COLUMN))
                .hasMessageContaining("nope");
    }

    private static void assertRefused(Aggregation aggregation, String message) {
        assertThatThrownBy(() -> Aggregations.bind("agg", aggregation, COLUMNS))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PLAN))
                .hasMessage(message);
    }

    // ----- running both -----

    private List<List<Object>> run(Aggregation aggregation, List<List<Object>> rows) {
        return run(Aggregations.bind("aggregation_1", aggregation, COLUMNS), COLUMNS, rows);
    }

    private List<List<Object>> run(BoundAggregation bound, List<ColumnSchema> columns, List<List<Object>> rows) {
        List<List<Object>> output = new ArrayList<>();
        try (OperatorContext context = new OperatorContext("aggregation_1", allocator);
                HashAggregationOperator operator = new HashAggregationOperator(context, bound, 7)) {
            for (int start = 0; start < rows.size(); start += BATCH_ROWS) {
                operator.addInput(batch(columns, rows.subList(start, Math.min(rows.size(), start + BATCH_ROWS))));
            }
            operator.finish();
            while (!operator.isFinished()) {
                try (VectorSchemaRoot batch = operator.getOutput()) {
                    assertThat(batch.getRowCount()).isBetween(1, 7);
                    assertThat(batch.getSchema().getFields().stream().map(field -> field.getName()).toList())
                            .isEqualTo(bound.columns().stream().map(ColumnSchema::name).toList());
                    output.addAll(ArrowValues.rows(batch));
                }
            }
        }
        return output;
    }

    private VectorSchemaRoot batch(List<ColumnSchema> columns, List<List<Object>> rows) {
        Schema schema = new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        for (int column = 0; column < columns.size(); column++) {
            for (int row = 0; row < rows.size(); row++) {
                ArrowValues.set(batch.getVector(column), row, rows.get(row).get(column));
            }
            batch.getVector(column).setValueCount(rows.size());
        }
        batch.setRowCount(rows.size());
        return batch;
    }

    /** DuckDB's rows with each (sum, count) pair of an exact avg replaced by our documented quotient: scale + 4, half up. */
    private static List<List<Object>> withAverages(int keys, List<List<Object>> rows) {
        UnaryOperator<List<Object>> convert = row -> {
            List<Object> out = new ArrayList<>(row.subList(0, keys + 7));
            out.add(average(row.get(keys + 7), row.get(keys + 8), 4));
            out.add(average(row.get(keys + 9), row.get(keys + 10), 10));
            out.addAll(row.subList(keys + 11, row.size()));
            return out;
        };
        return rows.stream().map(convert).toList();
    }

    private static Object average(Object sum, Object count, int scale) {
        if (sum == null) {
            return null;
        }
        return new BigDecimal(sum.toString()).divide(new BigDecimal(count.toString()), scale, RoundingMode.HALF_UP);
    }

    private static void assertSameRows(List<List<Object>> ours, List<List<Object>> theirs, String what) {
        List<List<Object>> a = normalize(ours);
        List<List<Object>> b = normalize(theirs);
        assertThat(a).as(what).hasSize(b.size());
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).as("%s, row %d", what, i).isEqualTo(b.get(i));
        }
    }

    private static List<List<Object>> normalize(List<List<Object>> rows) {
        List<List<Object>> normalized = new ArrayList<>();
        for (List<Object> row : rows) {
            normalized.add(row.stream().map(AggregationOracleTest::normalize).toList());
        }
        normalized.sort(Comparator.comparing(Object::toString));
        return normalized;
    }

    private static Object normalize(Object value) {
        return switch (value) {
            case null -> "NULL";
            case Double d when d.isNaN() || d.isInfinite() -> d.toString();
            case Double d -> new BigDecimal(d).round(new MathContext(9)).stripTrailingZeros().toPlainString();
            case BigDecimal d -> d.stripTrailingZeros().toPlainString();
            case Integer i -> new BigDecimal(i).toPlainString();
            case Long l -> new BigDecimal(l).toPlainString();
            case BigInteger i -> new BigDecimal(i).toPlainString();
            case java.sql.Timestamp t -> t.toLocalDateTime();
            default -> value;
        };
    }

    private static List<List<Object>> duckDb(String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<Object> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(result.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 12 ? null : value;
    }

    // ----- plans -----

    private static Aggregation aggregation(AggregationMode mode, List<String> keys, List<AggregateFunction> aggregates) {
        Aggregation.Builder builder = Aggregation.newBuilder().setMode(mode).addAllAggregates(aggregates);
        for (String key : keys) {
            builder.addGroupBy(NamedExpr.newBuilder().setName(key).setExpr(col(key)));
        }
        return builder.build();
    }

    private static AggregateFunction aggregate(AggregateKind kind, String name, Expr... args) {
        return AggregateFunction.newBuilder().setKind(kind).setName(name).addAllArgs(List.of(args)).build();
    }

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }
}
