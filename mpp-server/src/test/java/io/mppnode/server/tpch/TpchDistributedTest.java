package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.server.TestingNode;
import io.mppnode.server.admin.TpchLoad;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
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
 * All 22 TPC-H plans as distributed plans (the coordinator cuts them at the exchanges and
 * places the fragments by region) on real nodes holding TPC-H in two regions per table per
 * node, against DuckDB on the same rows: at scale factors 0.01 and 0.1, on one node and on
 * three (the nested classes).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TpchDistributedTest {
    private final double scaleFactor;
    private final int nodeCount;

    TpchDistributedTest(double scaleFactor, int nodeCount) {
        this.scaleFactor = scaleFactor;
        this.nodeCount = nodeCount;
    }

    private final List<TestingNode> nodes = new ArrayList<>();
    private List<String> addresses;
    private Connection duckdb;
    private BufferAllocator results;
    private long startTs;

    @BeforeAll
    void setUp() throws SQLException {
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(TestingNode.start(Map.of("sample-tables", "false")));
        }
        addresses = nodes.stream().map(TestingNode::address).toList();
        startTs = load(nodes.getFirst().node(), addresses, scaleFactor);
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        TestingTpch.loadDuckDb(duckdb, scaleFactor);
        results = new RootAllocator();
    }

    /** Loads TPC-H into the nodes, two regions per table per node; returns the start_ts queries read at (0: any). */
    long load(io.mppnode.server.MppNode first, List<String> nodeAddresses, double scale) {
        TpchLoad.load(first.channels(), nodeAddresses, scale, 2, 120_000, (done, total) -> {});
        return 0;
    }

    @AfterAll
    void tearDown() throws SQLException {
        try (Connection closingDuckDb = duckdb; BufferAllocator closingResults = results) {
            nodes.forEach(TestingNode::close);
            if (results != null) {
                assertThat(results.getAllocatedMemory()).as("result memory not released").isZero();
            }
        }
    }

    static IntStream queries() {
        return IntStream.rangeClosed(1, TpchQueries.COUNT);
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void agreesWithDuckDb(int query) throws SQLException {
        QueryResult result = nodes.getFirst().node().newCoordinator(results)
                .execute(QuerySpec.of(TpchQueries.plan(query), addresses).withReportExecutionSummary(true)
                        .withTimeout(java.time.Duration.ofMinutes(5)).withStartTs(startTs));
        TestingTpch.Expected expected = TestingTpch.expected(duckdb, query);
        assertThat(expected.rows()).as("Q%d has rows to compare", query).isNotEmpty();
        TestingTpch.assertSameResult(query, result, expected);
        assertThat(result.summaries().size()).as("Q%d ran as tasks on every node", query).isGreaterThanOrEqualTo(nodes.size());
    }
}
