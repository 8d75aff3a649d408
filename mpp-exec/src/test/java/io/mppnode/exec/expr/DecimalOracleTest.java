package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.DuckDbOracle.check;
import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.cast;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.decimal;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.nullLiteral;

import io.mppnode.exec.expr.DuckDbOracle.Check;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
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
 * Exact decimal arithmetic against DuckDB, on decimals at the edges of their precision: the
 * largest and smallest values of decimal(9, 2) and decimal(18, 4), values around a long's range in
 * decimal(19, 3) (so rows switch between the long path and the BigInteger path), wide values in
 * decimal(38, 10), zeros (so divisions and modulo give NULL), negative values, and integers mixed
 * in. Our result type comes from the binder; DuckDB computes on DECIMAL(38, s) operands (its own
 * result types are narrower and would overflow) and its result is cast to ours, so values and
 * scales must agree. DuckDB's decimal division gives a double, so the oracle divides the unscaled
 * values as HUGEINT and rounds half away from zero in SQL.
 */
class DecimalOracleTest {
    private static final int ROWS = 2_500;
    private static final int BATCH_ROWS = 700;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("a", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("b", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("p", ColumnTypes.decimal(9, 2)),
            new ColumnSchema("q", ColumnTypes.decimal(18, 4)),
            new ColumnSchema("r", ColumnTypes.decimal(19, 3)),
            new ColumnSchema("w", ColumnTypes.decimal(38, 10)),
            new ColumnSchema("z", ColumnTypes.decimal(5, 0)));

    private static DuckDbOracle oracle;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(11);
        List<List<Object>> table = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            table.add(Arrays.asList(
                    id,
                    maybeNull(random, pick(random, List.of(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE), random.nextInt(2001) - 1000)),
                    maybeNull(random, pick(random, List.of(0L, 7L, -7L, Long.MAX_VALUE, Long.MIN_VALUE), randomLong(random, 18))),
                    maybeNull(random, pick(random, decimals(2, "9999999.99", "-9999999.99", "0", "0.01", "-0.01", "0.05", "-0.05"),
                            randomDecimal(random, 9, 2))),
                    maybeNull(random, pick(random, decimals(4, "99999999999999.9999", "-99999999999999.9999", "0", "0.0001", "0.5", "-0.5"),
                            randomDecimal(random, 18, 4))),
                    // Around a long's range: 9223372036854775.807 is Long.MAX_VALUE unscaled, the next ones are not longs.
                    maybeNull(random, pick(random, decimals(3, "9223372036854775.807", "-9223372036854775.808", "9223372036854775.808",
                            "-9223372036854775.809", "9999999999999999.999", "-9999999999999999.999", "0"), randomDecimal(random, 19, 3))),
                    maybeNull(random, pick(random, decimals(10, "99999999999999999999.9999999999", "-99999999999999999999.9999999999",
                            "0", "0.0000000001", "-0.0000000005"), randomDecimal(random, 30, 10))),
                    maybeNull(random, pick(random, decimals(0, "99999", "-99999", "0", "1", "-1"), randomDecimal(random, 5, 0)))));
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
    void plusMinusAndNegate() throws Exception {
        assertSame(
                check(call("plus", col("p"), col("q")), wide("p") + " + " + wide("q")),
                check(call("minus", col("q"), col("p")), wide("q") + " - " + wide("p")),
                check(call("plus", col("r"), col("r")), wide("r") + " + " + wide("r")),
                check(call("minus", col("r"), col("q")), wide("r") + " - " + wide("q")),
                check(call("minus", col("w"), col("p")), wide("w") + " - " + wide("p")),
                check(call("plus", col("b"), col("q")), wide("b") + " + " + wide("q")),
                check(call("minus", col("a"), col("p")), wide("a") + " - " + wide("p")),
                check(call("plus", col("p"), decimal("0.005", 3, 3)), wide("p") + " + 0.005"),
                check(call("negate", col("r")), "-" + wide("r")),
                check(call("negate", col("w")), "-" + wide("w")));
    }

    @Test
    void multiply() throws Exception {
        assertSame(
                check(call("multiply", col("p"), col("q")), wide("p") + " * " + wide("q")),
                // decimal(37, 8): most products need more than a long.
                check(call("multiply", col("q"), col("q")), wide("q") + " * " + wide("q")),
                check(call("multiply", col("r"), col("a")), wide("r") + " * " + wide("a")),
                check(call("multiply", col("w"), col("z")), wide("w") + " * " + wide("z")),
                check(call("multiply", col("b"), col("p")), wide("b") + " * " + wide("p")),
                check(call("multiply", col("p"), int32(-3)), wide("p") + " * -3"));
    }

    @Test
    void divideRoundsHalfUpAndGivesNullForZero() throws Exception {
        assertSame(
                check(call("divide", col("p"), col("q")), exactDivide("p", 2, "q", 4, 6)),
                check(call("divide", col("q"), col("p")), exactDivide("q", 4, "p", 2, 8)),
                check(call("divide", col("r"), col("a")), exactDivide("r", 3, "a", 0, 7)),
                check(call("divide", col("w"), col("z")), exactDivide("w", 10, "z", 0, 14)),
                check(call("divide", col("a"), col("z")), exactDivide("a", 0, "z", 0, 4)),
                check(call("divide", col("p"), col("p")), exactDivide("p", 2, "p", 2, 6)),
                check(call("divide", col("r"), col("r")), exactDivide("r", 3, "r", 3, 7)));
    }

    @Test
    void integerDivideGivesADecimal() throws Exception {
        assertSame(
                check(call("divide", col("a"), col("b")), exactDivide("a", 0, "b", 0, 4)),
                check(call("divide", col("b"), col("a")), exactDivide("b", 0, "a", 0, 4)),
                check(call("divide", col("a"), int32(7)), exactDivide("a", 0, "7", 0, 4)),
                check(call("divide", int64(-1), col("a")), exactDivide("-1", 0, "a", 0, 4)));
    }

    @Test
    void moduloTakesTheDividendsSign() throws Exception {
        assertSame(
                // DuckDB's % of decimals wider than 18 digits computes in DOUBLE: the oracle takes HUGEINTs.
                check(call("modulo", col("q"), col("p")), exactModulo("q", 4, "p", 2, 4)),
                check(call("modulo", col("r"), col("z")), exactModulo("r", 3, "z", 0, 3)),
                check(call("modulo", col("w"), col("q")), exactModulo("w", 10, "q", 4, 10)),
                check(call("modulo", col("r"), col("w")), exactModulo("r", 3, "w", 10, 10)),
                check(call("modulo", col("p"), col("a")), exactModulo("p", 2, "a", 0, 2)),
                check(call("modulo", col("b"), col("z")), exactModulo("b", 0, "z", 0, 0)),
                // Narrow enough for DuckDB's own decimal %.
                check(call("modulo", col("p"), col("z")), "p % z"));
    }

    @Test
    void decimalsCompareAndFilterExactly() throws Exception {
        oracle.assertSame(allocator,
                call("or", call("gt", col("r"), col("q")), call("in", col("p"), decimal("0.05", 3, 2), decimal("-0.050", 4, 3),
                        int32(0), decimal("0.001", 3, 3), nullLiteral(ColumnTypes.decimal(5, 2)))),
                List.of(col("id"), call("le", col("w"), col("b")), call("eq", col("z"), col("a")),
                        call("in", col("z"), int32(1), int64(-99999), decimal("99999.0", 6, 1)),
                        call("in", col("q"), col("p"), col("z"), decimal("0.5", 2, 1)),
                        // Literals against decimals of another scale: aligned to it, or (0.001 at scale 2) compared exactly.
                        call("gt", col("p"), int32(100)), call("le", decimal("0.5", 2, 1), col("q")), call("eq", col("p"), decimal("0.001", 3, 3)),
                        call("lt", int64(-7), col("w")), call("ge", col("r"), decimal("9223372036854775.807", 19, 3))),
                "SELECT id, w <= b, z = a, z IN (1, -99999, 99999.0), q IN (p, z, 0.5), p > 100, 0.5 <= q, p = 0.001, -7 < w,"
                        + " r >= 9223372036854775.807 FROM t"
                        + " WHERE r > q OR p IN (0.05, -0.050, 0, 0.001, NULL) ORDER BY id");
    }

    @Test
    void castsBetweenDecimalsIntegersAndDoubles() throws Exception {
        assertSame(
                check(cast(col("p"), ColumnTypes.decimal(9, 1)), "CAST(p AS DECIMAL(9, 1))"),
                check(cast(col("w"), ColumnTypes.decimal(38, 2)), "CAST(w AS DECIMAL(38, 2))"),
                check(cast(col("r"), ColumnTypes.decimal(38, 1)), "CAST(r AS DECIMAL(38, 1))"),
                check(cast(col("q"), ColumnTypes.decimal(25, 10)), "CAST(q AS DECIMAL(25, 10))"),
                check(cast(col("q"), TypeKind.INT64), "CAST(q AS BIGINT)"),
                check(cast(col("p"), TypeKind.INT32), "CAST(p AS INTEGER)"),
                check(cast(col("b"), ColumnTypes.decimal(38, 5)), "CAST(b AS DECIMAL(38, 5))"),
                check(cast(col("a"), ColumnTypes.decimal(12, 2)), "CAST(a AS DECIMAL(12, 2))"),
                check(cast(col("q"), TypeKind.FLOAT64), "CAST(q AS DOUBLE)"),
                check(cast(col("p"), TypeKind.FLOAT64), "CAST(p AS DOUBLE)"));
    }

    // ----- the oracle's SQL -----

    private void assertSame(Check... checks) throws SQLException {
        oracle.assertSame(allocator, null, null, checks);
    }

    /** A column as DECIMAL(38, its scale), so that DuckDB's result type cannot overflow before ours would. */
    private static String wide(String column) {
        DataType type = COLUMNS.stream().filter(c -> c.name().equals(column)).findFirst().orElseThrow().type();
        return "CAST(" + column + " AS DECIMAL(38, " + (type.getKind() == TypeKind.DECIMAL ? type.getScale() : 0) + "))";
    }

    /**
     * {@code left / right} at {@code scale}, rounded half away from zero, exactly:
     * {@code round(unscaled(left) * 10^(scale - s1 + s2) / unscaled(right))} in HUGEINT (NULL for
     * a zero divisor, as DuckDB's {@code //} gives), then scaled back.
     */
    private static String exactDivide(String left, int leftScale, String right, int rightScale, int scale) {
        String numerator = "(" + unscaled(left, leftScale) + " * CAST('1" + "0".repeat(scale - leftScale + rightScale) + "' AS HUGEINT))";
        String denominator = unscaled(right, rightScale);
        String quotient = numerator + " // " + denominator;
        String remainder = numerator + " % " + denominator;
        String rounded = "(" + quotient + " + CASE WHEN 2 * abs(" + remainder + ") >= abs(" + denominator + ") THEN"
                + " (CASE WHEN (" + numerator + " < 0) <> (" + denominator + " < 0) THEN -1 ELSE 1 END) ELSE 0 END)";
        return scaledBack(rounded, scale);
    }

    /** {@code left % right} at the common {@code scale}, exactly, on the unscaled HUGEINTs (truncated, NULL for zero). */
    private static String exactModulo(String left, int leftScale, String right, int rightScale, int scale) {
        String remainder = "(" + unscaled(left, leftScale) + " * CAST('1" + "0".repeat(scale - leftScale) + "' AS HUGEINT)) % ("
                + unscaled(right, rightScale) + " * CAST('1" + "0".repeat(scale - rightScale) + "' AS HUGEINT))";
        return scaledBack(remainder, scale);
    }

    /** An unscaled HUGEINT as the decimal of {@code scale} it stands for. */
    private static String scaledBack(String unscaled, int scale) {
        String decimal = "CAST(" + unscaled + " AS DECIMAL(38, 0))";
        return scale == 0 ? decimal : decimal + " * CAST('0." + "0".repeat(scale - 1) + "1' AS DECIMAL(" + (scale + 1) + ", " + scale + "))";
    }

    private static String unscaled(String value, int scale) {
        return scale == 0 ? "CAST(" + value + " AS HUGEINT)" : "CAST(replace(CAST(" + value + " AS VARCHAR), '.', '') AS HUGEINT)";
    }

    // ----- data -----

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }

    /** One of the edge values one time in eight, else the random one. */
    private static <T> T pick(Random random, List<T> edges, T value) {
        return random.nextInt(8) == 0 ? edges.get(random.nextInt(edges.size())) : value;
    }

    private static List<BigDecimal> decimals(int scale, String... values) {
        return Arrays.stream(values).map(value -> new BigDecimal(value).setScale(scale)).toList();
    }

    /** A value of up to {@code precision} digits (a random count of them), of the given scale, either sign. */
    private static BigDecimal randomDecimal(Random random, int precision, int scale) {
        int digits = 1 + random.nextInt(precision);
        BigInteger unscaled = new BigInteger(digits * 4, random).mod(BigInteger.TEN.pow(digits));
        return new BigDecimal(random.nextBoolean() ? unscaled : unscaled.negate(), scale);
    }

    private static long randomLong(Random random, int maxDigits) {
        return randomDecimal(random, maxDigits, 0).longValueExact();
    }
}
