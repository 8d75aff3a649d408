package io.mppnode.server.exec;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Table;
import io.mppnode.server.TestingNode;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The same rows in a node's catalog and in DuckDB, DuckDB's answers, and rows normalized to compare. */
final class TestingDuckDb {
    private TestingDuckDb() {}

    static void load(TestingNode node, long tableId, List<ColumnSchema> columns, List<List<Object>> rows) {
        Table.Builder table = Table.builder(tableId, "t" + tableId);
        columns.forEach(column -> table.column(column.name(), column.type()));
        rows.forEach(row -> table.row(row.toArray()));
        node.node().catalog().add(table.build(node.node().allocator()));
    }

    /** Runs {@code insert} (one ? per column) for every row, in one batch. */
    static void insert(Connection duckdb, String insert, List<List<Object>> rows) throws SQLException {
        try (PreparedStatement statement = duckdb.prepareStatement(insert)) {
            for (List<Object> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    statement.setObject(i + 1, row.get(i));
                }
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    static void execute(Connection duckdb, String sql) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute(sql);
        }
    }

    static List<List<Object>> query(Connection duckdb, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(result.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** A row as text in which equal numbers of any Java type (and decimal scale) read the same. */
    static String normalizeRow(List<Object> row) {
        return row.stream().map(value -> switch (value) {
            case null -> "NULL";
            case BigDecimal d -> d.stripTrailingZeros().toPlainString();
            case Number n -> new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            default -> value.toString();
        }).toList().toString();
    }

    /** The rows normalized and sorted: a multiset to compare. */
    static List<String> normalize(List<List<Object>> rows) {
        List<String> normalized = new ArrayList<>(rows.stream().map(TestingDuckDb::normalizeRow).toList());
        normalized.sort(Comparator.naturalOrder());
        return normalized;
    }
}
