package io.mppnode.exec.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.ExecutionSummary;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DriverTest {
    /** Long enough for any of these pipelines: process returns when the sink finished, not when this passed. */
    private static final long SLICE = TimeUnit.MINUTES.toNanos(1);

    private RootAllocator allocator;
    private BufferAllocator task;

    @BeforeEach
    void createAllocators() {
        allocator = new RootAllocator();
        task = allocator.newChildAllocator("task", 0, Long.MAX_VALUE);
    }

    @AfterEach
    void closeAllocators() {
        task.close();
        allocator.close();
    }

    @Test
    void movesEveryBatchFromSourceToSinkAndFinishesTheSink() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("source", task), 3, 5, 2);
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", task));
        try (Driver driver = new Driver(List.of(source, sink))) {
            assertThat(driver.isFinished()).isFalse();

            assertThat(driver.process(SLICE)).isDone();

            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.values()).containsExactlyElementsOf(LongStream.range(0, 10).boxed().toList());
            assertThat(sink.batchSizes()).containsExactly(3, 5, 2);
            assertThat(sink.finishCalls()).isPositive();
            // Every batch was freed by the sink.
            assertThat(task.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void sourceWithoutBatchesStillFinishesTheSink() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("source", task));
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", task));
        try (Driver driver = new Driver(List.of(source, sink))) {
            assertThat(driver.process(SLICE)).isDone();
            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.values()).isEmpty();
            assertThat(sink.finishCalls()).isPositive();
        }
    }

    @Test
    void returnsABlockedFutureWhileTheSinkIsBlockedAndResumesWhenItCompletes() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("source", task), 2, 2, 2);
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", task));
        sink.blockAfterEachBatch();
        try (Driver driver = new Driver(List.of(source, sink))) {
            CompletableFuture<Void> blocked = driver.process(SLICE);

            assertThat(blocked).isNotDone();
            assertThat(sink.batchSizes()).containsExactly(2);
            // The source is not asked for more while the sink cannot take it.
            assertThat(source.batchesProduced()).isEqualTo(1);
            assertThat(driver.isFinished()).isFalse();

            sink.blocked().complete(null);
            assertThat(blocked).isCompleted();

            blocked = driver.process(SLICE);
            assertThat(blocked).isNotDone();
            assertThat(sink.batchSizes()).containsExactly(2, 2);
            sink.blocked().complete(null);

            blocked = driver.process(SLICE);
            assertThat(sink.batchSizes()).containsExactly(2, 2, 2);
            // The source is done, but the sink is not finished while blocked on its last batch.
            assertThat(blocked).isNotDone();
            assertThat(driver.isFinished()).isFalse();
            sink.blocked().complete(null);

            assertThat(driver.process(SLICE)).isDone();
            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.values()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void returnsTheSourcesFutureWhileTheSourceIsBlocked() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("source", task), 4);
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", task));
        CompletableFuture<Void> dataArrives = new CompletableFuture<>();
        source.blockUntil(dataArrives);
        try (Driver driver = new Driver(List.of(source, sink))) {
            CompletableFuture<Void> blocked = driver.process(SLICE);
            assertThat(blocked).isNotDone();
            assertThat(sink.values()).isEmpty();

            dataArrives.complete(null);
            assertThat(blocked).isCompleted();
            assertThat(driver.process(SLICE)).isDone();
            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.values()).containsExactly(0L, 1L, 2L, 3L);
        }
    }

    @Test
    void summariesCountRowsAndBatchesPerExecutorSinkFirst() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("table_scan_0", task), 100, 50, 7);
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("exchange_sender_1", task));
        try (Driver driver = new Driver(List.of(source, sink))) {
            driver.process(SLICE);

            ExecutionSummaries summaries = driver.summaries();
            assertThat(summaries.getSummariesList()).extracting(ExecutionSummary::getExecutorId)
                    .containsExactly("exchange_sender_1", "table_scan_0");
            ExecutionSummary sender = summaries.getSummaries(0);
            ExecutionSummary scan = summaries.getSummaries(1);
            assertThat(scan.getNumProducedRows()).isEqualTo(157);
            assertThat(scan.getNumIterations()).isEqualTo(3);
            assertThat(scan.getConcurrency()).isEqualTo(1);
            // Each int64 batch needs memory: the scan's peak is at least one batch of 100 rows.
            assertThat(scan.getPeakMemoryBytes()).isGreaterThanOrEqualTo(100 * Long.BYTES);
            // The sink's figures are what it took in.
            assertThat(sender.getNumProducedRows()).isEqualTo(157);
            assertThat(sender.getNumIterations()).isEqualTo(3);
            assertThat(sender.getPeakMemoryBytes()).isZero();
        }
    }

    @Test
    void scanOverTheTasksMemoryLimitFailsNamingTheExecutor() {
        try (Table table = TestingTables.orders(allocator, 3000);
                BufferAllocator limited = allocator.newChildAllocator("small-task", 0, 1024)) {
            OperatorContext scanContext = new OperatorContext("table_scan_0", limited);
            TableScanOperator scan = new TableScanOperator(scanContext, table, TestingTables.ORDERS_COLUMNS, 8192);
            TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("exchange_sender_1", limited));
            Driver driver = new Driver(List.of(scan, sink));

            assertThatThrownBy(() -> driver.process(SLICE))
                    .isInstanceOfSatisfying(MppException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                    .hasMessageContaining("memory limit exceeded")
                    .hasMessageContaining("'table_scan_0'");
            assertThat(sink.values()).isEmpty();

            driver.close();
            assertThat(limited.getAllocatedMemory()).isZero();
            assertThat(limited.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void closeClosesEveryOperatorAndItsAllocatorAndMayBeRepeated() {
        TestingSourceOperator source = new TestingSourceOperator(new OperatorContext("source", task), 3, 3);
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", task));
        sink.blockAfterEachBatch();
        Driver driver = new Driver(List.of(source, sink));
        assertThat(driver.process(SLICE)).isNotDone();
        assertThat(task.getChildAllocators()).hasSize(2);

        driver.close();
        driver.close();

        assertThat(source.isClosed()).isTrue();
        assertThat(sink.isClosed()).isTrue();
        assertThat(task.getChildAllocators()).isEmpty();
        // A closed driver counts as finished: nothing more will run.
        assertThat(driver.isFinished()).isTrue();
    }

    @Test
    void needsASourceAndASink() {
        try (OperatorContext context = new OperatorContext("source", task)) {
            TestingSourceOperator source = new TestingSourceOperator(context, 1);
            assertThatThrownBy(() -> new Driver(List.of(source)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("a driver needs a source and a sink");
        }
    }
}
