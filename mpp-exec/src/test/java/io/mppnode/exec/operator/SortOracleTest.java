package io.mppnode.exec.operator;

import static io.mppnode.exec.operator.TestingOperators.project;
import static io.mppnode.exec.operator.TestingSortTable.column;
import static io.mppnode.exec.operator.TestingSortTable.key;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.TypeKind;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sort against DuckDB's ORDER BY on the same random rows (see {@link TestingSortTable}), fed in
 * batches with empty ones between them. With the unique id as the last key the order is total
 * and whole rows must match; without it, rows with equal keys may come in any order, so the key
 * columns must match in order and the rows as a multiset.
 */
class SortOracleTest {
    private static final int ROWS = 5_000;
    private static final int BATCH_ROWS = 700;
    private static final int OUTPUT_BATCH_ROWS = 1_024;

    private static TestingSortTable table;
    private RootAllocator allocator;

    @BeforeAll
    static void loadTable() throws SQLException {
        table = TestingSortTable.load(ROWS, 11);
    }

    @AfterAll
    static void closeTable() throws SQLException {
        table.close();
    }

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close(); // fails on a leak
    }

    @Test
    void everyColumnAloneInEveryOrderWithTheIdAsTiebreak() throws Exception {
        for (ColumnSchema column : TestingSortTable.COLUMNS.subList(1, TestingSortTable.COLUMNS.size())) {
            for (boolean descending : new boolean[] {false, true}) {
                for (boolean nullsFirst : new boolean[] {false, true}) {
                    List<SortKey> keys = List.of(new SortKey(column.name(), descending, nullsFirst), new SortKey("id", false, false));
                    assertThat(sort(keys))
                            .as("ORDER BY %s", orderBy(keys))
                            .isEqualTo(table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys)));
                }
            }
        }
    }

    @Test
    void oneKeyWithoutTiebreakGivesTheKeysInOrderAndEveryRow() throws Exception {
        for (String name : List.of("s", "c", "q")) {
            List<SortKey> keys = List.of(new SortKey(name, true, true));
            assertKeysInOrderAndSameRows(keys, sort(keys));
        }
    }

    @Test
    void twoKeysMixedWithoutTiebreak() throws Exception {
        List<SortKey> keys = List.of(new SortKey("f", true, false), new SortKey("a", false, true));
        assertKeysInOrderAndSameRows(keys, sort(keys));
        List<SortKey> others = List.of(new SortKey("d", false, false), new SortKey("s", true, true));
        assertKeysInOrderAndSameRows(others, sort(others));
    }

    @Test
    void threeKeysMixedWithTiebreak() throws Exception {
        List<SortKey> keys = List.of(new SortKey("s", false, true), new SortKey("b", true, true),
                new SortKey("c", false, false), new SortKey("id", true, false));
        assertThat(sort(keys)).isEqualTo(table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys)));
    }

    @Test
    void threeKeysMixedWithoutTiebreak() throws Exception {
        List<SortKey> keys = List.of(new SortKey("p", true, false), new SortKey("ts", false, true),
                new SortKey("q", true, true));
        assertKeysInOrderAndSameRows(keys, sort(keys));
    }

    @Test
    void computedKeyIsEvaluatedPerBatch() throws Exception {
        // ORDER BY a * -3 (DESC NULLS FIRST), id: the key is an expression, not a column.
        Expr product = Expr.newBuilder().setCall(FunctionCall.newBuilder().setName("multiply")
                .addArgs(columnRef("a")).addArgs(int32(-3))).build();
        List<VectorExpr> keys = List.of(key(product), key("id"));
        List<SortOrder> orders = List.of(new SortOrder(true, true), new SortOrder(false, false));
        List<List<Object>> ours = run(keys, orders);
        assertThat(ours).isEqualTo(table.duckDb("SELECT * FROM t ORDER BY a * -3 DESC NULLS FIRST, id"));
    }

    // ----- running both -----

    record SortKey(String column, boolean descending, boolean nullsFirst) {
        String sql() {
            return column + (descending ? " DESC" : " ASC") + (nullsFirst ? " NULLS FIRST" : " NULLS LAST");
        }
    }

    static String orderBy(List<SortKey> keys) {
        return String.join(", ", keys.stream().map(SortKey::sql).toList());
    }

    private List<List<Object>> sort(List<SortKey> keys) {
        return run(keys.stream().map(k -> key(k.column())).toList(),
                keys.stream().map(k -> new SortOrder(k.descending(), k.nullsFirst())).toList());
    }

    private List<List<Object>> run(List<VectorExpr> keys, List<SortOrder> orders) {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, keys, orders, OUTPUT_BATCH_ROWS)) {
            TestingOperators.Output output = TestingOperators.run(sort, table.batches(allocator, BATCH_ROWS));
            assertThat(output.batchSizes()).allMatch(size -> size > 0 && size <= OUTPUT_BATCH_ROWS);
            assertThat(output.batchSizes()).hasSize((ROWS + OUTPUT_BATCH_ROWS - 1) / OUTPUT_BATCH_ROWS);
            return output.rows();
        }
    }

    private static void assertKeysInOrderAndSameRows(List<SortKey> keys, List<List<Object>> ours) throws SQLException {
        int[] keyColumns = keys.stream().mapToInt(k -> column(k.column())).toArray();
        List<List<Object>> theirs = table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys));
        assertThat(project(ours, keyColumns)).as("keys of ORDER BY %s", orderBy(keys)).isEqualTo(project(theirs, keyColumns));
        assertThat(byId(ours)).as("rows of ORDER BY %s", orderBy(keys)).isEqualTo(byId(theirs));
    }

    private static List<List<Object>> byId(List<List<Object>> rows) {
        List<List<Object>> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(row -> (Long) row.get(0)));
        return sorted;
    }

    private static Expr columnRef(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    private static Expr int32(int value) {
        DataType type = io.mppnode.exec.type.ColumnTypes.of(TypeKind.INT32);
        return Expr.newBuilder().setLiteral(Literal.newBuilder().setType(type).setInt64Value(value)).build();
    }
}
