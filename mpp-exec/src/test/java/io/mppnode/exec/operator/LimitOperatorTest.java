package io.mppnode.exec.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.type.ArrowValues;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LimitOperatorTest {
    private static final long SLICE = TimeUnit.MINUTES.toNanos(1);

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
    void stopsPullingFromUpstreamOnceTheLimitIsReached() {
        // 10 batches of 100 rows; LIMIT 250 needs the first 3 only.
        TestingBatchSource source = source(10, 100);
        TestingRowSink sink = new TestingRowSink(new OperatorContext("sink", allocator));
        try (Driver driver = new Driver(List.of(source, new LimitOperator(new OperatorContext("limit_1", allocator), 250, 0), sink))) {
            assertThat(driver.process(SLICE)).isDone();

            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.rows()).isEqualTo(TestingNumberBatches.rows(TestingNumberBatches.range(0, 250)));
            assertThat(source.batchesProduced()).isEqualTo(3);
        }
    }

    @Test
    void aLimitEndingOnABatchEdgePullsNoFurtherBatch() {
        TestingBatchSource source = source(10, 100);
        TestingRowSink sink = new TestingRowSink(new OperatorContext("sink", allocator));
        try (Driver driver = new Driver(List.of(source, new LimitOperator(new OperatorContext("limit_1", allocator), 100, 100), sink))) {
            assertThat(driver.process(SLICE)).isDone();

            assertThat(sink.rows()).isEqualTo(TestingNumberBatches.rows(TestingNumberBatches.range(100, 100)));
            assertThat(source.batchesProduced()).isEqualTo(2);
        }
    }

    @Test
    void limitZeroIsFinishedAtOnceAndPullsNothing() {
        TestingBatchSource source = source(10, 100);
        TestingRowSink sink = new TestingRowSink(new OperatorContext("sink", allocator));
        LimitOperator limit = new LimitOperator(new OperatorContext("limit_1", allocator), 0, 5);
        assertThat(limit.needsInput()).isFalse();
        assertThat(limit.isFinished()).isTrue();
        try (Driver driver = new Driver(List.of(source, limit, sink))) {
            assertThat(driver.process(SLICE)).isDone();

            assertThat(driver.isFinished()).isTrue();
            assertThat(sink.rows()).isEmpty();
            assertThat(source.batchesProduced()).isZero();
        }
    }

    @Test
    void emptyInputGivesNothing() {
        try (OperatorContext context = new OperatorContext("limit_1", allocator);
                LimitOperator limit = new LimitOperator(context, 10, 0)) {
            assertThat(TestingOperators.run(limit, new ArrayList<>()).rows()).isEmpty();
            assertThat(limit.isFinished()).isTrue();
        }
        try (OperatorContext context = new OperatorContext("limit_1", allocator);
                LimitOperator limit = new LimitOperator(context, 10, 0)) {
            List<VectorSchemaRoot> empty = new ArrayList<>(List.of(
                    TestingNumberBatches.range(allocator, 0, 0), TestingNumberBatches.range(allocator, 0, 0)));
            assertThat(TestingOperators.run(limit, empty).rows()).isEmpty();
            assertThat(limit.isFinished()).isTrue();
        }
    }

    @Test
    void isFinishedOnlyOnceTheLastBatchIsTaken() {
        try (OperatorContext context = new OperatorContext("limit_1", allocator);
                LimitOperator limit = new LimitOperator(context, 5, 0)) {
            limit.addInput(TestingNumberBatches.range(allocator, 0, 10));

            assertThat(limit.needsInput()).isFalse();
            assertThat(limit.isFinished()).isFalse();
            try (VectorSchemaRoot output = limit.getOutput()) {
                assertThat(output.getRowCount()).isEqualTo(5);
            }
            assertThat(limit.isFinished()).isTrue();
            assertThat(limit.needsInput()).isFalse();
            assertThat(limit.getOutput()).isNull();
        }
    }

    @Test
    void passesWholeBatchesAndSlicesWithoutCopyingValues() {
        try (OperatorContext source = new OperatorContext("source", allocator);
                OperatorContext context = new OperatorContext("limit_1", allocator);
                LimitOperator limit = new LimitOperator(context, 120, 8)) {
            VectorSchemaRoot first = TestingNumberBatches.range(source.allocator(), 0, 100);
            long firstValues = first.getVector(0).getDataBuffer().memoryAddress();
            limit.addInput(first);
            try (VectorSchemaRoot output = limit.getOutput()) {
                assertThat(output.getRowCount()).isEqualTo(92);
                // Rows 8 .. 99: the same int64 values, 8 rows of 8 bytes in.
                assertThat(output.getVector(0).getDataBuffer().memoryAddress()).isEqualTo(firstValues + 8 * 8);
                assertThat(source.allocator().getAllocatedMemory()).isZero();
                assertThat(context.allocator().getAllocatedMemory()).isPositive();
            }
            VectorSchemaRoot second = TestingNumberBatches.range(source.allocator(), 100, 28);
            long secondValues = second.getVector(0).getDataBuffer().memoryAddress();
            limit.addInput(second);
            try (VectorSchemaRoot output = limit.getOutput()) {
                assertThat(output.getRowCount()).isEqualTo(28);
                assertThat(output.getVector(0).getDataBuffer().memoryAddress()).isEqualTo(secondValues);
                assertThat(ArrowValues.rows(output)).isEqualTo(TestingNumberBatches.rows(TestingNumberBatches.range(100, 28)));
            }
            assertThat(limit.isFinished()).isTrue();
        }
    }

    @Test
    void closeFreesAPendingBatchAndRefusesInputAfterFinish() {
        OperatorContext context = new OperatorContext("limit_1", allocator);
        LimitOperator limit = new LimitOperator(context, 50, 0);
        limit.addInput(TestingNumberBatches.range(allocator, 0, 10));
        assertThat(context.allocator().getAllocatedMemory()).isPositive();

        limit.close();
        limit.close();

        assertThat(context.allocator().getAllocatedMemory()).isZero();
        assertThat(limit.isFinished()).isTrue();
        VectorSchemaRoot late = TestingNumberBatches.range(allocator, 0, 10);
        assertThatThrownBy(() -> limit.addInput(late)).isInstanceOf(IllegalStateException.class);
        context.close();
    }

    @Test
    void refusesANegativeLimitOrOffset() {
        try (OperatorContext context = new OperatorContext("limit_1", allocator)) {
            assertThatThrownBy(() -> new LimitOperator(context, -1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new LimitOperator(context, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private TestingBatchSource source(int batches, int rows) {
        return new TestingBatchSource(new OperatorContext("source", allocator), batches,
                (index, target) -> TestingNumberBatches.range(target, (long) index * rows, rows));
    }
}
