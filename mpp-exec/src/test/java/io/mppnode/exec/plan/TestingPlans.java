package io.mppnode.exec.plan;

import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import java.util.List;

/** Plans as a coordinator writes them: ExchangeSender (pass-through) over a TableScan. */
final class TestingPlans {
    static final String SENDER_ID = "exchange_sender_1";
    static final String SCAN_ID = "table_scan_0";

    private TestingPlans() {}

    static TaskMeta receiver(long taskId) {
        return TaskMeta.newBuilder().setTaskId(taskId).setStartTs(100).setAddress("10.0.0." + taskId + ":3930").build();
    }

    static Executor scan(long tableId, List<String> columns) {
        return Executor.newBuilder()
                .setExecutorId(SCAN_ID)
                .setTableScan(TableScan.newBuilder().setTableId(tableId).addAllColumns(columns))
                .build();
    }

    static ExchangeSender.Builder passThrough() {
        return ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH).addReceivers(receiver(-1));
    }

    static Executor sender(ExchangeSender.Builder sender, Executor... children) {
        return Executor.newBuilder().setExecutorId(SENDER_ID).setExchangeSender(sender).addAllChildren(List.of(children)).build();
    }

    static Plan plan(Executor root) {
        return Plan.newBuilder().setRoot(root).build();
    }

    static Plan sendScan(long tableId, List<String> columns) {
        return plan(sender(passThrough(), scan(tableId, columns)));
    }
}
