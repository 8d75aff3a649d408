package io.mppnode.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * DuckDB in process over JDBC, {@link OperatorBenchmark}'s peer: a fresh in-memory database with
 * table {@code lineitem} loaded from {@link LineitemData} (by its Appender, before measuring),
 * limited to {@code threads} threads ({@code PRAGMA threads}; with 1 the calling thread runs
 * the query alone, as our operator runs on one), and one prepared query. A run executes the
 * query and reads every value of its result. Not thread-safe.
 */
final class DuckDbContender implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement query;

    DuckDbContender(LineitemData data, int threads, String sql) throws SQLException {
        connection = DriverManager.getConnection("jdbc:duckdb:");
        try {
            data.loadInto(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA threads=" + threads);
            }
            query = connection.prepareStatement(sql);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Runs the query once and returns the sum of every non-NULL value of its result (all numeric). */
    double run() throws SQLException {
        double sum = 0;
        try (ResultSet result = query.executeQuery()) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                for (int column = 1; column <= columns; column++) {
                    Object value = result.getObject(column);
                    if (value != null) {
                        sum += ((Number) value).doubleValue();
                    }
                }
            }
        }
        return sum;
    }

    @Override
    public void close() throws SQLException {
        try {
            query.close();
        } finally {
            connection.close();
        }
    }
}
