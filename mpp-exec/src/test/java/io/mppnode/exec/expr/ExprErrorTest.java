package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.TestingExprs.and;
import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.cast;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.date;
import static io.mppnode.exec.expr.TestingExprs.decimal;
import static io.mppnode.exec.expr.TestingExprs.float64;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.string;
import static io.mppnode.exec.expr.TestingExprs.timestamp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What cannot be computed: every such value is a DATA_ERROR whose message names the executor,
 * the function and the value, never a wrong or wrapped result; and whatever an evaluation had
 * allocated when it failed is freed (the allocator closes clean after every test). Also the
 * results at the edges that the oracle tests cannot reach (DuckDB refuses or differs there).
 */
class ExprErrorTest {
    private static final String WIDEST = "9999999999999999999999999999.9999999999";
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("w", ColumnTypes.decimal(38, 10)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("a", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("d", ColumnTypes.of(TypeKind.DATE)));

    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails on a leak
    }

    // ----- decimal overflow -----

    @Test
    void decimalOverflowAtPrecision38IsAnErrorNamingTheOperands() {
        assertDataError(call("plus", col("w"), col("w")), row(new BigDecimal(WIDEST), null, 1, null),
                "executor 'projection_1': plus overflows decimal(38, 10): " + WIDEST + ", " + WIDEST);
        assertDataError(call("minus", call("negate", col("w")), col("w")), row(new BigDecimal(WIDEST), null, 1, null),
                "executor 'projection_1': minus overflows decimal(38, 10): -" + WIDEST + ", " + WIDEST);
        // decimal(20, 0) * decimal(20, 0) is capped at decimal(38, 0): 10^19 * 10^19 has 39 digits.
        Expr big = decimal("10000000000000000000", 20, 0);
        assertDataError(call("multiply", big, big), row(null, null, 1, null),
                "executor 'projection_1': multiply overflows decimal(38, 0): 10000000000000000000, 10000000000000000000");
        // decimal(38, 0) / decimal(5, 5) gives decimal(38, 4): 34 integer digits, one too few here.
        assertDataError(call("divide", decimal("1" + "0".repeat(33), 38, 0), decimal("0.00001", 5, 5)), row(null, null, 1, null),
                "executor 'projection_1': divide overflows decimal(38, 4): 1" + "0".repeat(33) + ", 0.00001");
    }

    @Test
    void decimalsAroundTheLongBoundaryAreExact() {
        // decimal(19, 0) + decimal(19, 0): a long's range is crossed on the way, the result is exact.
        Expr nineteenNines = decimal("9999999999999999999", 19, 0);
        assertThat(evaluate(call("plus", nineteenNines, nineteenNines))).containsOnly(new BigDecimal("19999999999999999998"));
        assertThat(evaluate(call("minus", decimal("-9223372036854775808", 19, 0), int32(1))))
                .containsOnly(new BigDecimal("-9223372036854775809"));
        assertThat(evaluate(call("negate", decimal("-9223372036854775808", 19, 0)))).containsOnly(new BigDecimal("9223372036854775808"));
        assertThat(evaluate(call("multiply", decimal("999999999.999999999", 18, 9), decimal("999999999.999999999", 18, 9))))
                .containsOnly(new BigDecimal("999999999999999998.000000000000000001"));
        // HALF_UP at the result scale, both signs: 2/3 = 0.6667, -2/3 = -0.6667, 1/8 = 0.1250, 5/16 = 0.3125, 1/32 -> 0.0313.
        assertThat(evaluate(call("divide", int32(2), int32(3)))).containsOnly(new BigDecimal("0.6667"));
        assertThat(evaluate(call("divide", int32(-2), int32(3)))).containsOnly(new BigDecimal("-0.6667"));
        assertThat(evaluate(call("divide", int32(1), int32(-32)))).containsOnly(new BigDecimal("-0.0313"));
        assertThat(evaluate(call("divide", int64(Long.MIN_VALUE), int32(-1)))).containsOnly(new BigDecimal("9223372036854775808.0000"));
        assertThat(evaluate(call("divide", decimal("1", 38, 0), decimal("3", 38, 37))))
                .containsOnly(new BigDecimal("0.3333"));
        assertThat(evaluate(call("divide", int32(5), decimal("0.00", 3, 2)))).containsOnly((Object) null);
        assertThat(evaluate(call("modulo", decimal("-7.50", 3, 2), int32(0)))).containsOnly((Object) null);
        assertThat(evaluate(call("modulo", decimal("-7.50", 3, 2), decimal("2.0", 2, 1)))).containsOnly(new BigDecimal("-1.50"));
    }

    // ----- cast -----

    @Test
    void castOfTextThatDoesNotParseNamesTheValueAndTheType() {
        assertDataError(cast(string("abc"), TypeKind.INT32), row(null, null, 1, null), "executor 'projection_1': cannot cast 'abc' to int32");
        assertDataError(cast(string("12x"), ColumnTypes.decimal(5, 2)), row(null, null, 1, null),
                "executor 'projection_1': cannot cast '12x' to decimal(5, 2)");
        assertDataError(cast(string("2024-02-30"), TypeKind.DATE), row(null, null, 1, null),
                "executor 'projection_1': cannot cast '2024-02-30' to date");
        assertDataError(cast(string("2024-01-02 25:00:00"), TypeKind.TIMESTAMP), row(null, null, 1, null),
                "executor 'projection_1': cannot cast '2024-01-02 25:00:00' to timestamp");
        assertDataError(cast(string("maybe"), TypeKind.BOOLEAN), row(null, null, 1, null),
                "executor 'projection_1': cannot cast 'maybe' to boolean");
        assertDataError(cast(string("0x10"), TypeKind.INT64), row(null, null, 1, null), "executor 'projection_1': cannot cast '0x10' to int64");
        assertDataError(cast(string("1.5d"), TypeKind.FLOAT64), row(null, null, 1, null), "executor 'projection_1': cannot cast '1.5d' to float64");
        assertDataError(cast(string(""), TypeKind.INT32), row(null, null, 1, null), "executor 'projection_1': cannot cast '' to int32");
        assertDataError(cast(string("99999999999"), TypeKind.INT32), row(null, null, 1, null),
                "executor 'projection_1': cast overflows int32: '99999999999'");
        assertDataError(cast(string("1e999999999"), ColumnTypes.decimal(38, 0)), row(null, null, 1, null),
                "executor 'projection_1': cast overflows decimal(38, 0): '1e999999999'");
        assertDataError(cast(string("東京"), TypeKind.DATE), row(null, null, 1, null), "executor 'projection_1': cannot cast '東京' to date");
    }

    @Test
    void narrowingCastsThatOverflowAreErrors() {
        assertDataError(cast(int64(3_000_000_000L), TypeKind.INT32), row(null, null, 1, null),
                "executor 'projection_1': cast overflows int32: 3000000000");
        assertDataError(cast(decimal("123.45", 5, 2), ColumnTypes.decimal(4, 2)), row(null, null, 1, null),
                "executor 'projection_1': cast overflows decimal(4, 2): 123.45");
        // Rounding up adds a digit: 99.995 is 100.00 at scale 2.
        assertDataError(cast(decimal("99.995", 5, 3), ColumnTypes.decimal(4, 2)), row(null, null, 1, null),
                "executor 'projection_1': cast overflows decimal(4, 2): 99.995");
        assertDataError(cast(col("w"), TypeKind.INT64), row(new BigDecimal(WIDEST), null, 1, null),
                "executor 'projection_1': cast overflows int64: " + WIDEST);
        assertDataError(cast(float64(9.3e18), TypeKind.INT64), row(null, null, 1, null), "executor 'projection_1': cast overflows int64: 9.3e+18");
        assertDataError(cast(float64(Double.NaN), TypeKind.INT64), row(null, null, 1, null), "executor 'projection_1': cannot cast nan to int64");
        assertDataError(cast(float64(Double.NEGATIVE_INFINITY), ColumnTypes.decimal(10, 2)), row(null, null, 1, null),
                "executor 'projection_1': cannot cast -inf to decimal(10, 2)");
        assertDataError(cast(float64(1e300), ColumnTypes.decimal(38, 2)), row(null, null, 1, null),
                "executor 'projection_1': cast overflows decimal(38, 2): 1e+300");
        assertDataError(cast(int32(100), ColumnTypes.decimal(3, 1)), row(null, null, 1, null),
                "executor 'projection_1': cast overflows decimal(3, 1): 100");
    }

    @Test
    void castsAtTheEdgesThatDuckDbRefusesOrGetsWrong() {
        // Rounds into int32's range (DuckDB refuses it), and out of it (DuckDB wraps to -2147483648).
        assertThat(evaluate(cast(float64(-2147483648.4), TypeKind.INT32))).containsOnly(Integer.MIN_VALUE);
        assertThatThrownBy(() -> evaluate(cast(float64(2147483647.5), TypeKind.INT32))).hasMessageContaining("cast overflows int32: 2147483647.5");
        // Half to even for doubles, half away from zero for decimals and text.
        assertThat(evaluate(cast(float64(8.5), TypeKind.INT32))).containsOnly(8);
        assertThat(evaluate(cast(float64(-9.5), TypeKind.INT64))).containsOnly(-10L);
        assertThat(evaluate(cast(decimal("8.5", 2, 1), TypeKind.INT32))).containsOnly(9);
        assertThat(evaluate(cast(string("-8.5"), TypeKind.INT32))).containsOnly(-9);
        // The shortest text of the double, HALF_UP: 2.675 and 1.005 are both a little below in binary.
        assertThat(evaluate(cast(float64(2.675), ColumnTypes.decimal(4, 2)))).containsOnly(new BigDecimal("2.68"));
        assertThat(evaluate(cast(float64(1.005), ColumnTypes.decimal(4, 2)))).containsOnly(new BigDecimal("1.01"));
        assertThat(evaluate(cast(float64(5e-324), ColumnTypes.decimal(10, 4)))).containsOnly(new BigDecimal("0.0000"));
        assertThat(evaluate(cast(string("5e-324"), ColumnTypes.decimal(10, 4)))).containsOnly(new BigDecimal("0.0000"));
        assertThat(evaluate(cast(string(" 2024-01-02 "), TypeKind.TIMESTAMP))).containsOnly(LocalDateTime.of(2024, 1, 2, 0, 0));
        assertThat(evaluate(cast(string("-0001-12-31"), TypeKind.DATE))).containsOnly(LocalDate.of(-1, 12, 31));
        assertThat(evaluate(cast(date("+10000-01-01"), TypeKind.STRING))).containsOnly("+10000-01-01");
        assertThat(evaluate(cast(timestamp("1969-12-31T23:59:59.000500"), TypeKind.STRING))).containsOnly("1969-12-31 23:59:59.0005");
    }

    // ----- dates -----

    @Test
    void dateArithmeticBeyondTheTypesRangeIsAnError() {
        assertDataError(call("date_add", date("2024-01-31"), int64(Long.MAX_VALUE), string("day")), row(null, null, 1, null),
                "executor 'projection_1': date_add overflows date: 2024-01-31, 9223372036854775807 day");
        assertDataError(call("date_sub", col("d"), int64(Long.MIN_VALUE), string("day")), row(null, null, 1, LocalDate.of(2024, 1, 31)),
                "executor 'projection_1': date_sub overflows date: 2024-01-31, -9223372036854775808 day");
        assertDataError(call("date_add", col("d"), int64(3_000_000_000L), string("month")), row(null, null, 1, LocalDate.of(2024, 1, 31)),
                "executor 'projection_1': date_add overflows date: 2024-01-31, 3000000000 month");
        assertDataError(call("date_add", col("d"), int64(Long.MAX_VALUE / 6), string("year")), row(null, null, 1, LocalDate.of(2024, 1, 31)),
                "executor 'projection_1': date_add overflows date: 2024-01-31, 1537228672809129301 year");
        // The last day a DATE holds (int32 days), plus one.
        LocalDate last = LocalDate.ofEpochDay(Integer.MAX_VALUE);
        assertDataError(call("date_add", col("d"), int32(1), string("week")), row(null, null, 1, last),
                "executor 'projection_1': date_add overflows date: " + last + ", 1 week");
        assertDataError(call("date_add", timestamp("2024-01-31T10:00:00"), int64(Long.MAX_VALUE / 1000), string("hour")), row(null, null, 1, null),
                "executor 'projection_1': date_add overflows timestamp: 2024-01-31 10:00:00, 9223372036854775 hour");
        assertDataError(cast(col("d"), TypeKind.TIMESTAMP), row(null, null, 1, last),
                "executor 'projection_1': cast overflows timestamp: " + last);
    }

    @Test
    void monthArithmeticClampsToTheMonthsEnd() {
        assertThat(evaluate(call("date_add", date("2024-01-31"), int32(1), string("month")))).containsOnly(LocalDate.of(2024, 2, 29));
        assertThat(evaluate(call("date_add", date("2024-02-29"), int32(1), string("year")))).containsOnly(LocalDate.of(2025, 2, 28));
        assertThat(evaluate(call("date_sub", date("2024-03-31"), int32(1), string("month")))).containsOnly(LocalDate.of(2024, 2, 29));
        assertThat(evaluate(call("date_sub", timestamp("2000-03-31T12:34:56.789"), int32(13), string("month"))))
                .containsOnly(LocalDateTime.of(1999, 2, 28, 12, 34, 56, 789_000_000));
    }

    // ----- like -----

    @Test
    void likePatternEndingWithItsEscapeIsRefused() {
        ExprBinder binder = new ExprBinder("projection_1", COLUMNS);
        ExprCompiler compiler = new ExprCompiler("projection_1");
        assertThatThrownBy(() -> compiler.compile(binder.bind(call("like", col("s"), string("ab\\")))))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PLAN))
                .hasMessage("executor 'projection_1': like: the pattern 'ab\\' ends with its escape character");
        assertDataError(call("like", string("ab"), col("s"), string("!")), row(null, "ab!", 1, null),
                "executor 'projection_1': like: the pattern 'ab!' ends with its escape character");
    }

    // ----- memory on failure, and branches that must not fail -----

    @Test
    void aFailureMidExpressionFreesEverythingItHadAllocated() {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(row(new BigDecimal(i), i == 700 ? "oops" : Integer.toString(i), i, LocalDate.of(2024, 1, 1)));
        }
        // The failing cast sits deep in a tree whose other branches have allocated by then; the
        // first projection has already produced its column.
        Expr deep = call("concat", cast(call("plus", col("w"), col("w")), TypeKind.STRING),
                cast(call("plus", cast(col("s"), TypeKind.INT32), col("a")), TypeKind.STRING), col("s"));
        List<Expr> projections = List.of(call("substring", col("s"), int32(1), int32(2)), deep);
        assertThatThrownBy(() -> project(projections, rows))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_ERROR))
                .hasMessage("executor 'projection_1': cannot cast 'oops' to int32");
        assertThat(allocator.getAllocatedMemory()).isZero();
        // The same where case and coalesce retry on the rows that need a branch, and the row fails there too.
        Expr guarded = call("coalesce", call("case", call("gt", col("a"), int32(500)), cast(col("s"), TypeKind.INT32)), int32(0));
        assertThatThrownBy(() -> project(List.of(guarded), rows)).hasMessage("executor 'projection_1': cannot cast 'oops' to int32");
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void branchesAreEvaluatedOnlyForTheRowsThatReachThem() {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(row(null, i % 3 == 0 ? "not a number" : Integer.toString(i), i, null));
        }
        Expr number = cast(col("s"), TypeKind.INT32);
        Expr parses = call("ne", col("s"), string("not a number"));
        List<List<Object>> result = project(List.of(
                call("case", parses, number),
                call("coalesce", call("case", call("not", parses), int32(-1)), number),
                and(parses, call("gt", number, int32(500))),
                call("or", call("not", parses), call("lt", number, int32(500)))), rows);
        for (int i = 0; i < 1000; i++) {
            boolean valid = i % 3 != 0;
            assertThat(result.get(i)).containsExactly(valid ? i : null, valid ? i : -1, valid && i > 500, !valid || i < 500);
        }
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void everyFunctionTakesAnEmptyBatch() {
        List<Expr> exprs = List.of(call("plus", col("w"), col("a")), call("divide", col("a"), col("a")), call("negate", col("w")),
                call("eq", col("s"), string("x")), and(call("gt", col("a"), int32(1)), call("is_null", col("s"))), call("not", call("is_not_null", col("d"))),
                call("in", col("a"), int32(1), col("a")), call("like", col("s"), string("%x_")), call("like", col("s"), col("s")),
                call("case", call("gt", col("a"), int32(1)), col("s"), string("y")), call("coalesce", col("w"), col("a")),
                cast(col("s"), TypeKind.DATE), cast(col("w"), TypeKind.STRING), call("substring", col("s"), col("a"), col("a")),
                call("concat", col("s"), col("s")), call("year", col("d")), call("date_add", col("d"), col("a"), string("month")),
                call("modulo", col("w"), col("w")), call("multiply", col("a"), col("a")));
        ExprBinder binder = new ExprBinder("projection_1", COLUMNS);
        try (VectorSchemaRoot empty = DuckDbOracle.batch(allocator, COLUMNS, List.of())) {
            for (Expr expr : exprs) {
                try (FieldVector result = new ExprCompiler("projection_1").compile(binder.bind(expr)).evaluate(empty, allocator)) {
                    assertThat(result.getValueCount()).as("%s", expr).isZero();
                }
            }
        }
    }

    // ----- running -----

    private static List<Object> row(BigDecimal w, String s, Integer a, LocalDate d) {
        return Arrays.asList(w, s, a, d);
    }

    private void assertDataError(Expr expr, List<Object> row, String message) {
        assertThatThrownBy(() -> project(List.of(expr), List.of(row)))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_ERROR))
                .hasMessage(message);
        assertThat(allocator.getAllocatedMemory()).as("left allocated after the error").isZero();
    }

    /** The expression (of literals only) over one row. */
    private List<Object> evaluate(Expr expr) {
        VectorExpr compiled = new ExprCompiler("projection_1").compile(new ExprBinder("projection_1", COLUMNS).bind(expr));
        try (VectorSchemaRoot batch = DuckDbOracle.batch(allocator, COLUMNS, List.of(row(null, null, 1, null)));
                FieldVector result = compiled.evaluate(batch, allocator)) {
            List<Object> values = new ArrayList<>();
            for (int i = 0; i < batch.getRowCount(); i++) {
                values.add(ArrowValues.get(result, i));
            }
            return values;
        }
    }

    /** The rows through a Projection, in batches of 300. */
    private List<List<Object>> project(List<Expr> projections, List<List<Object>> rows) {
        ExprBinder binder = new ExprBinder("projection_1", COLUMNS);
        ExprCompiler compiler = new ExprCompiler("projection_1");
        List<String> names = new ArrayList<>();
        List<VectorExpr> exprs = new ArrayList<>();
        for (Expr projection : projections) {
            names.add("out" + names.size());
            exprs.add(compiler.compile(binder.bind(projection)));
        }
        List<List<Object>> output = new ArrayList<>();
        try (OperatorContext context = new OperatorContext("projection_1", allocator);
                ProjectionOperator projection = new ProjectionOperator(context, names, exprs)) {
            for (int start = 0; start < rows.size(); start += 300) {
                projection.addInput(DuckDbOracle.batch(allocator, COLUMNS, rows.subList(start, Math.min(rows.size(), start + 300))));
                try (VectorSchemaRoot result = projection.getOutput()) {
                    output.addAll(ArrowValues.rows(result));
                }
            }
        }
        return output;
    }
}
