package io.mppnode.exec.expr;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.operator.SelectionOperator;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One table twice: as Arrow batches of {@code batchRows} rows that run through our Selection and
 * Projection operators, and as table {@code t} of an in-memory DuckDB; a test runs the same
 * query on both and compares the rows (Java values as {@link ArrowValues} gives them; DuckDB's
 * timestamps are read as LocalDateTime). Open it in {@code @BeforeAll}, close it in
 * {@code @AfterAll}; each run takes the test's allocator, which the test closes (a leak fails it).
 */
final class DuckDbOracle implements AutoCloseable {
    private final List<ColumnSchema> columns;
    private final List<List<Object>> rows;
    private final int batchRows;
    private final Connection duckdb;

    DuckDbOracle(List<ColumnSchema> columns, List<List<Object>> rows, int batchRows) throws SQLException {
        this.columns = List.copyOf(columns);
        this.rows = List.copyOf(rows);
        this.batchRows = batchRows;
        this.duckdb = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE t (" + columns.stream().map(column -> column.name() + " " + sqlType(column.type()))
                    .collect(Collectors.joining(", ")) + ")");
        }
        String placeholders = columns.stream().map(column -> "?").collect(Collectors.joining(", "));
        try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO t VALUES (" + placeholders + ")")) {
            for (List<Object> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    insert.setObject(i + 1, row.get(i));
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    static String sqlType(DataType type) {
        return switch (type.getKind()) {
            case BOOLEAN -> "BOOLEAN";
            case INT32 -> "INTEGER";
            case INT64 -> "BIGINT";
            case FLOAT64 -> "DOUBLE";
            case DECIMAL -> "DECIMAL(" + type.getPrecision() + ", " + type.getScale() + ")";
            case STRING -> "VARCHAR";
            case DATE -> "DATE";
            case TIMESTAMP -> "TIMESTAMP";
            default -> throw new IllegalArgumentException("no SQL type for " + type);
        };
    }

    /** Asserts that our Selection (when {@code condition} is given) and Projection give DuckDB's rows for {@code sql}, in order. */
    void assertSame(BufferAllocator allocator, Expr condition, List<Expr> projections, String sql) throws SQLException {
        List<List<Object>> ours = run(allocator, condition, projections);
        List<List<Object>> theirs = query(sql);
        assertThat(ours).as("a query that selects nothing checks nothing").isNotEmpty();
        for (int i = 0; i < Math.min(ours.size(), theirs.size()); i++) {
            assertThat(ours.get(i)).as("row %s of %s", i, sql).isEqualTo(theirs.get(i));
        }
        assertThat(ours).as("rows of %s", sql).hasSize(theirs.size());
    }

    /** An expression of ours and the DuckDB expression that must give the same values, cast to our result type. */
    record Check(Expr ours, String duckDb) {}

    static Check check(Expr ours, String duckDb) {
        return new Check(ours, duckDb);
    }

    /**
     * Asserts that projecting {@code id} and each check's expression gives what DuckDB gives for
     * {@code SELECT id, CAST((duckDb) AS <our type>), ... FROM t [WHERE where] ORDER BY id}; our
     * type is the binder's, so DuckDB's wider or narrower result types do not matter, values and
     * decimal scales do.
     */
    void assertSame(BufferAllocator allocator, Expr condition, String where, Check... checks) throws SQLException {
        ExprBinder binder = new ExprBinder("projection_1", columns);
        List<Expr> projections = new ArrayList<>(List.of(TestingExprs.col("id")));
        StringBuilder sql = new StringBuilder("SELECT id");
        for (Check check : checks) {
            projections.add(check.ours());
            sql.append(", CAST((").append(check.duckDb()).append(") AS ").append(sqlType(binder.bind(check.ours()).type())).append(")");
        }
        sql.append(" FROM t").append(where == null ? "" : " WHERE " + where).append(" ORDER BY id");
        assertSame(allocator, condition, projections, sql.toString());
    }

    /** Runs the rows, in batches, through a Selection (when {@code condition} is given) and a Projection. */
    List<List<Object>> run(BufferAllocator allocator, Expr condition, List<Expr> projections) {
        ExprBinder selectionBinder = new ExprBinder("selection_1", columns);
        ExprBinder projectionBinder = new ExprBinder("projection_1", columns);
        List<String> names = new ArrayList<>();
        List<VectorExpr> exprs = new ArrayList<>();
        for (Expr projection : projections) {
            names.add("out" + names.size());
            exprs.add(new ExprCompiler("projection_1").compile(projectionBinder.bind(projection)));
        }
        List<List<Object>> output = new ArrayList<>();
        try (OperatorContext selectionContext = new OperatorContext("selection_1", allocator);
                OperatorContext projectionContext = new OperatorContext("projection_1", allocator);
                SelectionOperator selection = condition == null ? null : new SelectionOperator(selectionContext,
                        List.of(new ExprCompiler("selection_1").compile(selectionBinder.bindCondition(condition, "condition 1"))));
                ProjectionOperator projection = new ProjectionOperator(projectionContext, names, exprs)) {
            for (int start = 0; start < rows.size(); start += batchRows) {
                VectorSchemaRoot batch = batch(allocator, columns, rows.subList(start, Math.min(rows.size(), start + batchRows)));
                if (selection != null) {
                    selection.addInput(batch);
                    batch = selection.getOutput();
                    if (batch == null) {
                        continue;
                    }
                }
                projection.addInput(batch);
                try (VectorSchemaRoot result = projection.getOutput()) {
                    output.addAll(ArrowValues.rows(result));
                }
            }
        }
        return output;
    }

    /** The rows as one batch from {@code allocator}, owned by the caller. */
    static VectorSchemaRoot batch(BufferAllocator allocator, List<ColumnSchema> columns, List<List<Object>> rows) {
        Schema schema = new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        try {
            for (int column = 0; column < columns.size(); column++) {
                for (int row = 0; row < rows.size(); row++) {
                    ArrowValues.set(batch.getVector(column), row, rows.get(row).get(column));
                }
                batch.getVector(column).setValueCount(rows.size());
            }
            batch.setRowCount(rows.size());
            return batch;
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
    }

    List<List<Object>> query(String sql) throws SQLException {
        List<List<Object>> result = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            int count = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                List<Object> row = new ArrayList<>(count);
                for (int i = 1; i <= count; i++) {
                    Object value = rows.getObject(i);
                    row.add(value instanceof Timestamp ? rows.getObject(i, LocalDateTime.class) : value);
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
