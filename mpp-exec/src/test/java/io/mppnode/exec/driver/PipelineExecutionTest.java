package io.mppnode.exec.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.local.LocalExchange;
import io.mppnode.exec.operator.local.LocalExchangeSinkOperator;
import io.mppnode.exec.operator.local.LocalExchangeSourceOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several drivers of one task on a real pool: merged through a local exchange, failing, stopped. */
class PipelineExecutionTest {
    private BufferAllocator allocator;
    private ExecutorService workers;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        workers = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        workers.shutdownNow();
        assertThat(workers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        allocator.close(); // fails on a leak
    }

    @Test
    void threeProducersMergeIntoOneConsumerWithEveryRowOnce() throws Exception {
        OperatorContext exchangeContext = new OperatorContext("merge", allocator);
        LocalExchange exchange = new LocalExchange(exchangeContext.allocator(), 3, 2);
        List<Driver> drivers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            drivers.add(new Driver(List.of(new TestingSourceOperator(new OperatorContext("source" + i, allocator), 100, 100, 100, 7),
                    new LocalExchangeSinkOperator(exchangeContext.retain(), exchange))));
        }
        TestingSinkOperator sink = new TestingSinkOperator(new OperatorContext("sink", allocator));
        drivers.add(new Driver(List.of(new LocalExchangeSourceOperator(exchangeContext.retain(), exchange), sink)));
        exchangeContext.close(); // the drivers hold the remaining references
        PipelineExecution execution = new PipelineExecution(drivers, workers, TimeUnit.MILLISECONDS.toNanos(1));
        execution.start();
        execution.done().get(10, TimeUnit.SECONDS);
        execution.quiet().get(10, TimeUnit.SECONDS);
        // Each source numbers its rows 0..306: three of every number.
        assertThat(sink.values()).hasSize(3 * 307);
        assertThat(sink.values().stream().distinct().count()).isEqualTo(307);
        assertThat(drivers).allMatch(Driver::isFinished);
    }

    @Test
    void theFirstFailureFailsTheExecutionAndEveryOtherDriverStops() throws Exception {
        List<Driver> drivers = new ArrayList<>();
        CompletableFuture<Void> never = new CompletableFuture<>();
        TestingSourceOperator blocked = new TestingSourceOperator(new OperatorContext("blocked", allocator), 5);
        blocked.blockUntil(never);
        drivers.add(new Driver(List.of(blocked, new TestingSinkOperator(new OperatorContext("sink0", allocator)))));
        TestingSinkOperator failing = new TestingSinkOperator(new OperatorContext("failing", allocator)) {
            @Override
            public void addInput(VectorSchemaRoot batch) {
                batch.close();
                throw new MppException(ErrorCode.DATA_ERROR, "executor 'failing': bad row");
            }
        };
        drivers.add(new Driver(List.of(new TestingSourceOperator(new OperatorContext("source1", allocator), 5), failing)));
        PipelineExecution execution = new PipelineExecution(drivers, workers, TimeUnit.MILLISECONDS.toNanos(1));
        execution.start();
        execution.quiet().get(10, TimeUnit.SECONDS);
        assertThat(execution.done()).isCompletedExceptionally();
        try {
            execution.done().get();
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(MppException.class).hasMessage("executor 'failing': bad row");
        }
        assertThat(blocked.isClosed()).isTrue();
        assertThat(never).isNotDone(); // the blocked driver was ended without waking it
    }

    @Test
    void theExecutionIsDoneOnlyAfterEveryDriverClosed() throws Exception {
        // The first driver ends first, but its close is slow; the second ends meanwhile. What the
        // task frees after done() (its allocator) must not be in use by the first driver's close.
        CompletableFuture<Void> closing = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        TestingSinkOperator slowToClose = new TestingSinkOperator(new OperatorContext("slow", allocator)) {
            @Override
            public void close() {
                closing.complete(null);
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.close();
            }
        };
        TestingSourceOperator waiting = new TestingSourceOperator(new OperatorContext("waiting", allocator), 5);
        waiting.blockUntil(closing);
        TestingSinkOperator secondSink = new TestingSinkOperator(new OperatorContext("sink", allocator));
        PipelineExecution execution = new PipelineExecution(List.of(
                new Driver(List.of(new TestingSourceOperator(new OperatorContext("source", allocator), 5), slowToClose)),
                new Driver(List.of(waiting, secondSink))),
                workers, TimeUnit.MILLISECONDS.toNanos(1));
        execution.start();
        closing.get(10, TimeUnit.SECONDS);
        // The second driver runs to its end (its operators closed) while the first is still closing.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!secondSink.isClosed()) {
            assertThat(System.nanoTime()).as("the second driver ended within 10 s").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(execution.done()).as("done while a driver is still closing").isNotDone();
        assertThat(execution.quiet()).isNotDone();
        release.countDown();
        execution.done().get(10, TimeUnit.SECONDS);
        execution.quiet().get(10, TimeUnit.SECONDS);
        assertThat(slowToClose.isClosed()).isTrue();
    }

    @Test
    void stopEndsWaitingDriversAtOnceAndTheExecutionIsNotDoneNormally() throws Exception {
        CompletableFuture<Void> never = new CompletableFuture<>();
        TestingSourceOperator blocked = new TestingSourceOperator(new OperatorContext("blocked", allocator), 5);
        blocked.blockUntil(never);
        PipelineExecution execution = new PipelineExecution(
                List.of(new Driver(List.of(blocked, new TestingSinkOperator(new OperatorContext("sink", allocator))))),
                workers, TimeUnit.MILLISECONDS.toNanos(1));
        execution.start();
        execution.stop();
        execution.quiet().get(10, TimeUnit.SECONDS);
        assertThat(execution.done()).isCompletedExceptionally();
        assertThat(blocked.isClosed()).isTrue();
    }

    /**
     * The task closes its allocator when the execution is done (or quiet), so by then every
     * driver must be closed, also one that ended first but is still closing on another thread
     * when the last one ends. (Counting a driver as ended before closing it let done() complete
     * while another driver still held memory: a flaky "Memory was leaked" of TPC-H tasks.)
     */
    @Test
    void doneAndQuietWaitUntilEveryDriverIsClosedAlsoOneStillClosingOnAnotherThread() throws Exception {
        CompletableFuture<Void> closing = new CompletableFuture<>();
        CompletableFuture<Void> mayClose = new CompletableFuture<>();
        OperatorContext slowContext = new OperatorContext("slow-sink", allocator);
        ArrowBuf held = slowContext.allocator().buffer(4096);
        TestingSinkOperator slowSink = new TestingSinkOperator(slowContext) {
            @Override
            public void close() {
                closing.complete(null);
                try {
                    mayClose.get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    held.close();
                    super.close();
                }
            }
        };
        CompletableFuture<Void> go = new CompletableFuture<>();
        TestingSourceOperator late = new TestingSourceOperator(new OperatorContext("late", allocator), 5);
        late.blockUntil(go);
        List<Driver> drivers = List.of(
                new Driver(List.of(new TestingSourceOperator(new OperatorContext("source", allocator), 5), slowSink)),
                new Driver(List.of(late, new TestingSinkOperator(new OperatorContext("sink", allocator)))));
        PipelineExecution execution = new PipelineExecution(drivers, workers, TimeUnit.MILLISECONDS.toNanos(1));
        AtomicLong memoryWhenDone = new AtomicLong(-1);
        AtomicLong memoryWhenQuiet = new AtomicLong(-1);
        execution.done().whenComplete((ignored, error) -> memoryWhenDone.set(allocator.getAllocatedMemory()));
        execution.quiet().whenComplete((ignored, error) -> memoryWhenQuiet.set(allocator.getAllocatedMemory()));
        execution.start();

        closing.get(10, TimeUnit.SECONDS); // the first driver finished and is closing on one worker
        go.complete(null); // the other finishes on the other worker, ending last
        assertThatThrownBy(() -> execution.done().get(1, TimeUnit.SECONDS))
                .as("done while a driver is still closing").isInstanceOf(TimeoutException.class);
        assertThat(execution.quiet()).isNotDone();

        mayClose.complete(null);
        execution.done().get(10, TimeUnit.SECONDS);
        execution.quiet().get(10, TimeUnit.SECONDS);
        assertThat(memoryWhenDone.get()).as("memory held when done").isZero();
        assertThat(memoryWhenQuiet.get()).as("memory held when quiet").isZero();
    }
}
