package io.mppnode.exec.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.CompressionMode;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanJsonTest {
    @Test
    void roundTripsAPlan() {
        Plan plan = TestingPlans.sendScan(7, List.of("order_id", "price")).toBuilder()
                .setMemoryLimitBytes(1 << 20)
                .setConcurrency(2)
                .build();

        String json = PlanJson.toJson(plan);

        assertThat(json).contains("\"executorId\": \"exchange_sender_1\"", "\"tableScan\"", "\"order_id\"");
        assertThat(PlanJson.fromJson(json)).isEqualTo(plan);
    }

    @Test
    void readsAHandWrittenPlanWithProtoFieldNames() {
        String json = """
                {
                  "root": {
                    "executor_id": "sender",
                    "exchange_sender": {
                      "type": "PASS_THROUGH",
                      "receivers": [{"task_id": -1, "address": "127.0.0.1:3930"}],
                      "compression": "COMPRESSION_NONE"
                    },
                    "children": [
                      {"executor_id": "scan", "table_scan": {"table_id": "7", "columns": ["a", "b"]}}
                    ]
                  },
                  "memory_limit_bytes": "1048576"
                }
                """;

        Plan plan = PlanJson.fromJson(json);

        assertThat(plan.getRoot().getExecutorId()).isEqualTo("sender");
        assertThat(plan.getRoot().getExchangeSender().getType()).isEqualTo(ExchangeType.PASS_THROUGH);
        assertThat(plan.getRoot().getExchangeSender().getCompression()).isEqualTo(CompressionMode.COMPRESSION_NONE);
        assertThat(plan.getRoot().getExchangeSender().getReceivers(0).getTaskId()).isEqualTo(-1);
        assertThat(plan.getRoot().getChildren(0).getTableScan().getTableId()).isEqualTo(7);
        assertThat(plan.getRoot().getChildren(0).getTableScan().getColumnsList()).containsExactly("a", "b");
        assertThat(plan.getMemoryLimitBytes()).isEqualTo(1 << 20);
    }

    @Test
    void refusesMalformedJson() {
        assertThatThrownBy(() -> PlanJson.fromJson("{\"root\": {\"executor_id\": "))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_PLAN))
                .hasMessageStartingWith("the plan is not valid JSON for mppnode.plan.Plan: ");
    }

    @Test
    void refusesUnknownFieldsAndValues() {
        assertThatThrownBy(() -> PlanJson.fromJson("{\"rooot\": {}}"))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_PLAN))
                .hasMessageContaining("rooot");
        assertThatThrownBy(() -> PlanJson.fromJson("{\"root\": {\"exchange_sender\": {\"type\": \"SCATTER\"}}}"))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_PLAN))
                .hasMessageContaining("SCATTER");
    }
}
