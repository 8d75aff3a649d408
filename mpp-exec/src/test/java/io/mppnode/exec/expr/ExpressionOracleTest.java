package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.TestingExprs.and;
import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.float64;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.nullLiteral;
import static io.mppnode.exec.expr.TestingExprs.string;
import static io.mppnode.exec.expr.TestingExprs.timestamp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
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
 * Selection and Projection with the implemented expressions, against DuckDB running the same
 * SQL on the same rows: nulls in every column, a few zero divisors, multi-byte strings, dates
 * compared with timestamps. The rows come in several batches, so results cross batch edges.
 */
class ExpressionOracleTest {
    private static final int ROWS = 2_500;
    private static final int BATCH_ROWS = 700;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("a", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("b", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("c", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("f", ColumnTypes.of(TypeKind.BOOLEAN)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("d", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("ts", ColumnTypes.of(TypeKind.TIMESTAMP)));
    private static final String[] WORDS = {"apple", "mango", "Zebra", "münchen", "東京", "", "m", "naïve", "lemon"};

    private static DuckDbOracle oracle;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(7);
        List<List<Object>> table = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            table.add(java.util.Arrays.asList(
                    id,
                    maybeNull(random, random.nextInt(101) - 50),
                    maybeNull(random, id % 50 == 0 ? 0L : (long) random.nextInt(2001) - 1000),
                    maybeNull(random, id % 40 == 0 ? 0.0 : Math.round(random.nextGaussian() * 1000) / 1000.0),
                    maybeNull(random, random.nextBoolean()),
                    maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                    maybeNull(random, LocalDate.of(1999, 12, 31).plusDays(random.nextInt(3))),
                    maybeNull(random, LocalDateTime.of(2000, 1, 1, 0, 0).plusHours(random.nextInt(48) - 24))));
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
    void integerArithmeticUnderAndOr() throws Exception {
        assertSameAsDuckDb(
                and(call("gt", col("a"), int32(10)), call("or", col("f"), call("lt", col("c"), float64(0.5)))),
                List.of(col("id"), call("plus", col("a"), col("a")), call("minus", col("b"), col("a")),
                        call("multiply", col("a"), int32(3)), call("negate", col("b")), call("modulo", col("b"), col("a"))),
                "SELECT id, a + a, b - a, a * 3, -b, b % a FROM t WHERE a > 10 AND (f OR c < 0.5) ORDER BY id");
    }

    @Test
    void notOrIsNullAndFloatArithmeticWithZeroDivisors() throws Exception {
        assertSameAsDuckDb(
                call("or", call("not", call("le", col("b"), col("a"))), call("is_null", col("a"))),
                List.of(col("id"), call("modulo", col("b"), int64(7)), call("multiply", col("c"), float64(2.5)),
                        call("divide", col("c"), col("c")), call("modulo", col("c"), float64(0.3)), call("modulo", col("a"), col("b"))),
                // Division by zero is NULL here for floats too (MySQL's rule, as TiFlash); DuckDB
                // follows IEEE there (0.0 / 0.0 = NaN), hence its NULLIF. Integers agree as they are.
                "SELECT id, b % 7, c * 2.5, c / NULLIF(c, 0), c % 0.3, a % b FROM t WHERE NOT (b <= a) OR a IS NULL ORDER BY id");
    }

    @Test
    void stringsDatesAndTimestampsCompare() throws Exception {
        assertSameAsDuckDb(
                and(call("ge", col("s"), string("m")), call("lt", col("d"), timestamp("2000-01-01T12:00:00"))),
                List.of(col("id"), col("s"), call("is_null", col("f")), call("eq", col("f"), call("lt", col("a"), col("b"))),
                        call("ne", col("ts"), col("d")), call("gt", col("c"), col("b"))),
                "SELECT id, s, f IS NULL, f = (a < b), ts <> d, c > b FROM t"
                        + " WHERE s >= 'm' AND d < TIMESTAMP '2000-01-01 12:00:00' ORDER BY id");
    }

    @Test
    void threeValuedLogicOnEveryRow() throws Exception {
        Expr positive = call("gt", col("a"), int32(0));
        assertSameAsDuckDb(null,
                List.of(col("id"), and(col("f"), positive), call("or", col("f"), positive), call("not", col("f")),
                        call("is_not_null", call("and", col("f"), positive, call("lt", col("c"), float64(0)))),
                        call("eq", col("f"), nullLiteral(TypeKind.BOOLEAN)), call("or", nullLiteral(TypeKind.BOOLEAN), col("f"))),
                "SELECT id, f AND a > 0, f OR a > 0, NOT f, (f AND a > 0 AND c < 0) IS NOT NULL, f = NULL, NULL OR f FROM t ORDER BY id");
    }

    @Test
    void integerOverflowIsAnErrorHereAndInDuckDb() throws Exception {
        Expr huge = int64(Long.MAX_VALUE - 10);
        assertThatThrownBy(() -> run(null, List.of(call("plus", col("id"), huge))))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_ERROR))
                .hasMessage("executor 'projection_1': plus overflows int64: 11, 9223372036854775797");
        assertThatThrownBy(() -> oracle.query("SELECT id + 9223372036854775797 FROM t")).isInstanceOf(SQLException.class)
                .hasMessageContaining("Overflow");
        assertThatThrownBy(() -> run(null, List.of(call("multiply", col("a"), int32(Integer.MAX_VALUE)))))
                .hasMessageContaining("multiply overflows int32");
    }

    private void assertSameAsDuckDb(Expr condition, List<Expr> projections, String sql) throws SQLException {
        oracle.assertSame(allocator, condition, projections, sql);
    }

    private List<List<Object>> run(Expr condition, List<Expr> projections) {
        return oracle.run(allocator, condition, projections);
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }
}
