package io.mppnode.exec.operator.join;

import static io.mppnode.exec.operator.join.JoinTestData.CONDITION;
import static io.mppnode.exec.operator.join.JoinTestData.LEFT_COLUMNS;
import static io.mppnode.exec.operator.join.JoinTestData.LEFT_SQL_COLUMNS;
import static io.mppnode.exec.operator.join.JoinTestData.RIGHT_COLUMNS;
import static io.mppnode.exec.operator.join.JoinTestData.RIGHT_SQL_COLUMNS;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.operator.join.JoinTestData.Keys;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.JoinType;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every join type with both build sides, with and without another condition, over int64,
 * string + int64 and decimal keys, against DuckDB running the same join on the same rows; and
 * each with an empty build side and an empty probe side. Results compare as multisets of rows.
 * The inputs come in batches of 700 rows and the output in batches of at most 1000, so keys and
 * their matches cross batch edges.
 */
class HashJoinOracleTest {
    private static final int BATCH_ROWS = 1000;

    private static Connection duckdb;
    private static List<List<Object>> left;
    private static List<List<Object>> right;
    private static List<List<Object>> rightWithoutNullKeys;

    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        left = JoinTestData.leftRows(3000, 11);
        right = JoinTestData.rightRows(2500, 13);
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        JoinTestData.load(duckdb, "l", LEFT_SQL_COLUMNS, left);
        JoinTestData.load(duckdb, "r", RIGHT_SQL_COLUMNS, right);
        rightWithoutNullKeys = right.stream().filter(row -> row.get(1) != null && row.get(3) != null).toList();
        JoinTestData.load(duckdb, "r_without_null_keys", RIGHT_SQL_COLUMNS, rightWithoutNullKeys);
        JoinTestData.load(duckdb, "l_empty", LEFT_SQL_COLUMNS, List.of());
        JoinTestData.load(duckdb, "r_empty", RIGHT_SQL_COLUMNS, List.of());
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

    static Stream<Arguments> everyJoin() {
        List<Arguments> cases = new ArrayList<>();
        for (Object[] typeAndSide : JoinTestData.typesAndSides()) {
            for (Keys keys : Keys.values()) {
                if (typeAndSide[0] == JoinType.NULL_AWARE_ANTI_SEMI && keys.left.size() > 1) {
                    continue; // NOT IN takes one key
                }
                for (boolean withCondition : List.of(false, true)) {
                    cases.add(Arguments.of(typeAndSide[0], typeAndSide[1], keys, withCondition));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} keys {2} other condition {3}")
    @MethodSource("everyJoin")
    void sameRowsAsDuckDb(JoinType type, BuildSide side, Keys keys, boolean withCondition) throws SQLException {
        List<List<Object>> ours;
        try (TestingJoin join = TestingJoin.builder(allocator)
                .left(LEFT_COLUMNS, left).right(RIGHT_COLUMNS, right)
                .type(type, side).keys(keys.leftExprs(), keys.rightExprs())
                .condition(withCondition ? CONDITION : null)
                .batchRows(BATCH_ROWS)
                .build()) {
            ours = join.run();
        }
        String sql = JoinTestData.sql(type, keys, withCondition, "l", "r");
        List<List<Object>> theirs = JoinTestData.query(duckdb, sql);

        assertThat(JoinTestData.multisetDifference(ours, theirs)).as(sql).isNull();
        if (type == JoinType.NULL_AWARE_ANTI_SEMI && !withCondition) {
            // The right side has NULL keys, so NOT IN keeps nothing: see notInKeepsRowsWhenTheRightHasNoNullKey.
            assertThat(theirs).as(sql).isEmpty();
            return;
        }
        assertThat(theirs).as("a join that returns nothing checks little: %s", sql).isNotEmpty();
        int columns = type == JoinType.INNER || type == JoinType.LEFT_OUTER || type == JoinType.RIGHT_OUTER ? 14 : 7;
        assertThat(ours.getFirst()).hasSize(columns);
    }

    static Stream<Arguments> singleKeysAndSides() {
        List<Arguments> cases = new ArrayList<>();
        for (Keys keys : List.of(Keys.INT64, Keys.DECIMAL)) {
            for (BuildSide side : BuildSide.values()) {
                if (side != BuildSide.UNRECOGNIZED) {
                    cases.add(Arguments.of(keys, side));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "keys {0} {1}")
    @MethodSource("singleKeysAndSides")
    void notInKeepsRowsWhenTheRightHasNoNullKey(Keys keys, BuildSide side) throws SQLException {
        List<List<Object>> ours;
        try (TestingJoin join = TestingJoin.builder(allocator)
                .left(LEFT_COLUMNS, left).right(RIGHT_COLUMNS, rightWithoutNullKeys)
                .type(JoinType.NULL_AWARE_ANTI_SEMI, side).keys(keys.leftExprs(), keys.rightExprs())
                .batchRows(BATCH_ROWS)
                .build()) {
            ours = join.run();
        }
        String sql = JoinTestData.sql(JoinType.NULL_AWARE_ANTI_SEMI, keys, false, "l", "r_without_null_keys");
        List<List<Object>> theirs = JoinTestData.query(duckdb, sql);

        assertThat(JoinTestData.multisetDifference(ours, theirs)).as(sql).isNull();
        assertThat(theirs).as(sql).isNotEmpty();
        // A NULL left key compares unknown with every right key: such rows are never kept.
        assertThat(ours).allSatisfy(row -> assertThat(row.get(keys == Keys.INT64 ? 1 : 3)).isNotNull());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.mppnode.exec.operator.join.JoinTestData#typesAndSides")
    void emptyBuildSide(JoinType type, BuildSide side) throws SQLException {
        boolean buildRight = side == BuildSide.BUILD_RIGHT;
        assertSameAsDuckDbWith(type, side, buildRight ? left : List.of(), buildRight ? List.of() : right,
                buildRight ? "l" : "l_empty", buildRight ? "r_empty" : "r");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.mppnode.exec.operator.join.JoinTestData#typesAndSides")
    void emptyProbeSide(JoinType type, BuildSide side) throws SQLException {
        boolean buildRight = side == BuildSide.BUILD_RIGHT;
        assertSameAsDuckDbWith(type, side, buildRight ? List.of() : left, buildRight ? right : List.of(),
                buildRight ? "l_empty" : "l", buildRight ? "r" : "r_empty");
    }

    /** The joins whose build rows are decided by every probe's matches, and emitted by the last probe. */
    static Stream<Arguments> buildSideEmittingJoins() {
        List<Arguments> cases = new ArrayList<>();
        List<Object[]> joins = List.of(
                new Object[] {JoinType.RIGHT_OUTER, BuildSide.BUILD_RIGHT},
                new Object[] {JoinType.LEFT_OUTER, BuildSide.BUILD_LEFT},
                new Object[] {JoinType.SEMI, BuildSide.BUILD_LEFT},
                new Object[] {JoinType.ANTI_SEMI, BuildSide.BUILD_LEFT},
                new Object[] {JoinType.NULL_AWARE_ANTI_SEMI, BuildSide.BUILD_LEFT});
        for (Object[] join : joins) {
            for (boolean withCondition : List.of(false, true)) {
                cases.add(Arguments.of(join[0], join[1], withCondition));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} other condition {2}")
    @MethodSource("buildSideEmittingJoins")
    void twoBuildAndTwoProbeInstancesEmitEachBuildRowOnce(JoinType type, BuildSide side, boolean withCondition)
            throws SQLException {
        // For NOT IN without condition, a right side without NULL keys, so that rows come out.
        List<List<Object>> rightRows = type == JoinType.NULL_AWARE_ANTI_SEMI && !withCondition ? rightWithoutNullKeys : right;
        String rightTable = rightRows == right ? "r" : "r_without_null_keys";
        List<List<Object>> ours;
        try (TestingJoin join = TestingJoin.builder(allocator)
                .left(LEFT_COLUMNS, left).right(RIGHT_COLUMNS, rightRows)
                .type(type, side).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .condition(withCondition ? CONDITION : null)
                .instances(2, 2)
                .batchRows(BATCH_ROWS)
                .build()) {
            ours = join.run();
            // Both probes had rows to probe; only one of them emitted the build rows.
            assertThat(join.probeSources).allSatisfy(source -> assertThat(source.batchesProduced()).isPositive());
        }
        String sql = JoinTestData.sql(type, Keys.INT64, withCondition, "l", rightTable);
        List<List<Object>> theirs = JoinTestData.query(duckdb, sql);

        assertThat(JoinTestData.multisetDifference(ours, theirs)).as(sql).isNull();
        assertThat(theirs).as(sql).isNotEmpty();
    }

    @ParameterizedTest(name = "{0} {1} other condition {2}")
    @MethodSource("buildSideEmittingJoins")
    void fourProbesOnTheirOwnThreadsEmitEachBuildRowOnce(JoinType type, BuildSide side, boolean withCondition)
            throws Exception {
        List<List<Object>> rightRows = type == JoinType.NULL_AWARE_ANTI_SEMI && !withCondition ? rightWithoutNullKeys : right;
        String rightTable = rightRows == right ? "r" : "r_without_null_keys";
        ExecutorService executor = Executors.newFixedThreadPool(6);
        List<List<Object>> ours;
        try (TestingJoin join = TestingJoin.builder(allocator)
                .left(LEFT_COLUMNS, left).right(RIGHT_COLUMNS, rightRows)
                .type(type, side).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .condition(withCondition ? CONDITION : null)
                .instances(2, 4)
                .batchRows(300)
                .inputBatchRows(100)
                .build()) {
            ours = join.runOnThreads(executor);
        } finally {
            executor.shutdownNow();
        }
        String sql = JoinTestData.sql(type, Keys.INT64, withCondition, "l", rightTable);
        assertThat(JoinTestData.multisetDifference(ours, JoinTestData.query(duckdb, sql))).as(sql).isNull();
    }

    private void assertSameAsDuckDbWith(JoinType type, BuildSide side, List<List<Object>> leftRows,
            List<List<Object>> rightRows, String leftTable, String rightTable) throws SQLException {
        for (boolean withCondition : List.of(false, true)) {
            List<List<Object>> ours;
            try (TestingJoin join = TestingJoin.builder(allocator)
                    .left(LEFT_COLUMNS, leftRows).right(RIGHT_COLUMNS, rightRows)
                    .type(type, side).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                    .condition(withCondition ? CONDITION : null)
                    .batchRows(BATCH_ROWS)
                    .declareSchemas()
                    .build()) {
                ours = join.run();
            }
            String sql = JoinTestData.sql(type, Keys.INT64, withCondition, leftTable, rightTable);
            assertThat(JoinTestData.multisetDifference(ours, JoinTestData.query(duckdb, sql))).as(sql).isNull();
        }
    }
}
