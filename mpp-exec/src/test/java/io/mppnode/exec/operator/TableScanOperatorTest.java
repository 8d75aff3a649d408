package io.mppnode.exec.operator;

import static io.mppnode.exec.storage.TestingTables.expectedOrders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TestingBatches;
import io.mppnode.exec.storage.TestingTables;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TableScanOperatorTest {
    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void readsTheColumnsInBatchesOfAtMostBatchRows() {
        List<String> columns = List.of("customer", "order_id", "price", "updated_at");
        try (Table table = TestingTables.orders(allocator, 10);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, columns, 4);
            assertThat(scan.schema().getFields()).extracting(field -> field.getName()).containsExactlyElementsOf(columns);
            assertThat(scan.needsInput()).isFalse();
            assertThat(scan.isBlocked()).isDone();

            List<Integer> sizes = new ArrayList<>();
            List<List<Object>> rows = new ArrayList<>();
            while (!scan.isFinished()) {
                try (VectorSchemaRoot batch = scan.getOutput()) {
                    assertThat(batch.getSchema()).isEqualTo(scan.schema());
                    sizes.add(batch.getRowCount());
                    rows.addAll(TestingBatches.rows(batch));
                }
            }
            assertThat(sizes).containsExactly(4, 4, 2);
            assertThat(rows).isEqualTo(expectedOrders(0, 10, columns));
            assertThat(scan.getOutput()).isNull();
            scan.close();
            // The table is untouched by the scan.
            assertThat(table.storedRows()).isEqualTo(10);
        }
    }

    @Test
    void tableOfExactlyBatchRowsGivesOneBatchAndFinishes() {
        try (Table table = TestingTables.orders(allocator, 8);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, TestingTables.ORDERS_COLUMNS, 8);
            try (VectorSchemaRoot batch = scan.getOutput()) {
                assertThat(TestingBatches.rows(batch)).isEqualTo(expectedOrders(0, 8, TestingTables.ORDERS_COLUMNS));
            }
            assertThat(scan.isFinished()).isTrue();
            assertThat(scan.getOutput()).isNull();
        }
    }

    @Test
    void emptyTableProducesNoBatchAndFinishes() {
        try (Table table = TestingTables.orders(allocator, 0);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("order_id"), 4);
            assertThat(scan.getOutput()).isNull();
            assertThat(scan.isFinished()).isTrue();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void batchesAreCopiesInTheOperatorsAllocatorOwnedByTheCaller() {
        try (Table table = TestingTables.orders(allocator, 100);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("order_id", "customer"), 50);
            VectorSchemaRoot first = scan.getOutput();
            VectorSchemaRoot second = scan.getOutput();
            assertThat(context.allocator().getAllocatedMemory()).isPositive();
            scan.close();
            // Closing the scan does not take the batches away from their owner.
            assertThat(TestingBatches.rows(second)).isEqualTo(expectedOrders(50, 100, List.of("order_id", "customer")));
            first.close();
            second.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void finishStopsTheScanEarly() {
        try (Table table = TestingTables.orders(allocator, 10);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("order_id"), 4);
            scan.getOutput().close();
            scan.finish();
            assertThat(scan.isFinished()).isTrue();
            assertThat(scan.getOutput()).isNull();
        }
    }

    @Test
    void refusesInputAndFreesIt() {
        try (Table table = TestingTables.orders(allocator, 10);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, List.of("order_id"), 4);
            VectorSchemaRoot batch = scan.getOutput();
            assertThatThrownBy(() -> scan.addInput(batch))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("a table scan takes no input");
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void refusesANonPositiveBatchSize() {
        try (Table table = TestingTables.orders(allocator, 1);
                OperatorContext context = new OperatorContext("table_scan_0", allocator)) {
            assertThatThrownBy(() -> new TableScanOperator(context, table, List.of("order_id"), 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("batchRows must be positive: 0");
        }
    }
}
