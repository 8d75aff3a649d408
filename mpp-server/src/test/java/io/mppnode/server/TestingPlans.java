package io.mppnode.server;

import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.server.sample.SampleTables;
import io.mppnode.server.task.MppVersions;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builds TaskMetas, plans and requests the way a coordinator would, for tests that speak the protocol directly. */
public final class TestingPlans {
    private static final AtomicLong QUERY_IDS = new AtomicLong(1000);

    public static final List<String> SAMPLE_COLUMNS = List.of("order_id", "customer", "quantity", "price",
            "discount", "shipped", "order_date", "updated_at");

    private TestingPlans() {}

    /** A TaskMeta of a fresh query (gather 1), for the given task id and address. */
    public static TaskMeta newQuery(long taskId, String address) {
        return TaskMeta.newBuilder()
                .setStartTs(System.currentTimeMillis() << 18)
                .setQueryTs(System.currentTimeMillis())
                .setLocalQueryId(QUERY_IDS.incrementAndGet())
                .setServerId(42)
                .setGatherId(1)
                .setTaskId(taskId)
                .setAddress(address)
                .setMppVersion(MppVersions.CURRENT)
                .build();
    }

    /** The same query and gather, another task. */
    public static TaskMeta sibling(TaskMeta meta, long taskId, String address) {
        return meta.toBuilder().setTaskId(taskId).setAddress(address).build();
    }

    /** The coordinator's TaskMeta (task id -1) of the task's query. */
    public static TaskMeta coordinatorOf(TaskMeta meta, String address) {
        return sibling(meta, -1, address);
    }

    public static Executor scan(long tableId, List<String> columns) {
        return Executor.newBuilder()
                .setExecutorId("table_scan_0")
                .setTableScan(TableScan.newBuilder().setTableId(tableId).addAllColumns(columns))
                .build();
    }

    /** ExchangeSender (pass-through to the receiver) over the child. */
    public static Plan sendTo(TaskMeta receiver, Executor child) {
        return Plan.newBuilder()
                .setRoot(Executor.newBuilder()
                        .setExecutorId("exchange_sender_1")
                        .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH).addReceivers(receiver))
                        .addChildren(child))
                .build();
    }

    /** Scans every column of the sample table and sends it to the receiver. */
    public static Plan sampleScan(TaskMeta receiver) {
        return sendTo(receiver, scan(SampleTables.SAMPLE_ORDERS_ID, SAMPLE_COLUMNS));
    }

    public static DispatchTaskRequest dispatch(TaskMeta meta, Plan plan) {
        return DispatchTaskRequest.newBuilder().setMeta(meta).setEncodedPlan(plan.toByteString()).build();
    }

    public static EstablishMPPConnectionRequest establish(TaskMeta sender, TaskMeta receiver) {
        return EstablishMPPConnectionRequest.newBuilder().setSenderMeta(sender).setReceiverMeta(receiver).build();
    }
}
