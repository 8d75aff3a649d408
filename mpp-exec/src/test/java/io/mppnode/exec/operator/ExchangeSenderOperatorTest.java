package io.mppnode.exec.operator;

import static io.mppnode.exec.storage.TestingTables.expectedOrders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.storage.InMemoryTable;
import io.mppnode.exec.storage.TestingBatches;
import io.mppnode.exec.storage.TestingTables;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExchangeSenderOperatorTest {
    private static final List<String> COLUMNS = List.of("order_id", "customer", "price", "order_date");

    private RootAllocator allocator;
    private InMemoryTable table;
    private OperatorContext scanContext;
    private OperatorContext senderContext;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        table = TestingTables.orders(allocator, 10);
        scanContext = new OperatorContext("table_scan_0", allocator);
        senderContext = new OperatorContext("exchange_sender_1", allocator);
    }

    @AfterEach
    void tearDown() {
        senderContext.close();
        scanContext.close();
        table.close();
        allocator.close();
    }

    @Test
    void firstPacketCarriesTheSchemaChunkAndTheBatchChunk() {
        TableScanOperator scan = scan(4);
        Tunnel tunnel = tunnel(1 << 20);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, tunnel, scan.schema());

        assertThat(sender.needsInput()).isTrue();
        sender.addInput(scan.getOutput());
        sender.addInput(scan.getOutput());

        List<MPPDataPacket> packets = stream.packets();
        assertThat(packets).hasSize(2);
        assertThat(packets).allSatisfy(packet -> {
            assertThat(packet.getVersion()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.hasError()).isFalse();
        });
        assertThat(packets.get(0).getChunksCount()).isEqualTo(2);
        assertThat(packets.get(1).getChunksCount()).isEqualTo(1);
        // The operator took ownership of the batches and freed them.
        assertThat(scanContext.allocator().getAllocatedMemory()).isZero();

        ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
        assertThat(decoder.decode(packets.get(0).getChunks(0))).isNull();
        assertThat(decoder.schema()).isEqualTo(scan.schema());
        try (VectorSchemaRoot first = decoder.decode(packets.get(0).getChunks(1));
                VectorSchemaRoot second = decoder.decode(packets.get(1).getChunks(0))) {
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
        Tunnel tunnel = tunnel(1 << 20);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, tunnel, schema);

        sender.finish();
        sender.finish();

        assertThat(sender.isFinished()).isTrue();
        assertThat(sender.needsInput()).isFalse();
        assertThat(stream.packets()).singleElement().satisfies(packet -> {
            assertThat(packet.getVersion()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.getChunksCount()).isEqualTo(1);
            ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
            assertThat(decoder.decode(packet.getChunks(0))).isNull();
            assertThat(decoder.schema()).isEqualTo(schema);
        });
    }

    @Test
    void blockedWhileTheTunnelIsOverItsBound() {
        TableScanOperator scan = scan(4);
        Tunnel tunnel = tunnel(1);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, tunnel, scan.schema());

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
    }

    @Test
    void abortedTunnelFailsTheWriteAndTheBatchIsStillFreed() {
        TableScanOperator scan = scan(4);
        Tunnel tunnel = tunnel(1 << 20);
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");
        tunnel.abort(cause);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(senderContext, tunnel, scan.schema());

        VectorSchemaRoot batch = scan.getOutput();
        assertThatThrownBy(() -> sender.addInput(batch)).isSameAs(cause);
        assertThat(scanContext.allocator().getAllocatedMemory()).isZero();
    }

    @Test
    void driverSendsTheWholeTableThroughTheTunnelAndWaitsForTheReceiver() {
        // The table's 10 rows in batches of 3, to a receiver that takes one packet at a time.
        Tunnel tunnel = tunnel(1);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        TableScanOperator scan = new TableScanOperator(new OperatorContext("table_scan_0", allocator), table, COLUMNS, 3);
        ExchangeSenderOperator sender = new ExchangeSenderOperator(
                new OperatorContext("exchange_sender_1", allocator), tunnel, scan.schema());
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

        ChunkDecoder decoder = new ChunkDecoder(allocator, "test");
        List<List<Object>> received = new ArrayList<>();
        for (MPPDataPacket packet : stream.packets()) {
            for (int chunk = 0; chunk < packet.getChunksCount(); chunk++) {
                try (VectorSchemaRoot batch = decoder.decode(packet.getChunks(chunk))) {
                    if (batch != null) {
                        received.addAll(TestingBatches.rows(batch));
                    }
                }
            }
        }
        assertThat(stream.packets()).hasSize(4);
        assertThat(received).isEqualTo(expectedOrders(0, 10, COLUMNS));
        assertThat(stream.isCompleted()).isTrue();
    }

    private TableScanOperator scan(int batchRows) {
        return new TableScanOperator(scanContext, table, COLUMNS, batchRows);
    }

    private static Tunnel tunnel(long bufferLimitBytes) {
        return new Tunnel("tunnel to task -1", bufferLimitBytes, 1, TunnelListener.NONE);
    }
}
