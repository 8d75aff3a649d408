package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.coordinator.QueryResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * TPC-H against DuckDB, for tests that run the plans of {@link TpchQueries} on one node or on a
 * cluster: loads DuckDB with the rows the node's loader generates, runs the DuckDB SQL of a
 * query, and compares a plan's result with DuckDB's.
 *
 * <p>How results compare ({@link #assertSameResult}):
 * <ul>
 *   <li>Column names (DuckDB's labels) and row counts are equal.
 *   <li>Exact values compare exactly: integers of any width and decimals by numeric value (so
 *       {@code 1.50} equals {@code 1.5}, an INT32 year equals DuckDB's BIGINT), dates as dates,
 *       strings as strings.
 *   <li>Where DuckDB returns a DOUBLE (avg of decimals, division of decimals: Q1's averages,
 *       Q8's mkt_share, Q14's promo_revenue, Q17's avg_yearly) our exact decimal must equal the
 *       DOUBLE rounded HALF_UP to our decimal's scale. DuckDB's double is not exact, so at a
 *       half-way point it may fall on either side; only when it lies within 1e-12 (relative) of
 *       the half-way point is the other neighbour accepted too.
 *   <li>Rows compare as multisets. Where the query has an ORDER BY, the sequence of the sort key
 *       columns ({@link #ORDER_BY}) must also be equal, so rows with equal keys may come in any
 *       order. (A LIMIT that cuts through rows with equal keys could legitimately keep other
 *       rows; with the standard parameters no query does at scale factor 0.01.)
 * </ul>
 */
public final class TestingTpch {
    /** The output columns (0-based) of each query's ORDER BY; absent for the one-row queries. */
    public static final Map<Integer, int[]> ORDER_BY = Map.ofEntries(
            Map.entry(1, new int[] {0, 1}),
            Map.entry(2, new int[] {0, 2, 1, 3}),
            Map.entry(3, new int[] {1, 2}),
            Map.entry(4, new int[] {0}),
            Map.entry(5, new int[] {1}),
            Map.entry(7, new int[] {0, 1, 2}),
            Map.entry(8, new int[] {0}),
            Map.entry(9, new int[] {0, 1}),
            Map.entry(10, new int[] {2}),
            Map.entry(11, new int[] {1}),
            Map.entry(12, new int[] {0}),
            Map.entry(13, new int[] {1, 0}),
            Map.entry(15, new int[] {0}),
            Map.entry(16, new int[] {3, 0, 1, 2}),
            Map.entry(18, new int[] {4, 3}),
            Map.entry(20, new int[] {0}),
            Map.entry(21, new int[] {1, 0}),
            Map.entry(22, new int[] {0}));

    private static final double HALF_WAY_TOLERANCE = 1e-12;

    private TestingTpch() {}

    /** DuckDB's answer to a query: its column labels and rows (JDBC objects). */
    public record Expected(List<String> names, List<List<Object>> rows) {}

    // ----- loading -----

    /**
     * Creates the eight TPC-H tables in DuckDB (BIGINT keys, INTEGER counts, DECIMAL(15,2) money
     * and quantities, DATE, VARCHAR) and appends the rows {@link TpchGenerator} makes for part 1
     * of 1 at {@code scaleFactor}: the rows {@code TpchLoader.loadAll} loads into a node.
     */
    public static void loadDuckDb(Connection duckdb, double scaleFactor) throws SQLException {
        DuckDBConnection connection = duckdb.unwrap(DuckDBConnection.class);
        try (BufferAllocator allocator = new RootAllocator()) {
            for (TpchTable table : TpchTable.values()) {
                try (Statement statement = duckdb.createStatement()) {
                    statement.execute(createTable(table));
                }
                try (DuckDBAppender appender = connection.createAppender("main", table.tableName())) {
                    TpchGenerator.generate(table, scaleFactor, 1, 1, TpchLoader.BATCH_ROWS, allocator, batch -> {
                        try (batch) {
                            append(appender, batch.rows().getFieldVectors(), batch.rows().getRowCount());
                        } catch (SQLException e) {
                            throw new IllegalStateException("appending to " + table.tableName(), e);
                        }
                    });
                }
            }
        }
    }

    static String createTable(TpchTable table) {
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
                    case DecimalVector v -> appender.append(v.getObject(row));
                    case DateDayVector v -> appender.appendEpochDays(v.get(row));
                    case VarCharVector v -> appender.append(v.getObject(row).toString());
                    default -> throw new IllegalStateException("unexpected vector " + vector.getField());
                }
            }
            appender.endRow();
        }
    }

    // ----- running -----

    /** Runs the DuckDB SQL of query {@code query}. */
    public static Expected expected(Connection duckdb, int query) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Statement statement = duckdb.createStatement(); ResultSet result = statement.executeQuery(TpchQueries.sql(query))) {
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
        return new Expected(names, rows);
    }

    /**
     * The plan as one fragment: every ExchangeReceiver replaced by its sender's child (so every
     * exchange pair removed), the root ExchangeSender kept.
     */
    public static Plan flatten(Plan plan) {
        Executor root = plan.getRoot();
        Executor.Builder flat = root.toBuilder().clearChildren();
        root.getChildrenList().forEach(child -> flat.addChildren(flatten(child)));
        return plan.toBuilder().setRoot(flat).build();
    }

    private static Executor flatten(Executor executor) {
        if (executor.hasExchangeReceiver()) {
            assertThat(executor.getChildrenCount()).as("children of receiver %s", executor.getExecutorId()).isEqualTo(1);
            Executor sender = executor.getChildren(0);
            assertThat(sender.hasExchangeSender()).as("child of receiver %s is a sender", executor.getExecutorId()).isTrue();
            return flatten(sender.getChildren(0));
        }
        Executor.Builder flat = executor.toBuilder().clearChildren();
        executor.getChildrenList().forEach(child -> flat.addChildren(flatten(child)));
        return flat.build();
    }

    // ----- comparing -----

    /** Fails unless the plan's result equals DuckDB's as described in the class comment. */
    public static void assertSameResult(int query, QueryResult actual, Expected expected) {
        List<String> names = actual.schema().getFields().stream().map(Field::getName).toList();
        String what = "Q" + query;
        assertThat(names).as("%s column names", what).isEqualTo(expected.names());
        assertSameRows(what, actual.rows(), expected.rows(), ORDER_BY.get(query));
    }

    /** Compares rows as described in the class comment; {@code orderBy} null when the order does not matter. */
    public static void assertSameRows(String what, List<List<Object>> actual, List<List<Object>> expected, int[] orderBy) {
        if (actual.size() != expected.size()) {
            fail("%s: %d rows, DuckDB has %d%nours:%n%s%nDuckDB:%n%s", what, actual.size(), expected.size(),
                    sample(actual), sample(expected));
        }
        if (orderBy != null) {
            List<String> actualKeys = actual.stream().map(row -> exactKey(row, orderBy)).toList();
            List<String> expectedKeys = expected.stream().map(row -> exactKey(row, orderBy)).toList();
            for (int i = 0; i < actualKeys.size(); i++) {
                if (!actualKeys.get(i).equals(expectedKeys.get(i))) {
                    fail("%s: row %d has sort key %s, DuckDB's has %s (sort columns %s)%nours:%n%s%nDuckDB:%n%s", what, i,
                            actualKeys.get(i), expectedKeys.get(i), Arrays.toString(orderBy), sample(actual), sample(expected));
                }
            }
        }
        int columns = expected.isEmpty() ? 0 : expected.getFirst().size();
        int[] all = IntStream.range(0, columns).toArray();
        List<List<Object>> ours = sortByExactColumns(actual, all);
        List<List<Object>> theirs = sortByExactColumns(expected, all);
        for (int i = 0; i < ours.size(); i++) {
            List<Object> row = ours.get(i);
            List<Object> expectedRow = theirs.get(i);
            if (row.size() != expectedRow.size()) {
                fail("%s: a row has %d columns, DuckDB's %d: %s vs %s", what, row.size(), expectedRow.size(), row, expectedRow);
            }
            for (int c = 0; c < row.size(); c++) {
                if (!sameValue(row.get(c), expectedRow.get(c))) {
                    fail("%s: column %d differs: ours %s, DuckDB %s (rows compared as multisets: %s vs %s)%nours:%n%s%nDuckDB:%n%s",
                            what, c, describe(row.get(c)), describe(expectedRow.get(c)), row, expectedRow, sample(actual), sample(expected));
                }
            }
        }
    }

    private static List<List<Object>> sortByExactColumns(List<List<Object>> rows, int[] columns) {
        List<List<Object>> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(row -> exactKey(row, columns)));
        return sorted;
    }

    /** The values of the given columns as text in which equal values read the same; DOUBLEs and their decimals left out. */
    private static String exactKey(List<Object> row, int[] columns) {
        StringBuilder key = new StringBuilder();
        for (int column : columns) {
            Object value = row.get(column);
            key.append(value instanceof Double || value instanceof Float ? "~" : canonical(value)).append('|');
        }
        return key.toString();
    }

    /** Exact values in one text form: numbers by value, dates ISO, strings quoted. */
    static String canonical(Object value) {
        return switch (value) {
            case null -> "NULL";
            case BigDecimal d -> d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
            case BigInteger i -> i.toString();
            case Long l -> l.toString();
            case Integer i -> i.toString();
            case Short s -> s.toString();
            case Byte b -> b.toString();
            case LocalDate d -> d.toString();
            case java.sql.Date d -> d.toLocalDate().toString();
            case String s -> "'" + s + "'";
            default -> value.getClass().getSimpleName() + ":" + value;
        };
    }

    private static boolean sameValue(Object ours, Object duckdb) {
        if (duckdb instanceof Double || duckdb instanceof Float) {
            return sameAsDouble(ours, ((Number) duckdb).doubleValue());
        }
        return canonical(ours).equals(canonical(duckdb));
    }

    /** Our exact decimal against DuckDB's DOUBLE: the double rounded HALF_UP to our scale (see the class comment). */
    static boolean sameAsDouble(Object ours, double duckdb) {
        if (!(ours instanceof BigDecimal decimal)) {
            return ours instanceof Double d && (d == duckdb || Math.abs(d - duckdb) <= HALF_WAY_TOLERANCE * Math.abs(duckdb));
        }
        if (!Double.isFinite(duckdb)) {
            return false;
        }
        BigDecimal rounded = BigDecimal.valueOf(duckdb).setScale(decimal.scale(), RoundingMode.HALF_UP);
        if (rounded.compareTo(decimal) == 0) {
            return true;
        }
        // Our value is the exact one rounded; DuckDB's double may sit just off a half-way point.
        BigDecimal halfUnit = BigDecimal.ONE.scaleByPowerOfTen(-decimal.scale()).divide(BigDecimal.valueOf(2));
        BigDecimal distance = new BigDecimal(duckdb).subtract(decimal).abs();
        BigDecimal slack = BigDecimal.valueOf(Math.max(Math.abs(duckdb), 1) * HALF_WAY_TOLERANCE);
        return distance.subtract(halfUnit).abs().compareTo(slack) <= 0;
    }

    private static String describe(Object value) {
        return value == null ? "NULL" : value + " (" + value.getClass().getSimpleName() + ")";
    }

    private static String sample(List<List<Object>> rows) {
        int shown = Math.min(rows.size(), 30);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < shown; i++) {
            text.append("  ").append(rows.get(i)).append('\n');
        }
        if (shown < rows.size()) {
            text.append("  ... ").append(rows.size() - shown).append(" more\n");
        }
        return text.toString();
    }
}
