package io.mppnode.exec.operator;

import static io.mppnode.exec.storage.TestingTables.expectedOrders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.Ownership;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TestingBatches;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.proto.Mpp.TaskMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExchangeReceiverOperatorTest {
    private static final List<String> COLUMNS = List.of("order_id", "customer", "price");
    private static final TaskMeta RECEIVER = TaskMeta.newBuilder().setTaskId(7).setAddress("10.0.0.7:20170").build();
    private static final ExchangeSource SOURCE = new ExchangeSource(
            TaskMeta.newBuilder().setTaskId(1).setAddress("10.0.0.7:20170").build(), RECEIVER, true);

    private RootAllocator allocator;
    private BufferAllocator senderTaskAllocator;
    private BufferAllocator taskAllocator;
    private Table table;
    private ScheduledExecutorService timer;
    private final TestingLocalConnector connector = new TestingLocalConnector();
    private final TestingPacketStream<OutboundPacket> output = new TestingPacketStream<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        senderTaskAllocator = allocator.newChildAllocator("task 1", 0, Long.MAX_VALUE);
        taskAllocator = allocator.newChildAllocator("task 7", 0, Long.MAX_VALUE);
        table = TestingTables.orders(allocator, 10);
        timer = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        output.close();
        timer.shutdownNow();
        assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        table.close();
        assertThat(taskAllocator.getAllocatedMemory()).isZero();
        assertThat(senderTaskAllocator.getAllocatedMemory()).isZero();
        taskAllocator.close();
        senderTaskAllocator.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void driverForwardsWhatALocalSenderSendsAndCountsEveryRowOnce() {
        Tunnel<LocalPacket> input = Tunnel.local("local tunnel from task 1 to task 7", 1 << 20, TunnelListener.NONE);
        connector.add(1, input);
        Schema schema = sendTable(input);
        input.finish();
        Tunnel<OutboundPacket> tunnel = Tunnel.remote("tunnel from task 7 to task -1", 1 << 20, 1, TunnelListener.NONE);
        tunnel.connect(output);

        try (Driver driver = driver(schema, tunnel)) {
            assertThat(driver.process(TimeUnit.MINUTES.toNanos(1))).isDone();
            assertThat(driver.isFinished()).isTrue();
            // Sink first: every row counted once by each operator.
            assertThat(driver.summaries().getSummaries(0).getNumProducedRows()).isEqualTo(10);
            assertThat(driver.summaries().getSummaries(1).getNumProducedRows()).isEqualTo(10);
            assertThat(driver.summaries().getSummaries(1).getNumIterations()).isEqualTo(3);
        }
        tunnel.finish();
        assertThat(input.done()).isCompleted();
        assertThat(receivedRows()).isEqualTo(expectedOrders(0, 10, COLUMNS));
    }

    @Test
    void errorOfTheSenderFailsTheDriverNamingTheSource() {
        Tunnel<LocalPacket> input = Tunnel.local("local tunnel from task 1 to task 7", 1 << 20, TunnelListener.NONE);
        connector.add(1, input);
        Schema schema = sendTable(input);
        input.abort(new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor 'table_scan_0'"));
        Tunnel<OutboundPacket> tunnel = Tunnel.remote("tunnel from task 7 to task -1", 1 << 20, 1, TunnelListener.NONE);
        tunnel.connect(output);

        try (Driver driver = driver(schema, tunnel)) {
            assertThatThrownBy(() -> driver.process(TimeUnit.MINUTES.toNanos(1)))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                    .hasMessage("receiver of task 7: task 1 at 10.0.0.7:20170 failed: memory limit exceeded in executor 'table_scan_0'");
        }
        tunnel.abort(new MppException(ErrorCode.REMOTE_TASK_FAILED, "the task failed"));
    }

    /** The table, 4 rows a batch, into the tunnel of task 1 (which holds them until task 7 connects). */
    private Schema sendTable(Tunnel<LocalPacket> tunnel) {
        try (OperatorContext context = new OperatorContext("table_scan_0", senderTaskAllocator)) {
            TableScanOperator scan = new TableScanOperator(context, table, COLUMNS, 4);
            ExchangeWriter writer = new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), scan.schema(),
                    Compression.NONE, 1, null);
            while (!scan.isFinished()) {
                writer.write(Ownership.moveTo(scan.getOutput(), senderTaskAllocator));
            }
            writer.finish();
            scan.close();
            return scan.schema();
        }
    }

    private Driver driver(Schema schema, Tunnel<OutboundPacket> tunnel) {
        OperatorContext receiverContext = new OperatorContext("exchange_receiver_0", taskAllocator);
        ExchangeReceiver receiver = new ExchangeReceiver("receiver of task 7", List.of(SOURCE), schema, receiverContext.allocator(),
                1 << 20, connector, timer, ExchangeMetrics.unregistered());
        ExchangeReceiverOperator source = new ExchangeReceiverOperator(receiverContext, receiver);
        ExchangeSenderOperator sink = new ExchangeSenderOperator(new OperatorContext("exchange_sender_1", taskAllocator),
                new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), schema, Compression.LZ4_FRAME, 1, null),
                taskAllocator);
        return new Driver(List.of(source, sink));
    }

    private List<List<Object>> receivedRows() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
        List<List<Object>> rows = new ArrayList<>();
        for (OutboundPacket packet : output.packets()) {
            for (EncodedChunk chunk : packet.chunks()) {
                try (ArrowBuf buffer = allocator.buffer(chunk.size())) {
                    chunk.copyTo(buffer.nioBuffer(0, Math.toIntExact(chunk.size())));
                    try (VectorSchemaRoot batch = decoder.decode(buffer.slice(0, chunk.size()))) {
                        if (batch != null) {
                            rows.addAll(TestingBatches.rows(batch));
                        }
                    }
                }
            }
        }
        return rows;
    }
}
