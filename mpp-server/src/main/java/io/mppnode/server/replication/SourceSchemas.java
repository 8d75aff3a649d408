package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads upstream table definitions from a MySQL/MariaDB server's {@code information_schema}.
 * Only base tables count: views, sequences and system-versioned tables are not replicated.
 * The caller owns the connection; nothing here closes it or changes its session.
 */
public final class SourceSchemas {
    private static final String TABLE_TYPE = """
            SELECT TABLE_TYPE FROM information_schema.TABLES
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?""";
    private static final String COLUMNS = """
            SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE,
                   DATETIME_PRECISION, CHARACTER_SET_NAME, IS_NULLABLE
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
            ORDER BY ORDINAL_POSITION""";
    private static final String PRIMARY_KEY = """
            SELECT COLUMN_NAME FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'
            ORDER BY SEQ_IN_INDEX""";
    private static final String TABLES = """
            SELECT TABLE_NAME FROM information_schema.TABLES
            WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'
            ORDER BY TABLE_NAME""";

    private SourceSchemas() {}

    /**
     * The definition of base table {@code database.table}, or empty when there is no such base
     * table (it does not exist, or it is a view).
     *
     * @throws SQLException when the server cannot be read
     */
    public static Optional<SourceTable> load(Connection connection, String database, String table) throws SQLException {
        requireNonNull(connection, "connection is null");
        requireNonNull(database, "database is null");
        requireNonNull(table, "table is null");
        try (PreparedStatement statement = connection.prepareStatement(TABLE_TYPE)) {
            statement.setString(1, database);
            statement.setString(2, table);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next() || !"BASE TABLE".equals(rows.getString(1))) {
                    return Optional.empty();
                }
            }
        }
        List<SourceColumn> columns = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(COLUMNS)) {
            statement.setString(1, database);
            statement.setString(2, table);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String columnType = rows.getString("COLUMN_TYPE");
                    String lowerColumnType = columnType.toLowerCase(Locale.ROOT);
                    String charset = rows.getString("CHARACTER_SET_NAME");
                    columns.add(new SourceColumn(
                            rows.getString("COLUMN_NAME"),
                            rows.getString("DATA_TYPE").toLowerCase(Locale.ROOT),
                            columnType,
                            lowerColumnType.contains(" unsigned") || lowerColumnType.contains(" zerofill"),
                            rows.getInt("NUMERIC_PRECISION"),
                            rows.getInt("NUMERIC_SCALE"),
                            rows.getInt("DATETIME_PRECISION"),
                            charset == null ? null : charset.toLowerCase(Locale.ROOT),
                            "YES".equals(rows.getString("IS_NULLABLE"))));
                }
            }
        }
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> primaryKey = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(PRIMARY_KEY)) {
            statement.setString(1, database);
            statement.setString(2, table);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String name = rows.getString(1);
                    primaryKey.add(indexOf(columns, name));
                }
            }
        }
        return Optional.of(new SourceTable(database, table, columns, primaryKey));
    }

    /**
     * The base tables of {@code database} (no views), sorted by name.
     *
     * @throws SQLException when the server cannot be read
     */
    public static List<String> tables(Connection connection, String database) throws SQLException {
        requireNonNull(connection, "connection is null");
        requireNonNull(database, "database is null");
        List<String> tables = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(TABLES)) {
            statement.setString(1, database);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
        }
        return List.copyOf(tables);
    }

    private static int indexOf(List<SourceColumn> columns, String name) {
        for (int i = 0; i < columns.size(); i++) {
            // Column names are case-insensitive in MySQL; information_schema spells them alike anyway.
            if (columns.get(i).name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        throw new IllegalStateException("primary key column " + name + " is not among the table's columns");
    }
}
