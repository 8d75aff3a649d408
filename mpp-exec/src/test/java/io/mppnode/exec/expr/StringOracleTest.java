package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.nullLiteral;
import static io.mppnode.exec.expr.TestingExprs.string;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
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
 * like, substring, concat and in over strings, against DuckDB: strings of multi-byte characters
 * (ü, 東京, emoji, a letter with a combining accent, which is two code points), empty strings,
 * the wildcard and escape characters themselves in the data, patterns that come from a column,
 * and starts and lengths of every sign. DuckDB's LIKE has no default escape, ours is {@code \}
 * (MySQL's), so the DuckDB queries say {@code ESCAPE '\'}; DuckDB's concat() skips NULLs, ours
 * propagates them as {@code ||} does, so the DuckDB queries use {@code ||}.
 */
class StringOracleTest {
    private static final int ROWS = 2_500;
    private static final int BATCH_ROWS = 700;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("t", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("n", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("m", ColumnTypes.of(TypeKind.INT64)));
    /** Pieces strings are made of: one to four UTF-8 bytes, and LIKE's own characters. */
    private static final String[] PIECES = {"a", "b", "m", "n", "x", "ü", "東", "京", "😀", "e\u0301", "%", "_", "\\", " ", "Z", "ß"};
    private static final String[] WORDS = {"münchen", "東京", "", "apple", "a_b", "a%b", "50%", "x😀y東京", "naïve", "Zebra", "mango", "e\u0301"};
    private static final String[] PATTERNS = {"%", "", "_", "m%", "%n", "%ü%", "_ü%", "東_", "%😀%", "a\\_b", "a\\%b", "%\\%", "___",
        "%a%b%", "m_n%", "%e_", "%%", "x%y", "%\\\\%", "_%_", "%_%_%", "e_", "%京"};

    private static DuckDbOracle oracle;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(23);
        List<List<Object>> table = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            table.add(Arrays.asList(
                    id,
                    maybeNull(random, random.nextInt(3) == 0 ? WORDS[random.nextInt(WORDS.length)] : randomString(random)),
                    maybeNull(random, random.nextBoolean() ? PATTERNS[random.nextInt(PATTERNS.length)] : randomString(random)),
                    maybeNull(random, random.nextInt(15) - 7),
                    maybeNull(random, (long) random.nextInt(15) - 7)));
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
    void likeWithLiteralPatternsOfEveryShape() throws Exception {
        List<String> patterns = List.of("m%", "%n", "%ü%", "apple", "m_n%", "_京%", "%😀_%", "%a%b%", "", "%", "\\_%", "%\\%%", "_", "__",
                "%e_", "%_%");
        List<Expr> projections = new ArrayList<>(List.of(col("id")));
        StringBuilder sql = new StringBuilder("SELECT id");
        for (String pattern : patterns) {
            projections.add(call("like", col("s"), string(pattern)));
            sql.append(", s LIKE '").append(pattern).append("' ESCAPE '\\'");
        }
        // Another escape character (DuckDB refuses a multi-byte one; LikePatternTest has ours).
        projections.add(call("like", col("s"), string("%!%%"), string("!")));
        sql.append(", s LIKE '%!%%' ESCAPE '!'");
        projections.add(call("like", col("s"), nullLiteral(TypeKind.STRING)));
        sql.append(", s LIKE NULL");
        oracle.assertSame(allocator, null, projections, sql.append(" FROM t ORDER BY id").toString());
    }

    @Test
    void likeWithPatternsFromAColumnFilters() throws Exception {
        oracle.assertSame(allocator, call("or", call("like", col("s"), col("t")), call("like", col("t"), string("%\\%%"))),
                List.of(col("id"), col("s"), col("t"), call("like", col("t"), col("s")), call("like", col("s"), col("t"), string("!"))),
                "SELECT id, s, t, t LIKE s ESCAPE '\\', s LIKE t ESCAPE '!' FROM t"
                        + " WHERE s LIKE t ESCAPE '\\' OR t LIKE '%\\%%' ESCAPE '\\' ORDER BY id");
    }

    @Test
    void substringCountsCharactersFromEitherEnd() throws Exception {
        oracle.assertSame(allocator, null,
                List.of(col("id"), call("substring", col("s"), col("n")), call("substring", col("s"), col("n"), col("m")),
                        call("substring", col("s"), int32(2), int64(3)), call("substring", col("s"), int32(-3)),
                        call("substring", col("s"), int32(0), int32(2)), call("substring", col("s"), col("m"), int32(-2)),
                        call("substring", string("münchen😀東京"), col("n"), col("m"))),
                "SELECT id, substring(s, n), substring(s, n, m), substring(s, 2, 3), substring(s, -3), substring(s, 0, 2),"
                        + " substring(s, m, -2), substring('münchen😀東京', n, m) FROM t ORDER BY id");
    }

    @Test
    void concatIsNullWhenAnyArgumentIs() throws Exception {
        oracle.assertSame(allocator, call("is_not_null", col("t")),
                List.of(col("id"), call("concat", col("s"), col("t")), call("concat", col("s"), string("-"), col("s")),
                        call("concat", col("t")), call("concat", string(""), col("s"), string("東京😀"))),
                "SELECT id, s || t, s || '-' || s, t, '' || s || '東京😀' FROM t WHERE t IS NOT NULL ORDER BY id");
    }

    @Test
    void inOverStrings() throws Exception {
        oracle.assertSame(allocator, call("in", col("s"), string("münchen"), string("東京"), string(""), string("a_b"), string("e\u0301")),
                List.of(col("id"), col("s"), call("in", col("s"), string("x"), nullLiteral(TypeKind.STRING)), call("in", col("s"), col("t"), string("apple")),
                        call("in", col("t"), string("%"), string("_"))),
                "SELECT id, s, s IN ('x', NULL), s IN (t, 'apple'), t IN ('%', '_') FROM t"
                        + " WHERE s IN ('münchen', '東京', '', 'a_b', 'e\u0301') ORDER BY id");
    }

    @Test
    void stringsCompareByTheirBytes() throws Exception {
        oracle.assertSame(allocator, null,
                List.of(col("id"), call("lt", col("s"), col("t")), call("ge", col("s"), string("ü")), call("eq", col("s"), col("t"))),
                "SELECT id, s < t, s >= 'ü', s = t FROM t ORDER BY id");
    }

    private static String randomString(Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(9); i > 0; i--) {
            text.append(PIECES[random.nextInt(PIECES.length)]);
        }
        // A pattern may not end with its escape character (both refuse it; ExprErrorTest checks ours).
        return text.toString().endsWith("\\") ? text + "x" : text.toString();
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }
}
