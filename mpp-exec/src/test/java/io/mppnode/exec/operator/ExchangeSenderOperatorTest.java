package io.mppnode.exec.operator;

import static io.mppnode.exec.storage.TestingTables.expectedOrders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TestingBatches;
import io.mppnode.exec.storage.TestingTables;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExchangeSenderOperatorTest {
    private static final List<String> COLUMNS = List.of("order_id", "customer", "price", "order_date");

    private RootAllocator allocator;
    private BufferAllocator taskAllocator;
    private Table table;
    private OperatorContext scanContext;
    private OperatorContext senderContext;
    private final List<TestingPacketStream<OutboundPacket>> streams = new ArrayList<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        taskAllocator = allocator.newChildAllocator("task", 0, Long.MAX_VALUE);
        table = TestingTables.orders(allocator, 10);
        scanContext = new OperatorContext("table_scan_0", taskAllocator);
        senderContext = new OperatorContext("exchange_sender_1", taskAllocator);
    }

    @AfterEach
    void tearDown() {
        streams.forEach(TestingPacketStream::close);
        senderContext.close();
        scanContext.close();
        assertThat(taskAllocator.getAllocatedMemory()).isZero();
        taskAllocator.close();
        table.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void firstPacketCarriesTheSchemaChunkAndTheBatchChunk() {
        TableScanOperator scan = scan(4);
        Tunnel<OutboundPacket> tunnel = tunnel(1 << 20);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel, new TestingPacketStream<>());
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, writer(tunnel, scan.schema()), taskAllocator);

        assertThat(sender.needsInput()).isTrue();
        sender.addInput(scan.getOutput());
        sender.addInput(scan.getOutput());

        List<OutboundPacket> packets = stream.packets();
        assertThat(packets).hasSize(2);
        assertThat(packets).allSatisfy(packet -> {
            assertThat(packet.version()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.error()).isNull();
        });
        assertThat(packets.get(0).chunks()).hasSize(2);
        assertThat(packets.get(1).chunks()).hasSize(1);
        // The operator took the batches over: they moved out of the scan's allocator.
        assertThat(scanContext.allocator().getAllocatedMemory()).isZero();

        ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
        assertThat(decode(decoder, packets.get(0).chunks().get(0))).isNull();
        assertThat(decoder.schema()).isEqualTo(scan.schema());
        try (VectorSchemaRoot first = decode(decoder, packets.get(0).chunks().get(1));
                VectorSchemaRoot second = decode(decoder, packets.get(1).chunks().get(0))) {
            assertThat(TestingBatches.rows(first)).isEqualTo(expectedOrders(0, 4, COLUMNS));
            assertThat(TestingBatches.rows(second)).isEqualTo(expectedOrders(4, 8, COLUMNS));
        }
        // The end of the stream is the task's to write.
        sender.finish();
        assertThat(sender.isFinished()).isTrue();
        assertThat(stream.packets()).hasSize(2);
        assertThat(stream.isCompleted()).isFalse();
        assertThat(sender.getOutput()).isNull();
        sender.close();
    }

    @Test
    void finishWithoutInputStillSendsTheSchema() {
        Schema schema = scan(4).schema();
        Tunnel<OutboundPacket> tunnel = tunnel(1 << 20);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel, new TestingPacketStream<>());
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, writer(tunnel, schema), taskAllocator);

        sender.finish();
        sender.finish();

        assertThat(sender.isFinished()).isTrue();
        assertThat(sender.needsInput()).isFalse();
        assertThat(stream.packets()).singleElement().satisfies(packet -> {
            assertThat(packet.version()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.chunks()).hasSize(1);
            ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
            assertThat(decode(decoder, packet.chunks().getFirst())).isNull();
            assertThat(decoder.schema()).isEqualTo(schema);
        });
        sender.close();
    }

    @Test
    void blockedWhileTheTunnelIsOverItsBound() {
        TableScanOperator scan = scan(4);
        Tunnel<OutboundPacket> tunnel = tunnel(1);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel, TestingPacketStream.notReady());
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, writer(tunnel, scan.schema()), taskAllocator);

        sender.addInput(scan.getOutput());

        CompletableFuture<Void> blocked = sender.isBlocked();
        assertThat(blocked).isNotDone();
        assertThat(sender.needsInput()).isFalse();
        sender.finish();
        assertThat(sender.isFinished()).isFalse();
        assertThat(stream.packets()).isEmpty();

        stream.setReady(true);
        tunnel.onReady();

        assertThat(blocked).isCompleted();
        assertThat(sender.isBlocked()).isDone();
        assertThat(sender.isFinished()).isTrue();
        assertThat(stream.packets()).hasSize(1);
        sender.close();
    }

    @Test
    void abortedTunnelFailsTheWriteAndTheBatchIsStillFreed() {
        TableScanOperator scan = scan(4);
        Tunnel<OutboundPacket> tunnel = tunnel(1 << 20);
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");
        tunnel.abort(cause);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, writer(tunnel, scan.schema()), taskAllocator);

        VectorSchemaRoot batch = scan.getOutput();
        assertThatThrownBy(() -> sender.addInput(batch)).isSameAs(cause);
        assertThat(scanContext.allocator().getAllocatedMemory()).isZero();
        assertThat(taskAllocator.getAllocatedMemory()).isZero();
        sender.close();
    }

    @Test
    void batchesHeldByTheTunnelOutliveThePipelinesAllocators() {
        // A receiver that has not connected yet: the packets wait in the tunnel.
        Tunnel<OutboundPacket> tunnel = tunnel(1 << 20);
        TableScanOperator scan = new TableScanOperator(new OperatorContext("table_scan_0", taskAllocator), table, COLUMNS, 4);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(new OperatorContext("exchange_sender_1", taskAllocator),
                writer(tunnel, scan.schema()), taskAllocator);
        try (Driver driver = new Driver(List.of(scan, sender))) {
            assertThat(driver.process(TimeUnit.MINUTES.toNanos(1))).isDone();
            assertThat(driver.isFinished()).isTrue();
        }
        // The operators' allocators closed without a leak: the waiting batches are the task's.
        assertThat(tunnel.bufferedPackets()).isEqualTo(3);
        assertThat(taskAllocator.getAllocatedMemory()).isPositive();

        TestingPacketStream<OutboundPacket> stream = connect(tunnel, new TestingPacketStream<>());
        tunnel.finish();
        assertThat(receivedRows(stream)).isEqualTo(expectedOrders(0, 10, COLUMNS));
    }

    @Test
    void driverSendsTheWholeTableThroughTheTunnelAndWaitsForTheReceiver() {
        // The table's 10 rows in batches of 3, to a receiver that takes one packet at a time.
        Tunnel<OutboundPacket> tunnel = tunnel(1);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel, TestingPacketStream.notReady());
        TableScanOperator scan = new TableScanOperator(new OperatorContext("table_scan_0", taskAllocator), table, COLUMNS, 3);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(
                new OperatorContext("exchange_sender_1", taskAllocator), writer(tunnel, scan.schema()), taskAllocator);
        try (Driver driver = new Driver(List.of(scan, sender))) {
            int waits = 0;
            CompletableFuture<Void> blocked;
            while (!(blocked = driver.process(TimeUnit.MINUTES.toNanos(1))).isDone() || !driver.isFinished()) {
                assertThat(blocked).isNotDone();
                waits++;
                stream.allow(1);
                tunnel.onReady();
                assertThat(blocked).isCompleted();
            }
            assertThat(waits).isEqualTo(4);
            tunnel.finish();
            assertThat(tunnel.done()).isCompleted();
            assertThat(driver.summaries().getSummaries(0).getNumProducedRows()).isEqualTo(10);
            assertThat(driver.summaries().getSummaries(1).getNumIterations()).isEqualTo(4);
        }

        assertThat(stream.packets()).hasSize(4);
        assertThat(receivedRows(stream)).isEqualTo(expectedOrders(0, 10, COLUMNS));
        assertThat(stream.isCompleted()).isTrue();
    }

    private TableScanOperator scan(int batchRows) {
        return new TableScanOperator(scanContext, table, COLUMNS, batchRows);
    }

    private static Tunnel<OutboundPacket> tunnel(long bufferLimitBytes) {
        return Tunnel.remote("tunnel to task -1", bufferLimitBytes, 1, TunnelListener.NONE);
    }

    private static ExchangeWriter writer(Tunnel<OutboundPacket> tunnel, Schema schema) {
        return new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), schema, Compression.NONE, 1, null);
    }

    private TestingPacketStream<OutboundPacket> connect(Tunnel<OutboundPacket> tunnel, TestingPacketStream<OutboundPacket> stream) {
        streams.add(stream);
        tunnel.connect(stream);
        return stream;
    }

    /** Copies the chunk into Arrow memory (a receiver's one copy) and decodes it; null for the schema chunk. */
    private VectorSchemaRoot decode(ChunkDecoder decoder, EncodedChunk chunk) {
        try (ArrowBuf buffer = allocator.buffer(chunk.size())) {
            chunk.copyTo(buffer.nioBuffer(0, Math.toIntExact(chunk.size())));
            return decoder.decode(buffer.slice(0, chunk.size()));
        }
    }

    private List<List<Object>> receivedRows(TestingPacketStream<OutboundPacket> stream) {
        ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
        List<List<Object>> received = new ArrayList<>();
        for (OutboundPacket packet : stream.packets()) {
            for (EncodedChunk chunk : packet.chunks()) {
                try (VectorSchemaRoot batch = decode(decoder, chunk)) {
                    if (batch != null) {
                        received.addAll(TestingBatches.rows(batch));
                    }
                }
            }
        }
        return received;
    }
}
