package io.mppnode.exec.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Limit against DuckDB's LIMIT n OFFSET m over the rows in the order they were inserted (and fed
 * to the operator, in batches of 700 with empty batches between): limits and offsets landing
 * mid-batch, exactly on a batch edge, at the end of the input and beyond it.
 */
class LimitOracleTest {
    private static final int ROWS = 3_000;
    private static final int BATCH_ROWS = 700;

    private static TestingSortTable table;
    private RootAllocator allocator;

    @BeforeAll
    static void loadTable() throws SQLException {
        table = TestingSortTable.load(ROWS, 31);
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
    void limitAndOffsetAgreeWithDuckDb() throws Exception {
        long[][] cases = {
            {0, 0}, {0, 100}, {1, 0}, {10, 0}, {650, 0}, {700, 0}, {1_400, 0}, {701, 0},
            {100, 650}, {700, 700}, {50, 699}, {3, 1_399}, {1_000, 1_000},
            {ROWS, 0}, {ROWS + 100, 0}, {5, ROWS - 3}, {10, ROWS}, {10, ROWS + 5}, {ROWS, 1},
        };
        for (long[] limitOffset : cases) {
            long limit = limitOffset[0];
            long offset = limitOffset[1];
            assertThat(limit(limit, offset))
                    .as("LIMIT %d OFFSET %d", limit, offset)
                    .isEqualTo(table.duckDb("SELECT * FROM t ORDER BY rowid LIMIT " + limit + " OFFSET " + offset));
        }
    }

    private List<List<Object>> limit(long limit, long offset) {
        try (OperatorContext context = new OperatorContext("limit_1", allocator);
                LimitOperator operator = new LimitOperator(context, limit, offset)) {
            TestingOperators.Output output = TestingOperators.run(operator, table.batches(allocator, BATCH_ROWS));
            assertThat(output.batchSizes()).allMatch(size -> size > 0 && size <= BATCH_ROWS);
            return output.rows();
        }
    }
}
