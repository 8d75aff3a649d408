package io.mppnode.exec.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The snapshots a plan's table scans take: held by the scans, given back by a plan that fails, refused below the safe point. */
class LocalExecutionPlannerScanTest {
    private static final Plan PLAN = Plan.newBuilder()
            .setConcurrency(2)
            .setRoot(Executor.newBuilder()
                    .setExecutorId("exchange_sender_1")
                    .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                    .addChildren(Executor.newBuilder()
                            .setExecutorId("table_scan_0")
                            .setTableScan(TableScan.newBuilder().setTableId(TestingTables.ORDERS_ID).addColumns("order_id"))))
            .build();

    private BufferAllocator allocator;
    private Catalog catalog;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        catalog = new Catalog();
        catalog.add(TestingTables.orders(allocator, 20_000));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void theScansOfAPlannedTaskHoldTheTableUntilTheyClose() {
        try (BufferAllocator task = allocator.newChildAllocator("task", 0, Long.MAX_VALUE)) {
            Tunnel<?> tunnel = Tunnel.remote("tunnel to task -1", 1 << 20, 1, TunnelListener.NONE);
            TaskPipelines pipelines = new LocalExecutionPlanner().plan(PLAN, context(task, List.of(tunnel), 5));
            long stored = allocator.getAllocatedMemory();

            catalog.dropTable(TestingTables.ORDERS_ID);

            assertThat(allocator.getAllocatedMemory()).as("held by the task's scans").isEqualTo(stored);
            pipelines.close();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void aPlanThatFailsAfterTakingItsSnapshotGivesItBack() {
        try (BufferAllocator task = allocator.newChildAllocator("task", 0, Long.MAX_VALUE)) {
            // No tunnel for the sender: planning fails after the scan's snapshot is taken.
            assertThatThrownBy(() -> new LocalExecutionPlanner().plan(PLAN, context(task, List.of(), 5)))
                    .isInstanceOf(IllegalArgumentException.class);

            catalog.dropTable(TestingTables.ORDERS_ID);

            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void aSnapshotBelowTheSafePointFailsThePlan() {
        catalog.table(TestingTables.ORDERS_ID).compact(10);
        try (BufferAllocator task = allocator.newChildAllocator("task", 0, Long.MAX_VALUE)) {
            Tunnel<?> tunnel = Tunnel.remote("tunnel to task -1", 1 << 20, 1, TunnelListener.NONE);
            assertThatThrownBy(() -> new LocalExecutionPlanner().plan(PLAN, context(task, List.of(tunnel), 5)))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_TOO_OLD))
                    .hasMessageContaining("table 'orders' cannot be read at start_ts 5");
        }
    }

    private ExecutionContext context(BufferAllocator task, List<Tunnel<?>> tunnels, long startTs) {
        return new ExecutionContext(task, catalog, startTs, tunnels, ExchangeReceiverFactory.NONE, 1000, 2);
    }
}
