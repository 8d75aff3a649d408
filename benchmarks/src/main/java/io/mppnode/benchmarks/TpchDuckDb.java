package io.mppnode.benchmarks;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.exec.tpch.TpchTable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * {@link TpchBenchmark}'s DuckDB: an in-memory database limited to {@code threads} threads,
 * loaded with the rows {@link TpchGenerator} makes (part 1 of 1: the rows the nodes load, as in
 * the tests' {@code TestingTpch.loadDuckDb}: BIGINT keys, INTEGER counts, DECIMAL(15,2) money
 * and quantities, DATE, VARCHAR) through DuckDB's Appender, values appended by type without
 * boxing (decimals as their unscaled long, dates as epoch days).
 */
final class TpchDuckDb implements AutoCloseable {
    private final Connection connection;

    private TpchDuckDb(Connection connection) {
        this.connection = connection;
    }

    static TpchDuckDb open(int threads) throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET threads = " + threads);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return new TpchDuckDb(connection);
    }

    /** Creates the eight tables and appends their rows; returns how many rows. */
    long load(double scaleFactor) throws SQLException {
        DuckDBConnection duckdb = connection.unwrap(DuckDBConnection.class);
        long[] rows = {0};
        try (BufferAllocator allocator = new RootAllocator()) {
            for (TpchTable table : TpchTable.values()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(createTable(table));
                }
                try (DuckDBAppender appender = duckdb.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table.tableName())) {
                    TpchGenerator.generate(table, scaleFactor, 1, 1, TpchLoader.BATCH_ROWS, allocator, batch -> {
                        try (batch) {
                            append(appender, batch.rows().getFieldVectors(), batch.rows().getRowCount());
                            rows[0] += batch.rows().getRowCount();
                        } catch (SQLException e) {
                            throw new IllegalStateException("appending to " + table.tableName(), e);
                        }
                    });
                    appender.flush();
                }
            }
        }
        return rows[0];
    }

    /** Runs {@code sql}, reads every value of its result, and returns its row count. */
    long run(String sql) throws SQLException {
        long rows = 0;
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                for (int column = 1; column <= columns; column++) {
                    result.getObject(column);
                }
                rows++;
            }
        }
        return rows;
    }

    private static String createTable(TpchTable table) {
        return "CREATE TABLE " + table.tableName() + " (" + table.columns().stream()
                .map(column -> column.name() + " " + duckDbType(column))
                .collect(Collectors.joining(", ")) + ")";
    }

    private static String duckDbType(ColumnSchema column) {
        return switch (column.type().getKind()) {
            case INT64 -> "BIGINT";
            case INT32 -> "INTEGER";
            case DECIMAL -> "DECIMAL(" + column.type().getPrecision() + ", " + column.type().getScale() + ")";
            case DATE -> "DATE";
            case STRING -> "VARCHAR";
            default -> throw new IllegalArgumentException("no TPC-H column has type " + column.type());
        };
    }

    private static void append(DuckDBAppender appender, List<FieldVector> vectors, int rows) throws SQLException {
        for (int row = 0; row < rows; row++) {
            appender.beginRow();
            for (FieldVector vector : vectors) {
                if (vector.isNull(row)) {
                    appender.append((String) null);
                    continue;
                }
                switch (vector) {
                    case BigIntVector v -> appender.append(v.get(row));
                    case IntVector v -> appender.append(v.get(row));
                    // TPC-H's money fits a long: the low 8 bytes of the 16-byte decimal.
                    case DecimalVector v -> appender.appendDecimal(v.getDataBuffer().getLong((long) row * DecimalVector.TYPE_WIDTH));
                    case DateDayVector v -> appender.appendEpochDays(v.get(row));
                    case VarCharVector v -> appender.append(new String(v.get(row), StandardCharsets.UTF_8));
                    default -> throw new IllegalStateException("unexpected vector " + vector.getField());
                }
            }
            appender.endRow();
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
