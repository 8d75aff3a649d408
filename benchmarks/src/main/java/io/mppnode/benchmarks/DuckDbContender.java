package io.mppnode.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * DuckDB in process over JDBC, {@link OperatorBenchmark}'s and {@link HashJoinBenchmark}'s
 * peer: a fresh in-memory database with table {@code lineitem} loaded from {@link LineitemData}
 * (and {@code orders} from {@link OrdersData} when given), by its Appender, before measuring,
 * limited to {@code threads} threads ({@code PRAGMA threads}; with 1 the calling thread runs
 * the query alone, as our operator runs on one), with the given settings, and one prepared
 * query. A run executes the query and reads every value of its result. Not thread-safe.
 */
final class DuckDbContender implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement query;

    DuckDbContender(LineitemData data, int threads, String sql) throws SQLException {
        this(data, null, threads, List.of(), sql);
    }

    /**
     * @param orders the orders table to load too, or null
     * @param settings statements run once before the query is prepared ({@code SET ...})
     */
    DuckDbContender(LineitemData data, OrdersData orders, int threads, List<String> settings, String sql) throws SQLException {
        connection = DriverManager.getConnection("jdbc:duckdb:");
        try {
            data.loadInto(connection);
            if (orders != null) {
                orders.loadInto(connection);
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA threads=" + threads);
                for (String setting : settings) {
                    statement.execute(setting);
                }
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

    /**
     * The physical plan DuckDB chooses for {@code sql} on this connection, as JSON
     * ({@code EXPLAIN (FORMAT json)}): each operator's {@code name}, then its {@code children},
     * the probe side of a join before its build side.
     */
    String plan(String sql) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("EXPLAIN (FORMAT json) " + sql)) {
            while (result.next()) {
                plan.append(result.getString(2)).append('\n');
            }
        }
        return plan.toString();
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
