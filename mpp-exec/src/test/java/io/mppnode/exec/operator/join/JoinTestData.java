package io.mppnode.exec.operator.join;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.JoinType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The two tables of the join tests, the join keys and condition as plan expressions, the same
 * join as DuckDB SQL, and a multiset comparison of results.
 *
 * <p>Left {@code l(l_id, l_k, l_s, l_d, l_x)} and right {@code r(r_id, r_k, r_s, r_d, r_y)}:
 * int64 keys with NULLs, duplicates and one skewed value (7) on both sides, so a key of it
 * joins hundreds of rows with hundreds; multi-byte strings; a decimal(12, 2) key; int32 payloads
 * compared by the other condition {@code l_x < r_y}.
 */
final class JoinTestData {
    static final List<ColumnSchema> LEFT_COLUMNS = List.of(
            new ColumnSchema("l_id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("l_k", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("l_s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("l_d", ColumnTypes.decimal(12, 2)),
            new ColumnSchema("l_x", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("l_b", ColumnTypes.of(TypeKind.BOOLEAN)),
            new ColumnSchema("l_t", ColumnTypes.of(TypeKind.TIMESTAMP)));
    static final List<ColumnSchema> RIGHT_COLUMNS = List.of(
            new ColumnSchema("r_id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("r_k", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("r_s", ColumnTypes.of(TypeKind.STRING)),
            new ColumnSchema("r_d", ColumnTypes.decimal(12, 2)),
            new ColumnSchema("r_y", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("r_f", ColumnTypes.of(TypeKind.FLOAT64)),
            new ColumnSchema("r_dt", ColumnTypes.of(TypeKind.DATE)));
    private static final String[] WORDS = {"apple", "münchen", "東京", "", "naïve", "🙂", "Zebra", "lemon"};
    static final Expr CONDITION = call("lt", column("l_x"), column("r_y"));

    /** The join keys: which columns, as plan expressions and as SQL. */
    enum Keys {
        INT64(List.of("l_k"), List.of("r_k")),
        STRING_AND_INT64(List.of("l_s", "l_k"), List.of("r_s", "r_k")),
        DECIMAL(List.of("l_d"), List.of("r_d"));

        final List<String> left;
        final List<String> right;

        Keys(List<String> left, List<String> right) {
            this.left = left;
            this.right = right;
        }

        List<Expr> leftExprs() {
            return left.stream().map(JoinTestData::column).toList();
        }

        List<Expr> rightExprs() {
            return right.stream().map(JoinTestData::column).toList();
        }

        String sqlEquality() {
            List<String> terms = new ArrayList<>();
            for (int i = 0; i < left.size(); i++) {
                terms.add("l." + left.get(i) + " = r." + right.get(i));
            }
            return String.join(" AND ", terms);
        }
    }

    private JoinTestData() {}

    static List<List<Object>> leftRows(int count, long seed) {
        Random random = new Random(seed);
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 0; id < count; id++) {
            rows.add(Arrays.asList(id, key(random, 0, 400), maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                    maybeNull(random, BigDecimal.valueOf(random.nextInt(300), 2)), maybeNull(random, random.nextInt(100)),
                    maybeNull(random, random.nextBoolean()),
                    maybeNull(random, LocalDateTime.of(2024, 2, 29, 12, 0).plusSeconds(random.nextInt(100_000)).plusNanos(1000L * random.nextInt(1000)))));
        }
        return rows;
    }

    static List<List<Object>> rightRows(int count, long seed) {
        Random random = new Random(seed);
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 0; id < count; id++) {
            rows.add(Arrays.asList(1_000_000 + id, key(random, 150, 550), maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                    maybeNull(random, BigDecimal.valueOf(150 + random.nextInt(300), 2)), maybeNull(random, random.nextInt(100)),
                    maybeNull(random, random.nextInt(2000) / 8.0 - 100),
                    maybeNull(random, LocalDate.of(1999, 12, 1).plusDays(random.nextInt(90)))));
        }
        return rows;
    }

    /** NULL 10% of the time, the skewed 7 10%, else uniform in [from, to). */
    private static Long key(Random random, int from, int to) {
        int draw = random.nextInt(100);
        if (draw < 10) {
            return null;
        }
        if (draw < 20) {
            return 7L;
        }
        return (long) (from + random.nextInt(to - from));
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 10 ? null : value;
    }

    static void load(Connection duckdb, String table, String columns, List<List<Object>> rows) throws SQLException {
        try (Statement statement = duckdb.createStatement()) {
            statement.execute("CREATE TABLE " + table + " (" + columns + ")");
        }
        if (rows.isEmpty()) {
            return;
        }
        String marks = String.join(", ", rows.getFirst().stream().map(value -> "?").toList());
        try (PreparedStatement insert = duckdb.prepareStatement("INSERT INTO " + table + " VALUES (" + marks + ")")) {
            for (List<Object> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    insert.setObject(i + 1, row.get(i));
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    static final String LEFT_SQL_COLUMNS =
            "l_id BIGINT, l_k BIGINT, l_s VARCHAR, l_d DECIMAL(12, 2), l_x INTEGER, l_b BOOLEAN, l_t TIMESTAMP";
    static final String RIGHT_SQL_COLUMNS =
            "r_id BIGINT, r_k BIGINT, r_s VARCHAR, r_d DECIMAL(12, 2), r_y INTEGER, r_f DOUBLE, r_dt DATE";

    /** The join as DuckDB SQL over tables {@code left} and {@code right} (aliased l and r). */
    static String sql(JoinType type, Keys keys, boolean withCondition, String left, String right) {
        String on = keys.sqlEquality() + (withCondition ? " AND l.l_x < r.r_y" : "");
        String from = " FROM " + left + " l ";
        return switch (type) {
            case INNER -> "SELECT l.*, r.*" + from + "JOIN " + right + " r ON " + on;
            case LEFT_OUTER -> "SELECT l.*, r.*" + from + "LEFT JOIN " + right + " r ON " + on;
            case RIGHT_OUTER -> "SELECT l.*, r.*" + from + "RIGHT JOIN " + right + " r ON " + on;
            case SEMI -> "SELECT l.*" + from + "SEMI JOIN " + right + " r ON " + on;
            case ANTI_SEMI -> "SELECT l.*" + from + "ANTI JOIN " + right + " r ON " + on;
            case NULL_AWARE_ANTI_SEMI -> {
                String leftKey = "l." + keys.left.getFirst();
                String rightKey = keys.right.getFirst();
                yield withCondition
                        ? "SELECT l.*" + from + "WHERE NOT EXISTS (SELECT 1 FROM " + right + " r WHERE (" + leftKey
                                + " = r." + rightKey + " OR " + leftKey + " IS NULL OR r." + rightKey
                                + " IS NULL) AND l.l_x < r.r_y)"
                        : "SELECT l.*" + from + "WHERE " + leftKey + " NOT IN (SELECT " + rightKey + " FROM " + right + ")";
            }
            case UNRECOGNIZED -> throw new IllegalArgumentException();
        };
    }

    static List<List<Object>> query(Connection duckdb, String sql) throws SQLException {
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

    /**
     * Null when the two are equal as multisets of rows, else a description of the difference:
     * the counts and a few rows each has that the other has not.
     */
    static String multisetDifference(List<List<Object>> ours, List<List<Object>> theirs) {
        Map<String, Integer> counts = new HashMap<>();
        for (List<Object> row : ours) {
            counts.merge(canonical(row), 1, Integer::sum);
        }
        for (List<Object> row : theirs) {
            counts.merge(canonical(row), -1, Integer::sum);
        }
        List<String> extra = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        counts.entrySet().stream().filter(entry -> entry.getValue() != 0).sorted(Map.Entry.comparingByKey())
                .forEach(entry -> (entry.getValue() > 0 ? extra : missing).add(entry.getValue() + "x " + entry.getKey()));
        if (extra.isEmpty() && missing.isEmpty()) {
            return null;
        }
        return "ours has " + ours.size() + " rows, DuckDB " + theirs.size() + "; only ours (first 10): "
                + extra.subList(0, Math.min(10, extra.size())) + "; only DuckDB's (first 10): "
                + missing.subList(0, Math.min(10, missing.size()));
    }

    /**
     * A row as text, so that equal values of both sides read alike: decimals without trailing
     * zeros, JDBC's dates and timestamps as java.time values (as ArrowValues reads them).
     */
    private static String canonical(List<Object> row) {
        List<String> values = new ArrayList<>(row.size());
        for (Object value : row) {
            values.add(String.valueOf(switch (value) {
                case BigDecimal decimal -> decimal.stripTrailingZeros().toPlainString();
                case java.sql.Timestamp timestamp -> timestamp.toLocalDateTime();
                case java.sql.Date date -> date.toLocalDate();
                case null -> null;
                default -> value;
            }));
        }
        return values.toString();
    }

    static Expr column(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    /** Every join type with both build sides. */
    static List<Object[]> typesAndSides() {
        List<Object[]> cases = new ArrayList<>();
        for (JoinType type : JoinType.values()) {
            if (type == JoinType.UNRECOGNIZED) {
                continue;
            }
            for (BuildSide side : List.of(BuildSide.BUILD_RIGHT, BuildSide.BUILD_LEFT)) {
                cases.add(new Object[] {type, side});
            }
        }
        return cases;
    }
}
