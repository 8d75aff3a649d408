package io.mppnode.exec.operator;

import static io.mppnode.exec.operator.TestingNumberBatches.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.Expr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SortOperatorTest {
    private static final long SLICE = TimeUnit.MINUTES.toNanos(1);
    private static final List<SortOrder> ASCENDING = List.of(new SortOrder(false, true));

    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close(); // fails on a leak
    }

    @Test
    void doublesSortWithNaNAboveInfinityAndEqualKeysKeepTheirInputOrder() {
        // id: c = 0: 1.5, 1: NaN, 2: NULL, 3: -inf, 4: +inf, 5: -2.0, 6: 0.0, 7: -0.0 (equal to 0.0)
        Double[] values = {1.5, Double.NaN, null, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -2.0, 0.0, -0.0};
        List<List<Object>> rows = new ArrayList<>();
        for (int id = 0; id < values.length; id++) {
            Object[] row = new Object[TestingSortTable.COLUMNS.size()];
            row[0] = (long) id;
            row[TestingSortTable.column("c")] = values[id];
            rows.add(Arrays.asList(row));
        }
        assertThat(sortIds(rows, "c", new SortOrder(false, false))).containsExactly(3L, 5L, 6L, 7L, 0L, 4L, 1L, 2L);
        assertThat(sortIds(rows, "c", new SortOrder(true, true))).containsExactly(2L, 1L, 4L, 0L, 6L, 7L, 5L, 3L);
    }

    private List<Object> sortIds(List<List<Object>> rows, String column, SortOrder order) {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(TestingSortTable.key(column)), List.of(order), 3)) {
            List<VectorSchemaRoot> batches = new ArrayList<>();
            batches.add(TestingSortTable.batch(allocator, rows.subList(0, 5)));
            batches.add(TestingSortTable.batch(allocator, rows.subList(5, rows.size())));
            TestingOperators.Output output = TestingOperators.run(sort, batches);
            assertThat(output.batchSizes()).containsExactly(3, 3, 2);
            return output.rows().stream().map(row -> row.get(0)).toList();
        }
    }

    @Test
    void equalKeysKeepTheirInputOrderAcrossMergedRuns() throws Exception {
        // A stable sort: among the many rows with equal f, ids come in input order.
        try (TestingSortTable table = TestingSortTable.load(3_000, 5);
                OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(TestingSortTable.key("f")),
                        List.of(new SortOrder(true, false)), 1_000)) {
            int f = TestingSortTable.column("f");
            List<List<Object>> expected = new ArrayList<>(table.rows());
            expected.sort(Comparator.comparing(row -> (Boolean) row.get(f), Comparator.nullsLast(Comparator.reverseOrder())));

            assertThat(TestingOperators.run(sort, table.batches(allocator, 700)).rows()).isEqualTo(expected);
        }
    }

    @Test
    void noInputGivesNoOutput() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(key("n")), ASCENDING, 100)) {
            assertThat(sort.isFinished()).isFalse();
            assertThat(TestingOperators.run(sort, new ArrayList<>()).rows()).isEmpty();
            assertThat(sort.isFinished()).isTrue();
        }
    }

    @Test
    void onlyEmptyBatchesGiveNoOutput() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(key("n")), ASCENDING, 100)) {
            List<VectorSchemaRoot> batches = new ArrayList<>(List.of(
                    TestingNumberBatches.range(allocator, 0, 0), TestingNumberBatches.range(allocator, 0, 0)));
            assertThat(TestingOperators.run(sort, batches).rows()).isEmpty();
            assertThat(sort.isFinished()).isTrue();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void emitsBatchesOfAtMostBatchRowsAndFreesTheInputAfterTheLast() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(key("n")), List.of(new SortOrder(true, false)), 1_000)) {
            for (int batch = 0; batch < 5; batch++) {
                sort.addInput(TestingNumberBatches.range(allocator, batch * 500L, 500));
                assertThat(sort.getOutput()).isNull();
            }
            sort.finish();
            List<Long> values = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            while (!sort.isFinished()) {
                assertThat(context.allocator().getAllocatedMemory()).isPositive();
                try (VectorSchemaRoot output = sort.getOutput()) {
                    sizes.add(output.getRowCount());
                    values.addAll(TestingOperators.project(io.mppnode.exec.type.ArrowValues.rows(output), 0)
                            .stream().map(row -> (Long) row.get(0)).toList());
                }
            }
            assertThat(sizes).containsExactly(1_000, 1_000, 500);
            assertThat(values).isEqualTo(TestingNumberBatches.range(0, 2_500).reversed());
            // The buffered input, the keys and the row numbers are gone with the last batch.
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void keysAndRowNumbersAreCountedInTheOperatorsAllocator() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator);
                SortOperator sort = new SortOperator(context, List.of(key("n")), ASCENDING, 1_000)) {
            VectorSchemaRoot batch = TestingNumberBatches.range(allocator, 0, 10_000);
            long inputBytes = bytes(batch);
            sort.addInput(batch);
            // The input moved in, and one 8-byte key per row (heap memory) is counted with it.
            assertThat(context.allocator().getAllocatedMemory()).isGreaterThanOrEqualTo(inputBytes + 8L * 10_000);

            sort.finish();
            // Sorting counted 4-byte row numbers and a scratch half as long on top of that.
            assertThat(context.allocator().getPeakMemoryAllocation()).isGreaterThanOrEqualTo(inputBytes + 14L * 10_000);
            sort.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void bufferingBeyondTheMemoryLimitFailsAndLeaksNothing() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator)) {
            SortOperator sort = new SortOperator(context, List.of(key("s"), key("n")), List.of(new SortOrder(false, true),
                    new SortOrder(true, true)), 1_000);
            sort.addInput(TestingNumberBatches.range(allocator, 0, 1_000));
            context.allocator().setLimit(context.allocator().getAllocatedMemory() + 1_000);
            VectorSchemaRoot tooMuch = TestingNumberBatches.range(allocator, 1_000, 1_000);

            assertThatThrownBy(() -> sort.addInput(tooMuch))
                    .isInstanceOf(OutOfMemoryException.class)
                    .hasMessageContaining("'sort_1'");

            sort.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void sortingBeyondTheMemoryLimitFailsAndLeaksNothing() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator)) {
            SortOperator sort = new SortOperator(context, List.of(key("n")), ASCENDING, 1_000);
            sort.addInput(TestingNumberBatches.range(allocator, 0, 10_000));
            sort.addInput(TestingNumberBatches.range(allocator, 10_000, 10_000));
            // Room for the input and its keys, not for the row numbers.
            context.allocator().setLimit(context.allocator().getAllocatedMemory() + 1_000);

            assertThatThrownBy(sort::finish).isInstanceOf(OutOfMemoryException.class);
            assertThat(sort.isFinished()).isFalse();

            sort.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void closeWhileBufferingOrMidOutputFreesEverything() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator)) {
            SortOperator buffering = new SortOperator(context, List.of(key("s")), ASCENDING, 100);
            buffering.addInput(TestingNumberBatches.range(allocator, 0, 300));
            buffering.addInput(TestingNumberBatches.range(allocator, 300, 300));
            assertThat(context.allocator().getAllocatedMemory()).isPositive();
            buffering.close();
            buffering.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
            assertThat(buffering.isFinished()).isTrue();
            VectorSchemaRoot late = TestingNumberBatches.range(allocator, 0, 10);
            assertThatThrownBy(() -> buffering.addInput(late)).isInstanceOf(IllegalStateException.class);

            SortOperator emitting = new SortOperator(context, List.of(key("s")), ASCENDING, 100);
            emitting.addInput(TestingNumberBatches.range(allocator, 0, 300));
            emitting.addInput(TestingNumberBatches.range(allocator, 300, 300));
            emitting.finish();
            emitting.getOutput().close();
            emitting.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
            assertThat(emitting.getOutput()).isNull();
        }
    }

    @Test
    void overTheMemoryLimitInADriverIsMemoryLimitExceededNamingTheSort() {
        try (Table table = TestingTables.orders(allocator, 3_000)) {
            long tableBytes = allocator.getAllocatedMemory();
            OperatorContext scanContext = new OperatorContext("table_scan_0", allocator);
            OperatorContext sortContext = new OperatorContext("sort_1", allocator);
            sortContext.allocator().setLimit(64 * 1024);
            TableScanOperator scan = new TableScanOperator(scanContext, table, TestingTables.ORDERS_COLUMNS, 256);
            SortOperator sort = new SortOperator(sortContext, List.of(ordersKey(table, "customer")), ASCENDING, 256);
            TestingRowSink sink = new TestingRowSink(new OperatorContext("exchange_sender_2", allocator));
            Driver driver = new Driver(List.of(scan, sort, sink));

            assertThatThrownBy(() -> driver.process(SLICE))
                    .isInstanceOfSatisfying(MppException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                    .hasMessageContaining("memory limit exceeded in executor 'sort_1'");
            assertThat(sink.rows()).isEmpty();

            driver.close();
            assertThat(allocator.getAllocatedMemory()).isEqualTo(tableBytes);
        }
    }

    @Test
    void inADriverSortThenLimitGivesTheFirstRows() {
        try (Table table = TestingTables.orders(allocator, 1_000)) {
            TableScanOperator scan = new TableScanOperator(new OperatorContext("table_scan_0", allocator), table,
                    TestingTables.ORDERS_COLUMNS, 128);
            // ORDER BY quantity DESC NULLS LAST, order_id LIMIT 10 OFFSET 5
            SortOperator sort = new SortOperator(new OperatorContext("sort_1", allocator),
                    List.of(ordersKey(table, "quantity"), ordersKey(table, "order_id")),
                    List.of(new SortOrder(true, false), new SortOrder(false, true)), 64);
            LimitOperator limit = new LimitOperator(new OperatorContext("limit_2", allocator), 10, 5);
            TestingRowSink sink = new TestingRowSink(new OperatorContext("exchange_sender_3", allocator));
            try (Driver driver = new Driver(List.of(scan, sort, limit, sink))) {
                assertThat(driver.process(SLICE)).isDone();
                assertThat(driver.isFinished()).isTrue();

                List<List<Object>> expected = TestingTables.expectedOrders(0, 1_000, TestingTables.ORDERS_COLUMNS);
                expected.sort(Comparator.<List<Object>, Integer>comparing(row -> (Integer) row.get(1),
                                Comparator.nullsLast(Comparator.reverseOrder()))
                        .thenComparing(row -> (Long) row.get(0)));
                assertThat(sink.rows()).isEqualTo(expected.subList(5, 15));
            }
        }
    }

    @Test
    void refusesMismatchedKeysAndOrders() {
        try (OperatorContext context = new OperatorContext("sort_1", allocator)) {
            assertThatThrownBy(() -> new SortOperator(context, List.of(key("n")), List.of(), 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("1 sort keys with 0 orders");
            assertThatThrownBy(() -> new SortOperator(context, List.of(), List.of(), 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("a sort needs at least one key");
            assertThatThrownBy(() -> new SortOperator(context, List.of(key("n")), ASCENDING, 0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static VectorExpr ordersKey(Table table, String column) {
        Expr expr = Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(column)).build();
        return new ExprCompiler("sort_1").compile(new ExprBinder("sort_1", table.columns()).bind(expr));
    }

    private static long bytes(VectorSchemaRoot batch) {
        return batch.getFieldVectors().stream().mapToLong(FieldVector::getBufferSize).sum();
    }
}
