package io.mppnode.exec.operator;

import static io.mppnode.exec.operator.SortOracleTest.orderBy;
import static io.mppnode.exec.operator.TestingOperators.project;
import static io.mppnode.exec.operator.TestingSortTable.column;
import static io.mppnode.exec.operator.TestingSortTable.key;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.operator.SortOracleTest.SortKey;
import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TopN against DuckDB's ORDER BY ... LIMIT n on the same random rows, for n of 0, 1, fewer than
 * the rows, exactly the rows and more. With the id as the last key whole rows must match;
 * without it, which of the rows tied with the last one are kept is open, so only the key
 * columns must match.
 */
class TopNOracleTest {
    private static final int ROWS = 5_000;
    private static final int BATCH_ROWS = 700;
    private static final int OUTPUT_BATCH_ROWS = 512;
    private static final List<Long> LIMITS = List.of(0L, 1L, 37L, 2_500L, (long) ROWS - 1, (long) ROWS, ROWS + 10L);

    private static TestingSortTable table;
    private RootAllocator allocator;
    private int compactions;

    @BeforeAll
    static void loadTable() throws SQLException {
        table = TestingSortTable.load(ROWS, 23);
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
    void twoKeysWithTiebreakAtEveryLimit() throws Exception {
        List<SortKey> keys = List.of(new SortKey("s", true, false), new SortKey("c", false, true), new SortKey("id", false, true));
        for (long limit : LIMITS) {
            assertThat(topN(keys, limit))
                    .as("ORDER BY %s LIMIT %d", orderBy(keys), limit)
                    .isEqualTo(table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys) + " LIMIT " + limit));
        }
    }

    @Test
    void everyKeyTypeWithTiebreakAtASmallLimitCompactsTheKeptRows() throws Exception {
        for (String name : List.of("a", "b", "c", "f", "s", "d", "ts", "p", "q")) {
            for (boolean descending : new boolean[] {false, true}) {
                List<SortKey> keys = List.of(new SortKey(name, descending, !descending), new SortKey("id", true, false));
                compactions = 0;
                assertThat(topN(keys, 37))
                        .as("ORDER BY %s LIMIT 37", orderBy(keys))
                        .isEqualTo(table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys) + " LIMIT 37"));
                // Rows of later batches got in, so kept batches piled up and were compacted.
                assertThat(compactions).as("compactions for ORDER BY %s", orderBy(keys)).isPositive();
            }
        }
    }

    @Test
    void threeKeysWithoutTiebreakGiveTheKeysInOrder() throws Exception {
        List<SortKey> keys = List.of(new SortKey("f", false, true), new SortKey("d", true, false), new SortKey("a", false, false));
        int[] keyColumns = keys.stream().mapToInt(k -> column(k.column())).toArray();
        for (long limit : LIMITS) {
            List<List<Object>> ours = topN(keys, limit);
            List<List<Object>> theirs = table.duckDb("SELECT * FROM t ORDER BY " + orderBy(keys) + " LIMIT " + limit);
            assertThat(ours).hasSameSizeAs(theirs);
            assertThat(project(ours, keyColumns)).as("keys of LIMIT %d", limit).isEqualTo(project(theirs, keyColumns));
        }
    }

    private List<List<Object>> topN(List<SortKey> keys, long limit) {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator);
                TopNOperator topN = new TopNOperator(context,
                        keys.stream().map(k -> key(k.column())).toList(),
                        keys.stream().map(k -> new SortOrder(k.descending(), k.nullsFirst())).toList(),
                        limit, OUTPUT_BATCH_ROWS)) {
            TestingOperators.Output output = TestingOperators.run(topN, table.batches(allocator, BATCH_ROWS));
            assertThat(output.batchSizes()).allMatch(size -> size > 0 && size <= OUTPUT_BATCH_ROWS);
            compactions += topN.compactions();
            return output.rows();
        }
    }
}
