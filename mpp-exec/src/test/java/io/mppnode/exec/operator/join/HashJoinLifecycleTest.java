package io.mppnode.exec.operator.join;

import static io.mppnode.exec.operator.join.JoinTestData.LEFT_COLUMNS;
import static io.mppnode.exec.operator.join.JoinTestData.RIGHT_COLUMNS;
import static io.mppnode.exec.operator.join.TestingJoin.EXECUTOR;
import static io.mppnode.exec.operator.join.TestingJoin.SLICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.join.JoinTestData.Keys;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.JoinType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A join's life beyond its results: memory limits, a blow-up that streams, cancellation in the
 * middle of the build or of the probe, a table that does not fit, and what the operators refuse.
 * Every test ends with the root allocator closing cleanly: a leak fails it.
 */
class HashJoinLifecycleTest {
    private static final long MIB = 1024 * 1024;

    private RootAllocator root;
    private BufferAllocator task;

    @BeforeEach
    void setUp() {
        root = new RootAllocator();
        task = root.newChildAllocator("task", 0, Long.MAX_VALUE);
    }

    @AfterEach
    void tearDown() {
        task.close();
        root.close(); // fails on a leak
    }

    @Test
    void blowUpThatIsKeptFailsWithTheMemoryLimitNamingTheJoinAndLeaksNothing() {
        try (BufferAllocator limited = task.newChildAllocator("limited", 0, 4 * MIB)) {
            TestingJoin join = blowUp(2000, 2000).joinParent(limited).build();
            try {
                // The consumer holds every batch: the join's memory grows until its limit.
                join.sinks.getFirst().keepBatches();
                assertThat(join.probeDrivers.getFirst().process(SLICE)).isNotDone();
                TestingJoin.runInTurn(join.buildDrivers);

                assertThatThrownBy(() -> join.probeDrivers.getFirst().process(SLICE))
                        .isInstanceOfSatisfying(MppException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                        .hasMessageContaining("memory limit exceeded in executor '" + EXECUTOR + "'");
                // It failed part-way, not at once: batches had come out.
                assertThat(join.sinks.getFirst().batches()).isPositive();
            } finally {
                join.close();
            }
            assertThat(limited.getAllocatedMemory()).isZero();
            assertThat(limited.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void blowUpStreamsInBatchesWithinTheLimitWhenConsumed() {
        try (BufferAllocator limited = task.newChildAllocator("limited", 0, 4 * MIB)) {
            try (TestingJoin join = blowUp(2000, 2000).joinParent(limited).build()) {
                join.sinks.getFirst().countOnly();
                join.run();

                // 4 million pairs went through a join whose allocator never held more than 4 MiB.
                assertThat(join.sinks.getFirst().rowCount()).isEqualTo(2000L * 2000);
                assertThat(join.sinks.getFirst().largestBatch()).isEqualTo(1024);
                assertThat(join.joinContext.allocator().getPeakMemoryAllocation()).isLessThan(4 * MIB);
            }
            assertThat(limited.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void cancelMidBuildWakesTheProbeWhichFailsWhenRunAndLeaksNothing() {
        try (TestingJoin join = TestingJoin.builder(task)
                .left(LEFT_COLUMNS, JoinTestData.leftRows(3000, 5)).right(RIGHT_COLUMNS, JoinTestData.rightRows(3000, 6))
                .type(JoinType.RIGHT_OUTER, BuildSide.BUILD_RIGHT).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .instances(2, 1)
                .build()) {
            Driver probe = join.probeDrivers.getFirst();
            CompletableFuture<Void> probeWaits = probe.process(SLICE);
            assertThat(probeWaits).isNotDone();
            // The first build instance finishes (its rows go to the bridge); the second takes two
            // batches, then its source waits for data that never comes.
            assertThat(join.buildDrivers.get(0).process(SLICE)).isDone();
            assertThat(join.buildDrivers.get(0).isFinished()).isTrue();
            join.buildSources.get(1).blockAfter(2, new CompletableFuture<>());
            assertThat(join.buildDrivers.get(1).process(SLICE)).isNotDone();
            assertThat(join.buildSources.get(1).batchesProduced()).isEqualTo(2);
            assertThat(probeWaits).isNotDone();

            join.buildDrivers.get(1).close(); // the task is cancelled

            assertThat(probeWaits).isDone();
            assertThatThrownBy(() -> probe.process(SLICE))
                    .isInstanceOfSatisfying(MppException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.QUERY_CANCELLED))
                    .hasMessageStartingWith("executor '" + EXECUTOR + "': ")
                    .hasMessageContaining("build side of the join stopped before it finished");
            assertThat(join.sinks.getFirst().batches()).isZero();
        }
    }

    @Test
    void closingTheBridgeWakesWaitingProbesAndFreesWhatTheBuildHandedOver() {
        try (TestingJoin join = TestingJoin.builder(task)
                .left(LEFT_COLUMNS, JoinTestData.leftRows(1000, 5)).right(RIGHT_COLUMNS, JoinTestData.rightRows(1000, 6))
                .type(JoinType.INNER, BuildSide.BUILD_RIGHT).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .instances(2, 1)
                .build()) {
            CompletableFuture<Void> probeWaits = join.probeDrivers.getFirst().process(SLICE);
            join.buildDrivers.get(0).process(SLICE);
            long heldByTheBridge = join.joinContext.allocator().getAllocatedMemory();

            join.bridge.close();
            join.bridge.close();

            assertThat(probeWaits).isDone();
            assertThat(join.joinContext.allocator().getAllocatedMemory()).isLessThan(heldByTheBridge);
            assertThatThrownBy(() -> join.probeDrivers.getFirst().process(SLICE))
                    .isInstanceOf(MppException.class)
                    .hasMessageContaining("closed before its build side finished");
        }
    }

    @Test
    void closeMidProbeWhileACursorIsInsideABlowUpLeaksNothing() {
        TestingJoin join = blowUp(1500, 1500).build();
        TestingCollectingSink sink = join.sinks.getFirst();
        sink.stopAfter(3);
        assertThat(join.probeDrivers.getFirst().process(SLICE)).isNotDone();
        TestingJoin.runInTurn(join.buildDrivers);

        assertThat(join.probeDrivers.getFirst().process(SLICE)).isNotDone();

        assertThat(sink.batches()).isEqualTo(3);
        join.close(); // @AfterEach checks that nothing leaked
        assertThat(task.getAllocatedMemory()).isZero();
    }

    @Test
    void tableThatDoesNotFitFailsTheBuildAndThenTheProbeWithTheMemoryLimit() {
        // About 1 MiB of build rows fit; the table's copy of them does not.
        List<List<Object>> wide = new ArrayList<>();
        for (long id = 0; id < 4000; id++) {
            wide.add(Arrays.asList(id, id % 100, "x".repeat(200), BigDecimal.ONE.setScale(2), 1, 0.5, null));
        }
        try (BufferAllocator limited = task.newChildAllocator("limited", 0, 3 * MIB / 2)) {
            TestingJoin join = TestingJoin.builder(task)
                    .left(LEFT_COLUMNS, JoinTestData.leftRows(100, 5)).right(RIGHT_COLUMNS, wide)
                    .type(JoinType.INNER, BuildSide.BUILD_RIGHT).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                    .inputBatchRows(1000)
                    .joinParent(limited)
                    .build();
            try {
                CompletableFuture<Void> probeWaits = join.probeDrivers.getFirst().process(SLICE);

                assertThatThrownBy(() -> join.buildDrivers.getFirst().process(SLICE))
                        .isInstanceOfSatisfying(MppException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                        .hasMessageContaining("'" + EXECUTOR + "'");
                assertThat(join.buildSources.getFirst().batchesProduced()).isEqualTo(4);

                assertThat(probeWaits).isDone();
                assertThatThrownBy(() -> join.probeDrivers.getFirst().process(SLICE))
                        .isInstanceOfSatisfying(MppException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                        .hasMessageStartingWith("executor '" + EXECUTOR + "': building the join's hash table failed");
            } finally {
                join.close();
            }
            assertThat(limited.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void outerJoinWithAnEmptyInnerSideNeedsTheColumnsGivenToTheBridge() {
        try (TestingJoin join = TestingJoin.builder(task)
                .left(LEFT_COLUMNS, JoinTestData.leftRows(10, 5)).right(RIGHT_COLUMNS, List.of())
                .type(JoinType.LEFT_OUTER, BuildSide.BUILD_RIGHT).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .build()) {
            assertThatThrownBy(join::run)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("executor '" + EXECUTOR + "': the join's build side produced no batch, so the types of"
                            + " its columns are unknown; give them to the JoinBridge");
        }
    }

    @Test
    void innerJoinWithAnEmptyBuildSideNeedsNoColumns() {
        try (TestingJoin join = TestingJoin.builder(task)
                .left(LEFT_COLUMNS, JoinTestData.leftRows(10, 5)).right(RIGHT_COLUMNS, List.of())
                .type(JoinType.INNER, BuildSide.BUILD_RIGHT).keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .build()) {
            assertThat(join.run()).isEmpty();
        }
    }

    @Test
    void nullAwareAntiJoinRefusesMoreThanOneKey() {
        try (OperatorContext context = new OperatorContext(EXECUTOR, task); JoinBridge bridge = new JoinBridge(1, 1)) {
            List<VectorExpr> twoKeys = compile(Keys.STRING_AND_INT64);
            assertThatThrownBy(() -> new LookupJoinOperator(context, bridge, JoinType.NULL_AWARE_ANTI_SEMI,
                    BuildSide.BUILD_RIGHT, twoKeys, null, 1024))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("executor '" + EXECUTOR + "': a null-aware anti semi join (NOT IN) takes one key, got 2");
        }
    }

    @Test
    void bridgeRefusesMoreOperatorsThanDeclared() {
        try (OperatorContext context = new OperatorContext(EXECUTOR, task); JoinBridge bridge = new JoinBridge(1, 1)) {
            List<VectorExpr> keys = compile(Keys.INT64);
            try (HashBuildOperator build = new HashBuildOperator(context, keys, bridge);
                    LookupJoinOperator probe = new LookupJoinOperator(context, bridge, JoinType.INNER,
                            BuildSide.BUILD_RIGHT, keys, null, 1024)) {
                assertThatThrownBy(() -> new HashBuildOperator(context, keys, bridge))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("the join bridge expects 1 build operators, not more");
                assertThatThrownBy(() -> new LookupJoinOperator(context, bridge, JoinType.INNER,
                        BuildSide.BUILD_RIGHT, keys, null, 1024))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("the join bridge expects 1 probe operators, not more");
                assertThat(build.isFinished()).isFalse();
                assertThat(probe.isBlocked()).isNotDone();
            }
        }
    }

    /** Both sides all key 1: every left row joins every right row. */
    private TestingJoin.Builder blowUp(int leftRows, int rightRows) {
        return TestingJoin.builder(task)
                .left(LEFT_COLUMNS, sameKey(leftRows, 0))
                .right(RIGHT_COLUMNS, sameKey(rightRows, 1_000_000))
                .type(JoinType.INNER, BuildSide.BUILD_RIGHT)
                .keys(Keys.INT64.leftExprs(), Keys.INT64.rightExprs())
                .batchRows(1024);
    }

    private static List<List<Object>> sameKey(int count, long firstId) {
        List<List<Object>> rows = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            rows.add(Arrays.asList(firstId + i, 1L, "k" + i % 10, BigDecimal.valueOf(i, 2), (int) i % 100, null, null));
        }
        return rows;
    }

    private static List<VectorExpr> compile(Keys keys) {
        ExprBinder binder = new ExprBinder(EXECUTOR, LEFT_COLUMNS);
        ExprCompiler compiler = new ExprCompiler(EXECUTOR);
        return keys.leftExprs().stream().map(expr -> compiler.compile(binder.bind(expr))).toList();
    }
}
