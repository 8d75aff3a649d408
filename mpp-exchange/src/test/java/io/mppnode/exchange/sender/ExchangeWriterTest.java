package io.mppnode.exchange.sender;

import static io.mppnode.exchange.codec.TestingBatches.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.codec.TestingBatches;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.TestingPacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exchange.tunnel.TunnelPacket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExchangeWriterTest {
    private static final Schema SCHEMA = new Schema(List.of(field("id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE)));
    private static final long UNBOUNDED = 1L << 30;

    private RootAllocator allocator;
    private final List<TestingPacketStream<?>> streams = new ArrayList<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        streams.forEach(TestingPacketStream::close);
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    // ----- pass-through -----

    @Test
    void passThroughSendsTheSchemaChunkFirstThenOneChunkPerBatch() {
        Tunnel<OutboundPacket> tunnel = remoteTunnel(0, UNBOUNDED);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), Compression.NONE, 1, null);
        assertThat(writer.partitionCount()).isEqualTo(1);

        assertThat(writer.write(batch(0, 4))).isDone();
        assertThat(writer.write(batch(4, 7))).isDone();
        assertThat(writer.finish()).isDone();
        tunnel.finish();

        List<OutboundPacket> packets = stream.packets();
        assertThat(packets).hasSize(2);
        assertThat(packets).allSatisfy(packet -> {
            assertThat(packet.version()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.error()).isNull();
            assertThat(packet.data().isEmpty()).isTrue();
        });
        assertThat(packets.get(0).chunks()).hasSize(2);
        assertThat(streamIds(packets.get(0))).containsExactly(0L, 0L);
        assertThat(packets.get(1).chunks()).hasSize(1);
        assertThat(streamIds(packets.get(1))).containsExactly(0L);
        assertThat(rowsByStream(packets)).containsExactly(Map.entry(0L, rows(0, 7)));
        // finish added nothing: the stream already carried its schema.
        assertThat(stream.isCompleted()).isTrue();
    }

    @Test
    void passThroughToALocalTunnelHandsOverTheBatchItself() {
        Tunnel<LocalPacket> tunnel = localTunnel(0, UNBOUNDED);
        TestingPacketStream<LocalPacket> stream = connect(tunnel);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), Compression.NONE, 1, null);
        VectorSchemaRoot batch = batch(0, 5);
        long batchBytes = allocator.getAllocatedMemory();

        writer.write(batch);
        assertThat(writer.finish()).isDone();

        assertThat(allocator.getAllocatedMemory()).isEqualTo(batchBytes);
        // A local receiver needs no schema packet: nothing but the batch.
        assertThat(stream.packets()).singleElement().satisfies(packet -> {
            assertThat(packet.streamId()).isZero();
            try (VectorSchemaRoot taken = packet.takeBatch()) {
                assertThat(taken).isSameAs(batch);
                assertThat(TestingBatches.rows(taken)).isEqualTo(rows(0, 5));
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void everyCompressionDecodesToTheInputAndFreesItsBuffers(Compression compression) {
        Tunnel<OutboundPacket> tunnel = remoteTunnel(0, UNBOUNDED);
        TestingPacketStream<OutboundPacket> stream = connect(tunnel);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), compression, 1, null);

        writer.write(batch(0, 300));
        writer.write(batch(300, 300)); // no rows: still a valid batch message
        writer.write(batch(300, 301));
        writer.finish();

        assertThat(stream.packets()).hasSize(3);
        assertThat(rowsByStream(stream.packets())).containsExactly(Map.entry(0L, rows(0, 301)));
    }

    // ----- broadcast -----

    @Test
    void broadcastEncodesOnceAndSendsTheSameChunkToEveryRemoteTunnel() {
        List<Tunnel<?>> tunnels = new ArrayList<>();
        List<TestingPacketStream<OutboundPacket>> remotes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Tunnel<OutboundPacket> tunnel = remoteTunnel(i, UNBOUNDED);
            remotes.add(connect(tunnel));
            tunnels.add(tunnel);
        }
        ExchangeWriter writer = writer(ExchangeWriter.Mode.BROADCAST, tunnels, Compression.NONE, 1, null);

        writer.write(batch(0, 6));
        writer.write(batch(6, 8));
        writer.finish();

        List<EncodedChunk> firstBatchChunks = remotes.stream().map(stream -> stream.packets().get(0).chunks().get(1)).toList();
        List<EncodedChunk> secondBatchChunks = remotes.stream().map(stream -> stream.packets().get(1).chunks().get(0)).toList();
        List<EncodedChunk> schemaChunks = remotes.stream().map(stream -> stream.packets().get(0).chunks().get(0)).toList();
        assertThat(firstBatchChunks).allSatisfy(chunk -> assertThat(chunk).isSameAs(firstBatchChunks.getFirst()));
        assertThat(secondBatchChunks).allSatisfy(chunk -> assertThat(chunk).isSameAs(secondBatchChunks.getFirst()));
        assertThat(schemaChunks).allSatisfy(chunk -> assertThat(chunk).isSameAs(schemaChunks.getFirst()));
        assertThat(firstBatchChunks.getFirst()).isNotSameAs(secondBatchChunks.getFirst());
        // One reference per packet holding it, none left to the writer.
        assertThat(firstBatchChunks.getFirst().referenceCount()).isEqualTo(3);
        for (TestingPacketStream<OutboundPacket> stream : remotes) {
            assertThat(stream.packets()).hasSize(2);
            assertThat(rowsByStream(stream.packets())).containsExactly(Map.entry(0L, rows(0, 8)));
        }
    }

    @Test
    void broadcastToLocalTunnelsSharesTheBuffersWithoutCopying() {
        List<Tunnel<?>> tunnels = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tunnels.add(localTunnel(i, UNBOUNDED));
        }
        ExchangeWriter writer = writer(ExchangeWriter.Mode.BROADCAST, tunnels, Compression.NONE, 1, null);
        VectorSchemaRoot batch = batch(0, 100);
        long batchBytes = allocator.getAllocatedMemory();

        writer.write(batch);
        writer.finish();

        // The batches wait in the tunnels (no receiver yet), all on the input's buffers.
        assertThat(allocator.getAllocatedMemory()).isEqualTo(batchBytes);
        for (Tunnel<?> tunnel : tunnels) {
            assertThat(tunnel.bufferedPackets()).isEqualTo(1);
            @SuppressWarnings("unchecked")
            TestingPacketStream<LocalPacket> stream = connect((Tunnel<LocalPacket>) tunnel);
            assertThat(stream.packets()).singleElement().satisfies(packet -> {
                try (VectorSchemaRoot taken = packet.takeBatch()) {
                    assertThat(TestingBatches.rows(taken)).isEqualTo(rows(0, 100));
                }
            });
        }
    }

    @Test
    void broadcastToLocalAndRemoteTunnels() {
        Tunnel<OutboundPacket> firstRemote = remoteTunnel(0, UNBOUNDED);
        Tunnel<LocalPacket> firstLocal = localTunnel(1, UNBOUNDED);
        Tunnel<OutboundPacket> secondRemote = remoteTunnel(2, UNBOUNDED);
        Tunnel<LocalPacket> secondLocal = localTunnel(3, UNBOUNDED);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.BROADCAST, List.of(firstRemote, firstLocal, secondRemote, secondLocal),
                Compression.LZ4_FRAME, 1, null);

        writer.write(batch(0, 10));
        writer.write(batch(10, 12));
        writer.finish();

        List<TestingPacketStream<OutboundPacket>> remotes = List.of(connect(firstRemote), connect(secondRemote));
        for (int packet = 0; packet < 2; packet++) {
            int index = packet;
            assertThat(remotes.get(0).packets().get(index).chunks().getLast())
                    .isSameAs(remotes.get(1).packets().get(index).chunks().getLast());
        }
        for (TestingPacketStream<OutboundPacket> stream : remotes) {
            assertThat(rowsByStream(stream.packets())).containsExactly(Map.entry(0L, rows(0, 12)));
        }
        for (Tunnel<LocalPacket> tunnel : List.of(firstLocal, secondLocal)) {
            TestingPacketStream<LocalPacket> stream = connect(tunnel);
            assertThat(localRows(stream)).isEqualTo(rows(0, 12));
        }
    }

    @Test
    void broadcastToAnAbortedTunnelFailsTheWriteAndFreesEverything() {
        Tunnel<OutboundPacket> healthy = remoteTunnel(0, UNBOUNDED);
        Tunnel<LocalPacket> local = localTunnel(1, UNBOUNDED);
        Tunnel<OutboundPacket> aborted = remoteTunnel(2, UNBOUNDED);
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled");
        aborted.abort(cause);
        TestingPacketStream<OutboundPacket> stream = connect(healthy);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.BROADCAST, List.of(healthy, local, aborted), Compression.NONE, 1, null);

        assertThatThrownBy(() -> writer.write(batch(0, 10))).isSameAs(cause);
        writer.close();

        // What the healthy tunnels took stays theirs; the rest is freed (checked after each test).
        assertThat(stream.packets()).hasSize(1);
        local.abort(cause);
    }

    // ----- hash -----

    @Test
    void hashSendsEveryRowToTheTunnelOfItsPartition() {
        Tunnel<OutboundPacket> first = remoteTunnel(0, UNBOUNDED);
        Tunnel<LocalPacket> second = localTunnel(1, UNBOUNDED);
        Tunnel<OutboundPacket> third = remoteTunnel(2, UNBOUNDED);
        TestingPartitioner partitioner = new TestingPartitioner(allocator, row -> (int) (long) (Long) row.get(0));
        ExchangeWriter writer = writer(ExchangeWriter.Mode.HASH, List.of(first, second, third), Compression.NONE, 1, partitioner);
        TestingPacketStream<OutboundPacket> firstStream = connect(first);
        TestingPacketStream<LocalPacket> secondStream = connect(second);
        TestingPacketStream<OutboundPacket> thirdStream = connect(third);

        writer.write(batch(0, 10));
        writer.write(batch(10, 20));
        writer.finish();

        assertThat(partitioner.partitionCounts()).containsExactly(3, 3);
        assertThat(rowsByStream(firstStream.packets())).containsExactly(Map.entry(0L, rowsWhere(0, 20, id -> id % 3 == 0)));
        assertThat(localRows(secondStream)).isEqualTo(rowsWhere(0, 20, id -> id % 3 == 1));
        assertThat(rowsByStream(thirdStream.packets())).containsExactly(Map.entry(0L, rowsWhere(0, 20, id -> id % 3 == 2)));
        assertThat(firstStream.packets()).hasSize(2);
    }

    @Test
    void fineGrainedShuffleSendsPartitionPToTunnelPModuloTunnelsAsStreamPDividedByTunnels() {
        Tunnel<OutboundPacket> first = remoteTunnel(0, UNBOUNDED);
        Tunnel<OutboundPacket> second = remoteTunnel(1, UNBOUNDED);
        TestingPartitioner partitioner = new TestingPartitioner(allocator, row -> (int) (long) (Long) row.get(0));
        ExchangeWriter writer = writer(ExchangeWriter.Mode.HASH, List.of(first, second), Compression.NONE, 3, partitioner);
        assertThat(writer.partitionCount()).isEqualTo(6);
        TestingPacketStream<OutboundPacket> firstStream = connect(first);
        TestingPacketStream<OutboundPacket> secondStream = connect(second);

        writer.write(batch(0, 12)); // every partition gets rows
        writer.write(batch(12, 14)); // partitions 0 and 1 only: stream 0 of each tunnel
        writer.write(batch(16, 17)); // partition 4 only: tunnel 0, stream 2
        writer.finish();

        assertThat(partitioner.partitionCounts()).containsExactly(6, 6, 6);
        // Receiver-minor: partition p goes to tunnel p % 2 as stream p / 2. One packet per tunnel
        // per batch that had rows for it, stream_ids parallel to chunks; the first packet of each
        // tunnel leads with one schema chunk per stream.
        List<OutboundPacket> firstPackets = firstStream.packets();
        assertThat(firstPackets).hasSize(3);
        assertThat(streamIds(firstPackets.get(0))).containsExactly(0L, 1L, 2L, 0L, 1L, 2L);
        assertThat(firstPackets.get(0).chunks().subList(0, 3)).allSatisfy(chunk -> assertThat(chunk).isSameAs(firstPackets.get(0).chunks().getFirst()));
        assertThat(streamIds(firstPackets.get(1))).containsExactly(0L);
        assertThat(streamIds(firstPackets.get(2))).containsExactly(2L);
        List<OutboundPacket> secondPackets = secondStream.packets();
        assertThat(secondPackets).hasSize(2);
        assertThat(streamIds(secondPackets.get(0))).containsExactly(0L, 1L, 2L, 0L, 1L, 2L);
        assertThat(streamIds(secondPackets.get(1))).containsExactly(0L);

        Map<Long, List<List<Object>>> firstRows = rowsByStream(firstPackets);
        Map<Long, List<List<Object>>> secondRows = rowsByStream(secondPackets);
        for (int partition = 0; partition < 6; partition++) {
            int p = partition;
            Map<Long, List<List<Object>>> tunnelRows = partition % 2 == 0 ? firstRows : secondRows;
            assertThat(tunnelRows.get((long) (partition / 2)))
                    .as("partition %d", partition)
                    .isEqualTo(rowsWhere(0, 17, id -> id % 6 == p && (id < 14 || id == 16)));
        }
    }

    @Test
    void finishSendsTheSchemaOfEveryStreamToRemoteTunnelsThatGotNothing() {
        Tunnel<OutboundPacket> busy = remoteTunnel(0, UNBOUNDED);
        Tunnel<OutboundPacket> idle = remoteTunnel(1, UNBOUNDED);
        Tunnel<LocalPacket> idleLocal = localTunnel(2, UNBOUNDED);
        TestingPartitioner partitioner = new TestingPartitioner(allocator, row -> 0);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.HASH, List.of(busy, idle, idleLocal), Compression.NONE, 2, partitioner);
        TestingPacketStream<OutboundPacket> busyStream = connect(busy);
        TestingPacketStream<OutboundPacket> idleStream = connect(idle);
        TestingPacketStream<LocalPacket> idleLocalStream = connect(idleLocal);

        writer.write(batch(0, 5));
        assertThat(idleStream.packets()).isEmpty();
        assertThat(writer.finish()).isDone();
        assertThat(writer.finish()).isDone();

        assertThat(busyStream.packets()).hasSize(1);
        assertThat(idleStream.packets()).singleElement().satisfies(packet -> {
            assertThat(packet.version()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.chunks()).hasSize(2);
            assertThat(streamIds(packet)).containsExactly(0L, 1L);
        });
        assertThat(rowsByStream(idleStream.packets())).containsOnly(Map.entry(0L, List.of()), Map.entry(1L, List.of()));
        assertThat(rowsByStream(busyStream.packets())).containsOnly(Map.entry(0L, rows(0, 5)), Map.entry(1L, List.of()));
        assertThat(idleLocalStream.packets()).isEmpty();
    }

    @Test
    void finishWithoutAnyInputSendsTheSchema() {
        Tunnel<OutboundPacket> tunnel = remoteTunnel(0, UNBOUNDED);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), Compression.ZSTD, 1, null);

        writer.finish();
        TestingPacketStream<OutboundPacket> stream = connect(tunnel);

        assertThat(stream.packets()).singleElement().satisfies(packet -> assertThat(packet.chunks()).hasSize(1));
        assertThat(rowsByStream(stream.packets())).containsExactly(Map.entry(0L, List.of()));
    }

    @Test
    void fineGrainedHashToAnAbortedLocalTunnelFreesEverySubBatch() {
        Tunnel<LocalPacket> aborted = localTunnel(0, UNBOUNDED);
        Tunnel<OutboundPacket> remote = remoteTunnel(1, UNBOUNDED);
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled");
        aborted.abort(cause);
        TestingPartitioner partitioner = new TestingPartitioner(allocator, row -> (int) (long) (Long) row.get(0));
        ExchangeWriter writer = writer(ExchangeWriter.Mode.HASH, List.of(aborted, remote), Compression.NONE, 3, partitioner);

        assertThatThrownBy(() -> writer.write(batch(0, 12))).isSameAs(cause);
        writer.close();
        // Every part is freed: the aborted tunnel's three streams and the remote tunnel's.
    }

    @Test
    void failingPartitionerStillFreesTheBatch() {
        Tunnel<OutboundPacket> tunnel = remoteTunnel(0, UNBOUNDED);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.HASH, List.of(tunnel), Compression.NONE, 1, (batch, partitionCount) -> {
            throw new IllegalStateException("cannot hash this");
        });

        assertThatThrownBy(() -> writer.write(batch(0, 3))).hasMessage("cannot hash this");
        writer.close();
    }

    // ----- flow control and misuse -----

    @Test
    void writeIsBlockedWhileATunnelIsOverItsBoundUntilTheReceiverDrainsIt() {
        Tunnel<OutboundPacket> slow = remoteTunnel(0, 1);
        Tunnel<LocalPacket> slowLocal = localTunnel(1, 1);
        Tunnel<OutboundPacket> fast = remoteTunnel(2, UNBOUNDED);
        TestingPacketStream<OutboundPacket> slowStream = notReady(slow);
        TestingPacketStream<LocalPacket> slowLocalStream = notReady(slowLocal);
        TestingPacketStream<OutboundPacket> fastStream = connect(fast);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.BROADCAST, List.of(slow, slowLocal, fast), Compression.NONE, 1, null);

        CompletableFuture<Void> blocked = writer.write(batch(0, 3));

        assertThat(blocked).isNotDone();
        assertThat(fastStream.packets()).hasSize(1);
        assertThat(slowStream.packets()).isEmpty();
        slowStream.setReady(true);
        slow.onReady();
        assertThat(slowStream.packets()).hasSize(1);
        // Still waiting for the local receiver.
        assertThat(blocked).isNotDone();
        slowLocalStream.setReady(true);
        slowLocal.onReady();
        assertThat(blocked).isCompleted();
        assertThat(localRows(slowLocalStream)).isEqualTo(rows(0, 3));

        // Within the bound again: the next write to a ready receiver is not blocked.
        assertThat(writer.write(batch(3, 4))).isDone();
        writer.finish();
    }

    @Test
    void writeAfterFinishIsRefusedAndTheBatchFreed() {
        Tunnel<OutboundPacket> tunnel = remoteTunnel(0, UNBOUNDED);
        connect(tunnel);
        ExchangeWriter writer = writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), Compression.NONE, 1, null);
        writer.finish();

        assertThatThrownBy(() -> writer.write(batch(0, 2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("write after finish");
        writer.close();
    }

    @Test
    void partitioningIsCheckedAtConstruction() {
        Tunnel<OutboundPacket> first = remoteTunnel(0, UNBOUNDED);
        Tunnel<OutboundPacket> second = remoteTunnel(1, UNBOUNDED);
        assertThatThrownBy(() -> writer(ExchangeWriter.Mode.PASS_THROUGH, List.of(first, second), Compression.NONE, 1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pass-through sends to exactly one tunnel, got 2");
        assertThatThrownBy(() -> writer(ExchangeWriter.Mode.BROADCAST, List.of(), Compression.NONE, 1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an exchange needs at least one tunnel");
        assertThatThrownBy(() -> writer(ExchangeWriter.Mode.HASH, List.of(first), Compression.NONE, 1, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("a hash exchange needs a partitioner");
        assertThatThrownBy(() -> writer(ExchangeWriter.Mode.BROADCAST, List.of(first), Compression.NONE, 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("streamCount must be at least 1: 0");
    }

    // ----- helpers -----

    private ExchangeWriter writer(ExchangeWriter.Mode mode, List<? extends Tunnel<?>> tunnels, Compression compression, int streamCount,
            ExchangeWriter.Partitioner partitioner) {
        return new ExchangeWriter(mode, List.copyOf(tunnels), SCHEMA, compression, streamCount, partitioner);
    }

    private static Tunnel<OutboundPacket> remoteTunnel(int receiver, long bufferLimitBytes) {
        return Tunnel.remote("tunnel to task " + receiver, bufferLimitBytes, 1, TunnelListener.NONE);
    }

    private static Tunnel<LocalPacket> localTunnel(int receiver, long bufferLimitBytes) {
        return Tunnel.local("local tunnel to task " + receiver, bufferLimitBytes, TunnelListener.NONE);
    }

    private <P extends TunnelPacket> TestingPacketStream<P> connect(Tunnel<P> tunnel) {
        TestingPacketStream<P> stream = new TestingPacketStream<>();
        streams.add(stream);
        tunnel.connect(stream);
        return stream;
    }

    private <P extends TunnelPacket> TestingPacketStream<P> notReady(Tunnel<P> tunnel) {
        TestingPacketStream<P> stream = TestingPacketStream.notReady();
        streams.add(stream);
        tunnel.connect(stream);
        return stream;
    }

    /** Rows {@code from} .. {@code to - 1}: id, "row id". */
    private VectorSchemaRoot batch(int from, int to) {
        return TestingBatches.batch(allocator, SCHEMA, IntStream.range(from, to).mapToObj(ExchangeWriterTest::row).toList());
    }

    private static Object[] row(int id) {
        return new Object[] {(long) id, "row " + id};
    }

    private static List<List<Object>> rows(int from, int to) {
        return rowsWhere(from, to, id -> true);
    }

    private static List<List<Object>> rowsWhere(int from, int to, IntPredicate filter) {
        return TestingBatches.asLists(IntStream.range(from, to).filter(filter).mapToObj(ExchangeWriterTest::row).toList());
    }

    private static List<Long> streamIds(OutboundPacket packet) {
        return IntStream.range(0, packet.streamIdCount()).mapToObj(packet::streamId).toList();
    }

    /** The rows of one remote tunnel by stream, decoding its chunks as a receiver would. */
    private Map<Long, List<List<Object>>> rowsByStream(List<OutboundPacket> packets) {
        Map<Long, ChunkDecoder> decoders = new LinkedHashMap<>();
        Map<Long, List<List<Object>>> rows = new LinkedHashMap<>();
        for (OutboundPacket packet : packets) {
            assertThat(packet.version()).isEqualTo(PacketFormat.ARROW_IPC_V1);
            assertThat(packet.streamIdCount()).isEqualTo(packet.chunks().size());
            for (int i = 0; i < packet.chunks().size(); i++) {
                long streamId = packet.streamId(i);
                ChunkDecoder decoder = decoders.computeIfAbsent(streamId, id -> new ChunkDecoder(allocator, "stream " + id));
                try (VectorSchemaRoot batch = decode(decoder, packet.chunks().get(i))) {
                    if (batch == null) {
                        assertThat(decoder.schema()).isEqualTo(SCHEMA);
                        rows.put(streamId, new ArrayList<>());
                    } else {
                        rows.get(streamId).addAll(TestingBatches.rows(batch));
                    }
                }
            }
        }
        return rows;
    }

    /** Copies the chunk into Arrow memory (a receiver's one copy) and decodes it. */
    private VectorSchemaRoot decode(ChunkDecoder decoder, EncodedChunk chunk) {
        try (ArrowBuf buffer = allocator.buffer(chunk.size())) {
            chunk.copyTo(buffer.nioBuffer(0, Math.toIntExact(chunk.size())));
            return decoder.decode(buffer.slice(0, chunk.size()));
        }
    }

    private static List<List<Object>> localRows(TestingPacketStream<LocalPacket> stream) {
        List<List<Object>> rows = new ArrayList<>();
        for (LocalPacket packet : stream.packets()) {
            try (VectorSchemaRoot batch = packet.takeBatch()) {
                assertThat(batch.getSchema()).isEqualTo(SCHEMA);
                rows.addAll(TestingBatches.rows(batch));
            }
        }
        return rows;
    }
}
