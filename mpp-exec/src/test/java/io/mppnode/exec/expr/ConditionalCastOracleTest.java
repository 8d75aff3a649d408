package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.DuckDbOracle.check;
import static io.mppnode.exec.expr.TestingExprs.and;
import static io.mppnode.exec.expr.TestingExprs.bool;
import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.cast;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.date;
import static io.mppnode.exec.expr.TestingExprs.decimal;
import static io.mppnode.exec.expr.TestingExprs.float64;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.nullLiteral;
import static io.mppnode.exec.expr.TestingExprs.string;
import static io.mppnode.exec.expr.TestingExprs.timestamp;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * case, coalesce, in and the cast matrix against DuckDB: every cast the binder allows, with
 * doubles of every magnitude (and NaN, infinities, -0.0), decimals, booleans, dates, timestamps
 * and text that parses (padded, signed, with exponents, half-way values that round). Text that
 * does not parse sits in the data too, where a case branch or a coalesce argument does not
 * reach it: both engines evaluate a branch only for its rows.
 */
class ConditionalCastOracleTest {
    private static final int ROWS = 2_500;
    private static final int BATCH_ROWS = 700;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("a", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("b", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("c", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("d", ColumnTypes.decimal(12, 3)),
            new ColumnSchema("f", ColumnTypes.of(TypeKind.BOOLEAN)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("num", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("flag", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("day", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("dt", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("ts", ColumnTypes.of(TypeKind.TIMESTAMP)));
    private static final double[] SPECIAL_DOUBLES = {0.0, -0.0, 0.5, -2.5, 3.5, 1e15, 1e16, 1e20, 1e-4, 1e-5, 1.5e-7, 123456789.125, 0.1,
        1.0 / 3, 2147483647.4, -2147483648.4, 9.2e18, 5e-324, Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY};
    /** Text every engine reads as a number; "abc" and "" do not parse and only appear where no cast reaches them. */
    private static final String[] NUMBERS = {"12", " 12 ", "+7", "-0", "12.5", "-2.5", "1e3", ".5", "5.", "-0.005", "0.0049", "2147483647",
        "-2147483648", "1.5E2", "\t42\n", "abc", ""};
    private static final String[] FLAGS = {"true", "FALSE", "t", "f", "yes", "No", "1", "0"};
    private static final String[] DAYS = {"2024-01-02", "2024-1-2", "1999-12-31 23:59:59", "2000-02-29T12:00:00", "2024-01-02 03:04",
        "2024-01-02 03:04:05.123456", "1970-01-01", "0001-01-01", "9999-12-31 23:59:59.999999"};

    private static DuckDbOracle oracle;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(31);
        List<List<Object>> table = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            double c = random.nextInt(6) == 0 ? SPECIAL_DOUBLES[random.nextInt(SPECIAL_DOUBLES.length)]
                    : Math.round(random.nextGaussian() * 1e6) / Math.pow(10, random.nextInt(9));
            table.add(Arrays.asList(
                    id,
                    maybeNull(random, random.nextInt(8) == 0 ? 0 : random.nextInt(201) - 100),
                    maybeNull(random, random.nextInt(8) == 0 ? (random.nextBoolean() ? 3_000_000_000L : -3_000_000_000L)
                            : (long) random.nextInt(2001) - 1000),
                    maybeNull(random, c),
                    maybeNull(random, BigDecimal.valueOf(random.nextLong() % 1_000_000_000_000L, 3)),
                    maybeNull(random, random.nextBoolean()),
                    maybeNull(random, random.nextBoolean() ? "apple" : random.nextBoolean() ? "東京" : ""),
                    maybeNull(random, NUMBERS[random.nextInt(NUMBERS.length)]),
                    maybeNull(random, FLAGS[random.nextInt(FLAGS.length)]),
                    maybeNull(random, DAYS[random.nextInt(DAYS.length)]),
                    maybeNull(random, LocalDate.of(2024, 1, 1).plusDays(random.nextInt(2000) - 1000)),
                    maybeNull(random, LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(random.nextLong(200_000_000) - 100_000_000)
                            .plusNanos(random.nextInt(1_000_000) * 1000L))));
        }
        oracle = new DuckDbOracle(COLUMNS, table, BATCH_ROWS);
    }

    @AfterAll
    static void closeDuckDb() throws SQLException {
        oracle.close();
    }

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails on a leak
    }

    @Test
    void caseTakesTheFirstTrueBranchInTheCommonType() throws Exception {
        oracle.assertSame(allocator, null, null,
                check(call("case", call("gt", col("a"), int32(0)), col("b"), call("lt", col("a"), int32(0)), col("d"), col("c")),
                        "CASE WHEN a > 0 THEN b WHEN a < 0 THEN d ELSE c END"),
                check(call("case", col("f"), col("s")), "CASE WHEN f THEN s END"),
                check(call("case", call("gt", col("a"), int32(10)), col("d"), call("gt", col("a"), int32(0)), col("a")),
                        "CASE WHEN a > 10 THEN d WHEN a > 0 THEN a END"),
                check(call("case", col("f"), col("dt"), col("ts")), "CASE WHEN f THEN dt ELSE ts END"),
                check(call("case", call("is_null", col("f")), string("unknown"), col("f"), string("yes"), string("no")),
                        "CASE WHEN f IS NULL THEN 'unknown' WHEN f THEN 'yes' ELSE 'no' END"),
                check(call("case", nullLiteral(TypeKind.BOOLEAN), int32(1), bool(true), nullLiteral(TypeKind.INT32)),
                        "CASE WHEN NULL THEN 1 WHEN true THEN NULL END"));
    }

    @Test
    void coalesceTakesTheFirstNonNull() throws Exception {
        oracle.assertSame(allocator, null, null,
                check(call("coalesce", col("a"), col("b"), int32(0)), "COALESCE(a, b, 0)"),
                check(call("coalesce", col("d"), col("c")), "COALESCE(d, c)"),
                check(call("coalesce", col("s"), col("num"), string("none")), "COALESCE(s, num, 'none')"),
                check(call("coalesce", col("dt"), col("ts")), "COALESCE(dt, ts)"),
                check(call("coalesce", col("f")), "f"),
                check(call("coalesce", nullLiteral(TypeKind.INT64), col("a")), "COALESCE(NULL, a)"));
    }

    @Test
    void aBranchIsEvaluatedOnlyForItsRows() throws Exception {
        Expr parses = call("not", call("in", col("num"), string("abc"), string("")));
        oracle.assertSame(allocator, null, null,
                check(call("case", parses, cast(col("num"), TypeKind.INT32), bool(true), int32(-1)),
                        "CASE WHEN num NOT IN ('abc', '') THEN CAST(num AS INTEGER) ELSE -1 END"),
                check(call("coalesce", call("case", call("in", col("num"), string("abc"), string("")), int64(0)),
                        cast(col("num"), TypeKind.INT64)),
                        "COALESCE(CASE WHEN num IN ('abc', '') THEN 0 END, CAST(num AS BIGINT))"),
                // An integer overflow where the case does not go (b is +-3e9 there).
                check(call("case", smallB(), call("multiply", cast(col("b"), TypeKind.INT32), int32(1000))),
                        "CASE WHEN b > -100000 AND b < 100000 THEN CAST(b AS INTEGER) * 1000 END"));
    }

    @Test
    void inWithNullsNumbersAndDates() throws Exception {
        oracle.assertSame(allocator, call("in", col("a"), int32(1), int32(2), int32(3), int32(0), int64(-50), nullLiteral(TypeKind.INT32)),
                "a IN (1, 2, 3, 0, -50, NULL)",
                check(call("in", col("b"), col("a"), int32(5)), "b IN (a, 5)"),
                check(call("in", col("c"), float64(0.5), int32(1), float64(-0.0), float64(Double.NaN)), "c IN (0.5, 1, -0.0::DOUBLE, 'nan'::DOUBLE)"),
                check(call("in", col("d"), decimal("1.5", 2, 1), int32(2)), "d IN (1.5, 2)"),
                check(call("in", col("f"), bool(true)), "f IN (true)"),
                check(call("in", col("dt"), timestamp("2024-01-01T00:00:00"), date("2023-12-31"), timestamp("2024-01-02T00:00:01")),
                        "dt IN (TIMESTAMP '2024-01-01 00:00:00', DATE '2023-12-31', TIMESTAMP '2024-01-02 00:00:01')"),
                check(call("in", col("a"), nullLiteral(TypeKind.INT32)), "a IN (NULL)"));
    }

    @Test
    void castsBetweenNumbersBooleansAndDates() throws Exception {
        // DuckDB refuses -2147483648.4 (which rounds into range; ExprErrorTest checks that we take it) and wraps 2147483647.5.
        Expr finiteInt32 = and(call("ge", col("c"), float64(-2147483648.0)), call("lt", col("c"), float64(2147483647.5)));
        Expr smallDouble = and(call("gt", col("c"), float64(-1e15)), call("lt", col("c"), float64(1e15)));
        oracle.assertSame(allocator, null, null,
                check(cast(col("a"), TypeKind.INT64), "CAST(a AS BIGINT)"),
                check(cast(col("a"), TypeKind.FLOAT64), "CAST(a AS DOUBLE)"),
                check(cast(col("a"), ColumnTypes.decimal(12, 2)), "CAST(a AS DECIMAL(12, 2))"),
                check(cast(col("a"), TypeKind.BOOLEAN), "CAST(a AS BOOLEAN)"),
                check(call("case", smallB(), cast(col("b"), TypeKind.INT32)), "CASE WHEN b > -100000 AND b < 100000 THEN CAST(b AS INTEGER) END"),
                check(cast(col("b"), TypeKind.FLOAT64), "CAST(b AS DOUBLE)"),
                check(cast(col("b"), ColumnTypes.decimal(25, 3)), "CAST(b AS DECIMAL(25, 3))"),
                check(cast(col("b"), TypeKind.BOOLEAN), "CAST(b AS BOOLEAN)"),
                // float64 to integers rounds half to even; to decimals its shortest text HALF_UP (as MySQL: DuckDB
                // rounds the product c * 10^4, which differs for some half-way values), which DuckDB says through VARCHAR.
                check(call("case", finiteInt32, cast(col("c"), TypeKind.INT32)), "CASE WHEN c >= -2147483648.0 AND c < 2147483647.5 THEN CAST(c AS INTEGER) END"),
                check(call("case", smallDouble, cast(col("c"), TypeKind.INT64)), "CASE WHEN c > -1e15 AND c < 1e15 THEN CAST(c AS BIGINT) END"),
                // (DuckDB reads '5e-324' as 0.0001 at scale 4, rounding on a digit 320 places down: not a row to compare.)
                check(call("case", and(smallDouble, call("or", call("eq", col("c"), float64(0)), call("ge", col("c"), float64(1e-300)),
                                call("le", col("c"), float64(-1e-300)))), cast(col("c"), ColumnTypes.decimal(20, 4))),
                        "CASE WHEN c > -1e15 AND c < 1e15 AND (c = 0 OR c >= 1e-300 OR c <= -1e-300)"
                                + " THEN CAST(CAST(c AS VARCHAR) AS DECIMAL(20, 4)) END"),
                check(cast(col("d"), TypeKind.INT32), "CAST(d AS INTEGER)"),
                check(cast(col("d"), TypeKind.FLOAT64), "CAST(d AS DOUBLE)"),
                check(cast(col("f"), TypeKind.INT32), "CAST(f AS INTEGER)"),
                check(cast(col("f"), TypeKind.INT64), "CAST(f AS BIGINT)"),
                check(cast(col("dt"), TypeKind.TIMESTAMP), "CAST(dt AS TIMESTAMP)"),
                check(cast(col("ts"), TypeKind.DATE), "CAST(ts AS DATE)"));
    }

    @Test
    void castsToText() throws Exception {
        oracle.assertSame(allocator, null, null,
                check(cast(col("a"), TypeKind.STRING), "CAST(a AS VARCHAR)"),
                check(cast(col("b"), TypeKind.STRING), "CAST(b AS VARCHAR)"),
                check(cast(col("c"), TypeKind.STRING), "CAST(c AS VARCHAR)"),
                check(cast(col("d"), TypeKind.STRING), "CAST(d AS VARCHAR)"),
                check(cast(col("f"), TypeKind.STRING), "CAST(f AS VARCHAR)"),
                check(cast(col("dt"), TypeKind.STRING), "CAST(dt AS VARCHAR)"),
                check(cast(col("ts"), TypeKind.STRING), "CAST(ts AS VARCHAR)"),
                check(cast(col("s"), TypeKind.STRING), "s"));
    }

    @Test
    void castsFromText() throws Exception {
        Expr parses = call("not", call("in", col("num"), string("abc"), string("")));
        oracle.assertSame(allocator, parses, "num NOT IN ('abc', '')",
                check(cast(col("num"), TypeKind.INT32), "CAST(num AS INTEGER)"),
                check(cast(col("num"), TypeKind.INT64), "CAST(num AS BIGINT)"),
                check(cast(col("num"), TypeKind.FLOAT64), "CAST(num AS DOUBLE)"),
                check(cast(col("num"), ColumnTypes.decimal(14, 2)), "CAST(num AS DECIMAL(14, 2))"),
                check(cast(col("flag"), TypeKind.BOOLEAN), "CAST(flag AS BOOLEAN)"),
                check(cast(col("day"), TypeKind.DATE), "CAST(day AS DATE)"),
                check(cast(col("day"), TypeKind.TIMESTAMP), "CAST(day AS TIMESTAMP)"),
                // Round trips through text.
                check(cast(cast(col("c"), TypeKind.STRING), TypeKind.FLOAT64), "c"),
                check(cast(cast(col("ts"), TypeKind.STRING), TypeKind.TIMESTAMP), "ts"),
                check(cast(cast(col("d"), TypeKind.STRING), ColumnTypes.decimal(12, 3)), "d"));
    }

    /** Whether b is not one of its +-3e9 values (which overflow int32). */
    private static Expr smallB() {
        return and(call("gt", col("b"), int64(-100_000)), call("lt", col("b"), int64(100_000)));
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }
}
