package io.mppnode.exec.operator;

import static io.mppnode.exec.operator.TestingNumberBatches.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.driver.Driver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TopNOperatorTest {
    private static final long SLICE = TimeUnit.MINUTES.toNanos(1);
    private static final List<SortOrder> ASCENDING = List.of(new SortOrder(false, true));
    private static final int BATCHES = 200;
    private static final int BATCH_ROWS = 1_000;

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
    void memoryStaysBoundedByTheLimitOverALargeShuffledInput() {
        // Distinct values in shuffled order: 7919 is prime to the row count.
        assertBoundedAndRight(row -> row * 7_919 % (BATCHES * BATCH_ROWS));
    }

    @Test
    void memoryStaysBoundedWhenEveryBatchBeatsAllRowsKeptBefore() {
        // Falling values: every batch replaces the whole heap, so every batch is kept, then compacted.
        assertBoundedAndRight(row -> BATCHES * BATCH_ROWS - row);
    }

    private void assertBoundedAndRight(LongUnaryOperator valueOfRow) {
        int limit = 100;
        TestingBatchSource source = new TestingBatchSource(new OperatorContext("source", allocator), BATCHES,
                (index, target) -> {
                    List<Long> values = new ArrayList<>();
                    for (int row = 0; row < BATCH_ROWS; row++) {
                        values.add(valueOfRow.applyAsLong((long) index * BATCH_ROWS + row));
                    }
                    return TestingNumberBatches.batch(target, values);
                });
        OperatorContext context = new OperatorContext("top_n_1", allocator);
        TopNOperator topN = new TopNOperator(context, List.of(key("n")), ASCENDING, limit, 64);
        TestingRowSink sink = new TestingRowSink(new OperatorContext("sink", allocator));
        try (Driver driver = new Driver(List.of(source, topN, sink))) {
            assertThat(driver.process(SLICE)).isDone();

            List<Long> all = new ArrayList<>();
            for (long row = 0; row < (long) BATCHES * BATCH_ROWS; row++) {
                all.add(valueOfRow.applyAsLong(row));
            }
            all.sort(null);
            assertThat(sink.rows()).isEqualTo(TestingNumberBatches.rows(all.subList(0, limit)));
            assertThat(source.batchesProduced()).isEqualTo(BATCHES);
            // A few batches at most, however long the input.
            long peak = context.allocator().getPeakMemoryAllocation();
            assertThat(peak).isLessThan(source.bytesProduced() / 20);
            assertThat(topN.compactions()).isPositive();
        }
    }

    @Test
    void limitZeroIsFinishedAtOnceAndPullsNothing() {
        TestingBatchSource source = new TestingBatchSource(new OperatorContext("source", allocator), 10,
                (index, target) -> TestingNumberBatches.range(target, index * 10L, 10));
        TopNOperator topN = new TopNOperator(new OperatorContext("top_n_1", allocator), List.of(key("n")), ASCENDING, 0, 10);
        assertThat(topN.needsInput()).isFalse();
        assertThat(topN.isFinished()).isTrue();
        TestingRowSink sink = new TestingRowSink(new OperatorContext("sink", allocator));
        try (Driver driver = new Driver(List.of(source, topN, sink))) {
            assertThat(driver.process(SLICE)).isDone();

            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.rows()).isEmpty();
            assertThat(source.batchesProduced()).isZero();
        }
    }

    @Test
    void emptyInputGivesNoOutput() {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator);
                TopNOperator topN = new TopNOperator(context, List.of(key("n")), ASCENDING, 5, 10)) {
            assertThat(TestingOperators.run(topN, new ArrayList<>()).rows()).isEmpty();
            assertThat(topN.isFinished()).isTrue();
        }
        try (OperatorContext context = new OperatorContext("top_n_1", allocator);
                TopNOperator topN = new TopNOperator(context, List.of(key("n")), ASCENDING, 5, 10)) {
            List<VectorSchemaRoot> empty = new ArrayList<>(List.of(
                    TestingNumberBatches.range(allocator, 0, 0), TestingNumberBatches.range(allocator, 0, 0)));
            assertThat(TestingOperators.run(topN, empty).rows()).isEmpty();
            assertThat(topN.isFinished()).isTrue();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void aBatchWithNoRowAmongTheBestIsFreedAtOnce() {
        try (OperatorContext source = new OperatorContext("source", allocator);
                OperatorContext context = new OperatorContext("top_n_1", allocator);
                TopNOperator topN = new TopNOperator(context, List.of(key("n")), ASCENDING, 3, 10)) {
            topN.addInput(TestingNumberBatches.range(allocator, 0, 10));
            long holding = context.allocator().getAllocatedMemory();
            VectorSchemaRoot worse = TestingNumberBatches.range(source.allocator(), 100, 10);
            long worseBytes = source.allocator().getAllocatedMemory();

            topN.addInput(worse);

            // Its buffers are gone (the key arrays may have grown a little for its rows).
            assertThat(context.allocator().getAllocatedMemory()).isLessThan(holding + worseBytes);
            assertThat(TestingOperators.run(topN, new ArrayList<>()).rows())
                    .isEqualTo(TestingNumberBatches.rows(TestingNumberBatches.range(0, 3)));
        }
    }

    @Test
    void stringKeysDescendingWithNullsAcrossBatches() {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator);
                TopNOperator topN = new TopNOperator(context, List.of(key("s"), key("n")),
                        List.of(new SortOrder(true, true), new SortOrder(false, true)), 4, 3)) {
            List<VectorSchemaRoot> batches = new ArrayList<>();
            // s is NULL where n % 7 == 3: n = 3, 10, 17, ... come first, then "row 9", "row 8", ...
            for (int batch = 0; batch < 6; batch++) {
                batches.add(TestingNumberBatches.range(allocator, batch * 4L, 4));
            }
            TestingOperators.Output output = TestingOperators.run(topN, batches);
            assertThat(output.rows()).isEqualTo(TestingNumberBatches.rows(List.of(3L, 10L, 17L, 9L)));
            assertThat(output.batchSizes()).containsExactly(3, 1);
        }
    }

    @Test
    void beyondTheMemoryLimitFailsAndLeaksNothing() {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator)) {
            TopNOperator topN = new TopNOperator(context, List.of(key("s")), ASCENDING, 1_000_000, 100);
            topN.addInput(TestingNumberBatches.range(allocator, 0, 1_000));
            context.allocator().setLimit(context.allocator().getAllocatedMemory() + 1_000);
            VectorSchemaRoot tooMuch = TestingNumberBatches.range(allocator, 1_000, 1_000);

            assertThatThrownBy(() -> topN.addInput(tooMuch)).isInstanceOf(OutOfMemoryException.class);

            topN.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void closeWhileBufferingOrMidOutputFreesEverything() {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator)) {
            TopNOperator buffering = new TopNOperator(context, List.of(key("s")), ASCENDING, 50, 10);
            for (int batch = 0; batch < 5; batch++) {
                buffering.addInput(TestingNumberBatches.range(allocator, 1_000 - batch * 100L, 100));
            }
            assertThat(context.allocator().getAllocatedMemory()).isPositive();
            buffering.close();
            buffering.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
            assertThat(buffering.isFinished()).isTrue();

            TopNOperator emitting = new TopNOperator(context, List.of(key("n")), ASCENDING, 50, 10);
            emitting.addInput(TestingNumberBatches.range(allocator, 0, 100));
            emitting.finish();
            emitting.getOutput().close();
            emitting.close();
            assertThat(context.allocator().getAllocatedMemory()).isZero();
            assertThat(emitting.getOutput()).isNull();
        }
    }

    @Test
    void refusesANegativeLimit() {
        try (OperatorContext context = new OperatorContext("top_n_1", allocator)) {
            assertThatThrownBy(() -> new TopNOperator(context, List.of(key("n")), ASCENDING, -1, 10))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
