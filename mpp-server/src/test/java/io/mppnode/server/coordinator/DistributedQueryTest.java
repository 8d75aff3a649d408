package io.mppnode.server.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.plan.PlanJson;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.tpch.TpchGenerator;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.Coprocessor.RegionInfo;
import io.mppnode.proto.Metapb;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingPlans;
import io.mppnode.server.admin.TpchLoad;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A distributed plan (partial aggregation by the scans, hash exchange, final aggregation on
 * every node, a gather and a sort) over TPC-H lineitem sharded in six regions over three real
 * nodes: the coordinator cuts and places it by region, and retries region errors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributedQueryTest {
    private static final double SCALE_FACTOR = 0.01;

    private final List<TestingNode> nodes = new ArrayList<>();
    private List<String> addresses;
    private BufferAllocator allocator;
    private Plan plan;
    private List<List<Object>> expected;

    @BeforeAll
    void startCluster() throws IOException {
        allocator = new RootAllocator();
        for (int i = 0; i < 3; i++) {
            nodes.add(TestingNode.start());
        }
        addresses = nodes.stream().map(TestingNode::address).toList();
        long rows = TpchLoad.load(nodes.getFirst().node().channels(), addresses, SCALE_FACTOR, 2, 120_000, (done, total) -> {});
        assertThat(rows).isGreaterThan(60_000);
        plan = loadPlan("/plans/lineitem-summary.json");
        expected = expectedSummary();
    }

    @AfterAll
    void stopCluster() {
        nodes.forEach(TestingNode::close);
        allocator.close();
    }

    @Test
    void theDataIsShardedByRegionOverEveryNode() {
        for (TestingNode node : nodes) {
            List<Region> regions = node.node().catalog().table(TpchTable.LINEITEM.id()).regions();
            assertThat(regions).hasSize(2);
        }
        assertThat(nodes.stream().mapToLong(node -> node.node().catalog().table(TpchTable.LINEITEM.id()).storedRows()).sum())
                .isEqualTo(expected.stream().mapToLong(row -> (Long) row.get(2)).sum() + rowsShippedAfterTheCutoff);
    }

    @Test
    void placesScansByRegionAndShufflesOverEveryNode() {
        Coordinator coordinator = nodes.getFirst().node().newCoordinator(allocator);
        QueryResult result = coordinator.execute(QuerySpec.of(plan, addresses).withReportExecutionSummary(true));
        assertThat(result.rows()).isEqualTo(expected);
        assertThat(tasksRunning(result, "scan_lineitem")).isEqualTo(3);
        assertThat(tasksRunning(result, "final_agg")).isEqualTo(3);
        assertThat(tasksRunning(result, "sort")).isEqualTo(1);
        long scanned = result.summaries().values().stream().flatMap(List::stream)
                .filter(summary -> summary.getExecutorId().equals("scan_lineitem")).mapToLong(ExecutionSummary::getNumProducedRows).sum();
        assertThat(scanned).isEqualTo(nodes.stream().mapToLong(node -> node.node().catalog().table(TpchTable.LINEITEM.id()).storedRows()).sum());
        long shuffled = result.summaries().values().stream().flatMap(List::stream)
                .filter(summary -> summary.getExecutorId().equals("shuffle_out")).mapToLong(ExecutionSummary::getExchangeBytesSent).sum();
        assertThat(shuffled).as("the hash exchange sends to the other nodes over the network").isPositive();
    }

    @Test
    void aRegionAtANewEpochIsRetried() {
        Coordinator coordinator = nodes.getFirst().node().newCoordinator(allocator);
        assertThat(coordinator.execute(QuerySpec.of(plan, addresses)).rows()).isEqualTo(expected);
        // The region moves on (a split elsewhere, say): the coordinator's view is stale.
        Region region = nodes.get(1).node().catalog().table(TpchTable.LINEITEM.id()).regions().getFirst();
        RegionEpoch before = region.epoch();
        region.setEpoch(new RegionEpoch(before.confVer(), before.version() + 1));
        try {
            assertThat(coordinator.execute(QuerySpec.of(plan, addresses)).rows()).isEqualTo(expected);
            assertThat(coordinator.regionRetries()).isEqualTo(1);
        } finally {
            region.setEpoch(before);
        }
    }

    @Test
    void aNodeAnswersRegionsItLacksInRetryRegions() {
        TestingNode node = nodes.getFirst();
        Region held = node.node().catalog().table(TpchTable.LINEITEM.id()).regions().getFirst();
        var meta = TestingPlans.newQuery(1, node.address());
        Plan scan = TestingPlans.sendTo(TestingPlans.coordinatorOf(meta, node.address()),
                TestingPlans.scan(TpchTable.LINEITEM.id(), List.of("l_orderkey")));
        var request = TestingPlans.dispatch(meta, scan).toBuilder()
                .addRegions(RegionInfo.newBuilder().setRegionId(held.id())
                        .setRegionEpoch(Metapb.RegionEpoch.newBuilder().setConfVer(1).setVersion(1)))
                .addRegions(RegionInfo.newBuilder().setRegionId(424242)
                        .setRegionEpoch(Metapb.RegionEpoch.newBuilder().setConfVer(1).setVersion(1)))
                .build();
        DispatchTaskResponse response = TikvGrpc.newBlockingStub(node.channel()).dispatchMPPTask(request);
        assertThat(response.hasError()).isFalse();
        assertThat(response.getRetryRegionsList()).extracting(Metapb.Region::getId).containsExactly(424242L);
        node.node().tasks().abortAll(new MppException(ErrorCode.QUERY_CANCELLED, "test over"));
    }

    @Test
    void anUnknownTableIsNamed() {
        Plan unknown = PlanJson.fromJson(PlanJson.toJson(plan).replace("\"108\"", "\"999\""));
        Coordinator coordinator = nodes.getFirst().node().newCoordinator(allocator);
        assertThatThrownBy(() -> coordinator.execute(QuerySpec.of(unknown, addresses)))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
                .hasMessageContaining("holds table id 999");
    }

    @Test
    void aNodeThatDoesNotAnswerIsNamed() {
        List<String> withDeadNode = new ArrayList<>(addresses);
        withDeadNode.add("127.0.0.1:1");
        Coordinator coordinator = nodes.getFirst().node().newCoordinator(allocator);
        assertThatThrownBy(() -> coordinator.execute(QuerySpec.of(plan, withDeadNode)))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED))
                .hasMessageContaining("node 127.0.0.1:1 does not answer");
    }

    private static long tasksRunning(QueryResult result, String executorId) {
        return result.summaries().values().stream()
                .filter(summaries -> summaries.stream().anyMatch(summary -> summary.getExecutorId().equals(executorId)))
                .count();
    }

    private static Plan loadPlan(String resource) throws IOException {
        try (InputStream in = DistributedQueryTest.class.getResourceAsStream(resource)) {
            return PlanJson.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Lines shipped after the plan's cutoff, which its summary leaves out (set with {@link #expectedSummary}). */
    private long rowsShippedAfterTheCutoff;

    /** The summary computed from the generator's rows directly: flag, status, count, sum of quantity. */
    private List<List<Object>> expectedSummary() {
        int cutoff = (int) LocalDate.parse("1998-09-02").toEpochDay();
        Map<String, long[]> groups = new TreeMap<>();
        Map<String, BigDecimal> sums = new TreeMap<>();
        long[] after = {0};
        TpchGenerator.generate(TpchTable.LINEITEM, SCALE_FACTOR, 1, 1, 8192, allocator, batch -> {
            try (batch) {
                var root = batch.rows();
                VarCharVector flag = (VarCharVector) root.getVector("l_returnflag");
                VarCharVector status = (VarCharVector) root.getVector("l_linestatus");
                DecimalVector quantity = (DecimalVector) root.getVector("l_quantity");
                DateDayVector shipdate = (DateDayVector) root.getVector("l_shipdate");
                for (int row = 0; row < root.getRowCount(); row++) {
                    if (shipdate.get(row) > cutoff) {
                        after[0]++;
                        continue;
                    }
                    String key = new String(flag.get(row), StandardCharsets.UTF_8) + "|" + new String(status.get(row), StandardCharsets.UTF_8);
                    groups.computeIfAbsent(key, ignored -> new long[1])[0]++;
                    sums.merge(key, quantity.getObject(row), BigDecimal::add);
                }
            }
        });
        rowsShippedAfterTheCutoff = after[0];
        List<List<Object>> rows = new ArrayList<>();
        groups.forEach((key, count) -> rows.add(List.of(key.split("\\|")[0], key.split("\\|")[1], count[0], sums.get(key))));
        return rows;
    }
}
