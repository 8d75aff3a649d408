package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.TestingNode;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TPC-H plans of {@link TpchQueries}, each flattened into one fragment (every exchange pair
 * removed, see {@link TestingTpch#flatten}), run through the coordinator on one real node
 * loaded with {@code TpchLoader.loadAll}, against DuckDB on the same rows (see
 * {@link TestingTpch} for how results compare).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TpchOnOneNode {
    private final double scaleFactor;
    private TestingNode node;
    private Connection duckdb;
    private BufferAllocator results;

    TpchOnOneNode(double scaleFactor) {
        this.scaleFactor = scaleFactor;
    }

    /** The queries to run. */
    abstract IntStream queries();

    @BeforeAll
    void setUp() throws SQLException {
        node = TestingNode.start(Map.of("sample-tables", "false"));
        TpchLoader.loadAll(node.node().catalog(), scaleFactor, node.node().allocator());
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        TestingTpch.loadDuckDb(duckdb, scaleFactor);
        results = new RootAllocator();
    }

    @AfterAll
    void tearDown() throws SQLException {
        try (TestingNode closingNode = node; Connection closingDuckDb = duckdb; BufferAllocator closingResults = results) {
            if (results != null) {
                assertThat(results.getAllocatedMemory()).as("result memory not released").isZero();
            }
        }
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void agreesWithDuckDb(int query) throws SQLException {
        Plan plan = TestingTpch.flatten(TpchQueries.plan(query));
        QueryResult result = node.node().newCoordinator(results)
                .execute(QuerySpec.of(Fragment.of(plan.getRoot(), List.of(node.address()))));
        TestingTpch.Expected expected = TestingTpch.expected(duckdb, query);
        assertThat(expected.rows()).as("Q%d has rows to compare", query).isNotEmpty();
        TestingTpch.assertSameResult(query, result, expected);
    }
}
