package io.mppnode.server.coordinator;

import static io.mppnode.server.Conditions.awaitTrue;
import static io.mppnode.server.TestingPlans.SAMPLE_COLUMNS;
import static io.mppnode.server.TestingPlans.scan;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.Executor;
import io.mppnode.server.TestingNode;
import io.mppnode.server.TestingTikvServer;
import io.mppnode.server.sample.SampleTables;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reference coordinator against real nodes on loopback. */
class CoordinatorTest {
    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    static Executor sampleQuery(List<String> columns) {
        return SampleTables.scanAndSend(columns);
    }

    @Test
    void runsAQueryAndReturnsRowsAndInBandSummaries() {
        try (TestingNode node = TestingNode.start()) {
            Coordinator coordinator = node.node().newCoordinator(allocator);
            QueryResult result = coordinator.execute(QuerySpec.of(Fragment.of(sampleQuery(SAMPLE_COLUMNS), List.of(node.address()))));

            assertThat(result.schema().getFields()).extracting(field -> field.getName()).containsExactlyElementsOf(SAMPLE_COLUMNS);
            assertThat(result.rows()).hasSize(5);
            assertThat(result.rows()).extracting(row -> row.get(0)).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(result.rows().get(1).get(3)).isEqualTo(new BigDecimal("45983.16"));
            assertThat(result.summaries()).containsOnlyKeys(1L);
            assertThat(result.summaries().get(1L)).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_1", "table_scan_0");
            assertThat(result.packets()).isGreaterThanOrEqualTo(2);
            assertThat(result.bytes()).isPositive();
            assertThat(result.format()).contains("order_id", "Customer#000000002");
            awaitTrue("the node's registry is empty", () -> node.node().tasks().taskCount() == 0);
            assertThat(node.node().coordinators().size()).isZero();
        }
    }

    @Test
    void aRootFragmentOnTwoNodesMergesBothStreams() {
        try (TestingNode first = TestingNode.start(); TestingNode second = TestingNode.start()) {
            Coordinator coordinator = first.node().newCoordinator(allocator);
            QueryResult result = coordinator.execute(QuerySpec.of(Fragment.of(sampleQuery(List.of("order_id")),
                    List.of(first.address(), second.address()))));
            assertThat(result.rows()).hasSize(10);
            assertThat(result.summaries()).containsOnlyKeys(1L, 2L);
        }
    }

    @Test
    void summariesComeByReportWhenAsked() {
        try (TestingNode node = TestingNode.start()) {
            Coordinator coordinator = node.node().newCoordinator(allocator);
            QueryResult result = coordinator.execute(QuerySpec.of(Fragment.of(sampleQuery(List.of("order_id", "price")), List.of(node.address())))
                    .withReportExecutionSummary(true));
            assertThat(result.rows()).hasSize(5);
            // In-band summaries would be in a packet with data; with report_execution_summary they come by ReportMPPTaskStatus.
            assertThat(result.summaries().get(1L)).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_1", "table_scan_0");
            assertThat(result.summaries().get(1L)).allSatisfy(summary -> assertThat(summary.getNumProducedRows()).isEqualTo(5));
        }
    }

    @Test
    void aDispatchErrorFailsTheQueryNamingTheTaskAndCancelsTheOthers() {
        try (TestingNode node = TestingNode.start(); TestingTikvServer other = new TestingTikvServer()) {
            Coordinator coordinator = node.node().newCoordinator(allocator);
            Executor bad = sampleQuery(List.of("order_id", "no_such_column"));
            assertThatThrownBy(() -> coordinator.execute(QuerySpec.of(Fragment.of(bad, List.of(other.address(), node.address())))))
                    .isInstanceOf(MppException.class)
                    .hasMessageContaining("dispatch of task 2 to " + node.address())
                    .hasMessageContaining("has no column 'no_such_column'");
            // The task the peer accepted is cancelled.
            assertThat(TestingTikvServer.next(other.cancels).getMeta().getGatherId()).isEqualTo(1);
            assertThat(node.node().tasks().taskCount()).isZero();
        }
    }

    @Test
    void aQueryThatDoesNotFinishInTimeIsCancelledEverywhere() {
        try (TestingNode node = TestingNode.start(); TestingTikvServer hanging = new TestingTikvServer()) {
            Coordinator coordinator = node.node().newCoordinator(allocator);
            QuerySpec spec = QuerySpec.of(Fragment.of(sampleQuery(List.of("order_id")), List.of(node.address(), hanging.address())))
                    .withTimeout(Duration.ofMillis(500));
            assertThatThrownBy(() -> coordinator.execute(spec))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT))
                    .hasMessageContaining("did not finish within 500 ms");
            assertThat(TestingTikvServer.next(hanging.cancels).getError().getMsg()).contains("did not finish within 500 ms");
            awaitTrue("the node's task is gone", () -> node.node().tasks().taskCount() == 0);
            assertThat(node.node().coordinators().size()).isZero();
        }
    }

    @Test
    void aThousandQueriesLeaveNoTaskAndNoThreadBehind() {
        try (TestingNode node = TestingNode.start()) {
            Coordinator coordinator = node.node().newCoordinator(allocator);
            QuerySpec spec = QuerySpec.of(Fragment.of(sampleQuery(SAMPLE_COLUMNS), List.of(node.address())));
            for (int i = 0; i < 50; i++) {
                assertThat(coordinator.execute(spec).rows()).hasSize(5);
            }
            int threadsAfterWarmUp = Thread.activeCount();
            for (int i = 0; i < 1000; i++) {
                assertThat(coordinator.execute(spec).rows()).hasSize(5);
            }
            awaitTrue("the registry is empty", () -> node.node().tasks().taskCount() == 0);
            assertThat(node.node().tasks().queryCount()).isZero();
            assertThat(node.node().tasks().waitingConnectionCount()).isZero();
            assertThat(node.node().coordinators().size()).isZero();
            assertThat(Thread.activeCount()).as("threads after 1,000 queries").isLessThanOrEqualTo(threadsAfterWarmUp + 4);
        }
    }
}
