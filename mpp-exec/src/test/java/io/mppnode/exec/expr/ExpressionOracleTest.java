package io.mppnode.exec.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.operator.SelectionOperator;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.TypeKind;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
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

    private static List<List<Object>> table;
    private static Connection duckdb;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(7);
        table = new ArrayList<>();
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
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE t (id BIGINT, a INTEGER, b BIGINT, c DOUBLE, f BOOLEAN, s VARCHAR, d DATE, ts TIMESTAMP)");
        }
        try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
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
        assertThatThrownBy(() -> duckDb("SELECT id + 9223372036854775797 FROM t")).isInstanceOf(SQLException.class)
                .hasMessageContaining("Overflow");
        assertThatThrownBy(() -> run(null, List.of(call("multiply", col("a"), int32(Integer.MAX_VALUE)))))
                .hasMessageContaining("multiply overflows int32");
    }

    // ----- running both -----

    private void assertSameAsDuckDb(Expr condition, List<Expr> projections, String sql) throws Exception {
        List<List<Object>> ours = run(condition, projections);
        List<List<Object>> theirs = duckDb(sql);
        assertThat(ours).as("rows of %s", sql).hasSize(theirs.size()).isEqualTo(theirs);
        assertThat(ours).as("a query that selects nothing checks nothing").isNotEmpty();
    }

    /** Runs the rows, in batches, through a Selection (when {@code condition} is given) and a Projection. */
    private List<List<Object>> run(Expr condition, List<Expr> projections) {
        ExprBinder selectionBinder = new ExprBinder("selection_1", COLUMNS);
        ExprBinder projectionBinder = new ExprBinder("projection_1", COLUMNS);
        List<String> names = new ArrayList<>();
        List<VectorExpr> exprs = new ArrayList<>();
        for (Expr projection : projections) {
            names.add("out" + names.size());
            exprs.add(new ExprCompiler("projection_1").compile(projectionBinder.bind(projection)));
        }
        List<List<Object>> rows = new ArrayList<>();
        try (OperatorContext selectionContext = new OperatorContext("selection_1", allocator);
                OperatorContext projectionContext = new OperatorContext("projection_1", allocator);
                SelectionOperator selection = condition == null ? null : new SelectionOperator(selectionContext,
                        List.of(new ExprCompiler("selection_1").compile(selectionBinder.bindCondition(condition, "condition 1"))));
                ProjectionOperator projection = new ProjectionOperator(projectionContext, names, exprs)) {
            for (int start = 0; start < ROWS; start += BATCH_ROWS) {
                VectorSchemaRoot batch = batch(table.subList(start, Math.min(ROWS, start + BATCH_ROWS)));
                if (selection != null) {
                    selection.addInput(batch);
                    batch = selection.getOutput();
                    if (batch == null) {
                        continue;
                    }
                }
                projection.addInput(batch);
                try (VectorSchemaRoot output = projection.getOutput()) {
                    rows.addAll(ArrowValues.rows(output));
                }
            }
        }
        return rows;
    }

    private VectorSchemaRoot batch(List<List<Object>> rows) {
        Schema schema = new Schema(COLUMNS.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        for (int column = 0; column < COLUMNS.size(); column++) {
            for (int row = 0; row < rows.size(); row++) {
                ArrowValues.set(batch.getVector(column), row, rows.get(row).get(column));
            }
            batch.getVector(column).setValueCount(rows.size());
        }
        batch.setRowCount(rows.size());
        return batch;
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
        return random.nextInt(100) < 15 ? null : value;
    }

    // ----- plan expressions -----

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    private static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    private static Expr and(Expr... args) {
        return call("and", args);
    }

    private static Expr literal(DataType type, Literal.Builder value) {
        return Expr.newBuilder().setLiteral(value.setType(type)).build();
    }

    private static Expr int32(int value) {
        return literal(ColumnTypes.of(TypeKind.INT32), Literal.newBuilder().setInt64Value(value));
    }

    private static Expr int64(long value) {
        return literal(ColumnTypes.of(TypeKind.INT64), Literal.newBuilder().setInt64Value(value));
    }

    private static Expr float64(double value) {
        return literal(ColumnTypes.of(TypeKind.FLOAT64), Literal.newBuilder().setFloat64Value(value));
    }

    private static Expr string(String value) {
        return literal(ColumnTypes.of(TypeKind.STRING), Literal.newBuilder().setStringValue(value));
    }

    private static Expr timestamp(String value) {
        return literal(ColumnTypes.of(TypeKind.TIMESTAMP), Literal.newBuilder().setStringValue(value));
    }

    private static Expr nullLiteral(TypeKind kind) {
        return literal(ColumnTypes.of(kind), Literal.newBuilder().setIsNull(true));
    }
}
