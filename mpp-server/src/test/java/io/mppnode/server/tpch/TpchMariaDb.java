package io.mppnode.server.tpch;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.exec.tpch.TpchTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * TPC-H in MariaDB (10.11), for tests that replicate it into nodes and compare the nodes'
 * answers with MariaDB's own: the tables, their rows, and the 22 queries in MariaDB's SQL.
 *
 * <h2>Tables</h2>
 * Each of the eight tables has the columns of {@link TpchTable#columns()} (same names, same
 * order) in the MariaDB type that replication maps to exactly the node's type: int64 keys
 * {@code BIGINT}, int32 columns {@code INT}, money and quantities {@code DECIMAL(15,2)},
 * {@code DATE}, and strings {@code VARCHAR(n)} (n: the TPC-H length the generator declares)
 * {@code CHARACTER SET utf8mb4 COLLATE utf8mb4_bin}. The binary collation makes MariaDB compare,
 * {@code LIKE} and sort strings by their characters as the node does; the default
 * {@code utf8mb4_general_ci} is case-insensitive ({@code LIKE '%green%'} would also match
 * "Green"). Primary keys are TPC-H's; the secondary indexes ({@link #SECONDARY_INDEXES}) only
 * make MariaDB's plans for the correlated subqueries (Q2, Q17, Q20, Q21, Q22) fast. They are
 * part of {@code CREATE TABLE}: a replica stops on {@code CREATE INDEX} after its start point.
 *
 * <h2>The queries ({@link #sql})</h2>
 * The DuckDB texts of {@link TpchQueries#sql} run on MariaDB as they are (the standard
 * parameters; {@code DATE '...' ± INTERVAL 'n' unit}, {@code extract(YEAR FROM ...)},
 * {@code substr}, the CTE of Q15, {@code EXISTS}, {@code LIMIT}), except for {@link #REWRITES}:
 * <ul>
 *   <li>Q13: MariaDB 10.11 has no column list on a derived table ({@code AS c_orders (c_custkey,
 *       c_count)}): the count is named inside the derived table instead.
 * </ul>
 * Each rewrite must match the DuckDB text exactly once, so a change to it is noticed here.
 *
 * <h2>Numbers</h2>
 * MariaDB and the node follow the same decimal rules, MySQL's: {@code avg} of a DECIMAL and the
 * quotient of DECIMALs have the dividend's scale plus {@code div_precision_increment} (4),
 * rounded half up, sums and products are exact. So the averages (Q1, Q17's and Q22's
 * subqueries) and the quotients (Q8's mkt_share, Q14's promo_revenue, Q17's avg_yearly) compare
 * exactly, digit for digit, where against DuckDB (which answers DOUBLE) they compare after
 * rounding; no CAST to DOUBLE is needed, and one would only make the comparison looser. (Were
 * MariaDB's values DOUBLEs, {@link TestingTpch}'s rule for them would apply.) At scale factor
 * 0.01 nothing qualifies in Q17: its avg_yearly is NULL on both sides.
 */
public final class TpchMariaDb {
    /** The database the tables are in. */
    public static final String DATABASE = "tpch";

    /** Secondary indexes per table, for MariaDB's plans only (see the class comment). */
    static final Map<TpchTable, List<String>> SECONDARY_INDEXES = Map.of(
            TpchTable.LINEITEM, List.of("KEY l_partkey_suppkey (l_partkey, l_suppkey)", "KEY l_suppkey (l_suppkey)"),
            TpchTable.PARTSUPP, List.of("KEY ps_suppkey (ps_suppkey)"),
            TpchTable.ORDERS, List.of("KEY o_custkey (o_custkey)"),
            TpchTable.CUSTOMER, List.of("KEY c_nationkey (c_nationkey)"),
            TpchTable.SUPPLIER, List.of("KEY s_nationkey (s_nationkey)"),
            TpchTable.NATION, List.of("KEY n_regionkey (n_regionkey)"));

    /** TPC-H's primary keys. */
    static final Map<TpchTable, String> PRIMARY_KEYS = Map.of(
            TpchTable.NATION, "n_nationkey",
            TpchTable.REGION, "r_regionkey",
            TpchTable.PART, "p_partkey",
            TpchTable.SUPPLIER, "s_suppkey",
            TpchTable.PARTSUPP, "ps_partkey, ps_suppkey",
            TpchTable.CUSTOMER, "c_custkey",
            TpchTable.ORDERS, "o_orderkey",
            TpchTable.LINEITEM, "l_orderkey, l_linenumber");

    /** A rewrite of query {@code query}'s DuckDB text: {@code from} (found exactly once) becomes {@code to}. */
    record Rewrite(int query, String from, String to, String why) {}

    /** Every difference between the DuckDB texts and MariaDB's (see the class comment). */
    static final List<Rewrite> REWRITES = List.of(
            new Rewrite(13, "count(o_orderkey)\n", "count(o_orderkey) AS c_count\n",
                    "MariaDB has no column list on a derived table: the count is named inside it"),
            new Rewrite(13, "AS c_orders (c_custkey, c_count)", "AS c_orders",
                    "MariaDB has no column list on a derived table: the count is named inside it"));

    private static final int ROWS_PER_INSERT = 1000;

    private TpchMariaDb() {}

    // ----- tables -----

    /** The statements creating database {@link #DATABASE} and its eight tables. */
    public static List<String> createStatements() {
        List<String> statements = new ArrayList<>();
        statements.add("CREATE DATABASE " + DATABASE);
        for (TpchTable table : TpchTable.values()) {
            statements.add(createTable(table));
        }
        return statements;
    }

    static String createTable(TpchTable table) {
        List<String> parts = new ArrayList<>();
        io.trino.tpch.TpchTable<?> generator = io.trino.tpch.TpchTable.getTable(table.tableName());
        for (ColumnSchema column : table.columns()) {
            parts.add(column.name() + " " + mariaDbType(column, generator.getColumn(column.name()).getType()) + " NOT NULL");
        }
        parts.add("PRIMARY KEY (" + PRIMARY_KEYS.get(table) + ")");
        parts.addAll(SECONDARY_INDEXES.getOrDefault(table, List.of()));
        return "CREATE TABLE " + DATABASE + "." + table.tableName() + " (" + String.join(", ", parts) + ") ENGINE=InnoDB";
    }

    private static String mariaDbType(ColumnSchema column, io.trino.tpch.TpchColumnType declared) {
        return switch (column.type().getKind()) {
            case INT64 -> "BIGINT";
            case INT32 -> "INT";
            case DECIMAL -> "DECIMAL(" + column.type().getPrecision() + "," + column.type().getScale() + ")";
            case DATE -> "DATE";
            case STRING -> "VARCHAR(" + declared.getPrecision().orElseThrow(() -> new IllegalStateException(
                    "the generator declares no length for " + column.name())) + ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
            default -> throw new IllegalArgumentException("no TPC-H column has type " + column.type());
        };
    }

    // ----- rows -----

    /**
     * The rows {@link TpchGenerator} makes for part {@code part} of {@code parts} of a table at
     * {@code scaleFactor}, as the SQL literals of each value (the rows a node's loader loads).
     */
    public static List<List<String>> rows(TpchTable table, double scaleFactor, int part, int parts) {
        List<List<String>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            TpchGenerator.generate(table, scaleFactor, part, parts, TpchLoader.BATCH_ROWS, allocator, batch -> {
                try (batch) {
                    VectorSchemaRoot root = batch.rows();
                    for (int row = 0; row < root.getRowCount(); row++) {
                        List<String> values = new ArrayList<>(root.getFieldVectors().size());
                        for (FieldVector vector : root.getFieldVectors()) {
                            values.add(literal(vector, row));
                        }
                        rows.add(values);
                    }
                }
            });
        }
        return rows;
    }

    private static String literal(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return "NULL";
        }
        return switch (vector) {
            case BigIntVector v -> Long.toString(v.get(row));
            case IntVector v -> Integer.toString(v.get(row));
            case DecimalVector v -> v.getObject(row).toPlainString();
            case DateDayVector v -> "'" + LocalDate.ofEpochDay(v.get(row)) + "'";
            case VarCharVector v -> "'" + v.getObject(row).toString().replace("\\", "\\\\").replace("'", "''") + "'";
            default -> throw new IllegalStateException("unexpected vector " + vector.getField());
        };
    }

    /** Multi-row INSERTs of {@code rows} into {@code table}, at most 1000 rows each. */
    public static List<String> inserts(TpchTable table, List<List<String>> rows) {
        List<String> statements = new ArrayList<>();
        String head = "INSERT INTO " + DATABASE + "." + table.tableName() + " ("
                + table.columns().stream().map(ColumnSchema::name).collect(Collectors.joining(", ")) + ") VALUES ";
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            StringBuilder sql = new StringBuilder(head);
            List<List<String>> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "(" : ", (").append(String.join(", ", chunk.get(i))).append(')');
            }
            statements.add(sql.toString());
        }
        return statements;
    }

    /** Inserts part {@code part} of {@code parts} of a table, each INSERT its own (autocommit) transaction. */
    public static long load(Connection connection, TpchTable table, double scaleFactor, int part, int parts) throws SQLException {
        List<List<String>> rows = rows(table, scaleFactor, part, parts);
        try (Statement statement = connection.createStatement()) {
            for (String insert : inserts(table, rows)) {
                statement.execute(insert);
            }
        }
        return rows.size();
    }

    // ----- queries -----

    /** Query {@code query} (1..22) in MariaDB's SQL: the DuckDB text with {@link #REWRITES}. */
    public static String sql(int query) {
        String sql = TpchQueries.sql(query);
        for (Rewrite rewrite : REWRITES) {
            if (rewrite.query() != query) {
                continue;
            }
            int at = sql.indexOf(rewrite.from());
            if (at < 0 || sql.indexOf(rewrite.from(), at + 1) >= 0) {
                throw new IllegalStateException("Q" + query + ": the DuckDB text does not hold '" + rewrite.from()
                        + "' exactly once; update TpchMariaDb.REWRITES (" + rewrite.why() + ")");
            }
            sql = sql.substring(0, at) + rewrite.to() + sql.substring(at + rewrite.from().length());
        }
        return sql.replace("for DuckDB", "for MariaDB");
    }

    /** MariaDB's answer to query {@code query}: its column labels and rows (JDBC objects). */
    public static TestingTpch.Expected expected(Connection connection, int query) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql(query))) {
            ResultSetMetaData metadata = result.getMetaData();
            for (int i = 1; i <= metadata.getColumnCount(); i++) {
                names.add(metadata.getColumnLabel(i));
            }
            while (result.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= names.size(); i++) {
                    row.add(result.getObject(i));
                }
                rows.add(row);
            }
        }
        return new TestingTpch.Expected(names, rows);
    }
}
