package io.mppnode.exchange.receiver;

import static io.mppnode.exchange.codec.TestingBatches.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.codec.TestingBatches;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.receiver.TestingExchangeConnector.Local;
import io.mppnode.exchange.receiver.TestingExchangeConnector.Remote;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.TaskMeta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExchangeReceiverTest {
    private static final Schema SCHEMA = new Schema(List.of(field("id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE)));
    private static final String NAME = "receiver of task 7";
    private static final TaskMeta RECEIVER = TaskMeta.newBuilder().setTaskId(7).setAddress("10.0.0.7:20170").build();
    private static final ExchangeSource FIRST = remoteSource(1);
    private static final ExchangeSource SECOND = remoteSource(2);
    private static final ExchangeSource LOCAL = new ExchangeSource(
            TaskMeta.newBuilder().setTaskId(3).setAddress("10.0.0.7:20170").build(), RECEIVER, true);
    private static final long UNBOUNDED = 1L << 30;

    private RootAllocator root;
    private BufferAllocator senderAllocator;
    private BufferAllocator receiverAllocator;
    private ScheduledExecutorService timer;
    private final TestingExchangeConnector connector = new TestingExchangeConnector();
    private final ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
    private final List<ExchangeReceiver> receivers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        root = new RootAllocator();
        senderAllocator = root.newChildAllocator("sender", 0, Long.MAX_VALUE);
        receiverAllocator = root.newChildAllocator("receiver", 0, Long.MAX_VALUE);
        timer = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        receivers.forEach(ExchangeReceiver::close);
        timer.shutdownNow();
        assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
        receiverAllocator.close();
        senderAllocator.close();
        assertThat(root.getAllocatedMemory()).isZero();
        root.close();
    }

    // ----- merging -----

    @Test
    void mergesEverySourceInArrivalOrderAndFinishesWhenAllHaveCompleted() {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);
        Remote first = connector.remote(FIRST);
        Remote second = connector.remote(SECOND);
        Local local = connector.local(LOCAL);
        assertThat(first.requested()).isEqualTo(1);
        assertThat(second.requested()).isEqualTo(1);
        assertThat(receiver.isBlocked()).isNotDone();
        assertThat(receiver.poll()).isNull();
        assertThat(receiver.isFinished()).isFalse();

        first.deliver(firstPacket(0, 3));
        assertThat(receiver.isBlocked()).isDone();
        local.end().send(localPacket(10, 12));
        // The local batch moved into the receiver's allocator: nothing left on the sender's.
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
        second.deliver(firstPacket(20, 21));
        first.deliver(nextPacket(3, 5));

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 3));
        assertThat(takeOne(receiver, 2)).isEqualTo(rows(10, 12));
        assertThat(takeOne(receiver, 1)).isEqualTo(rows(20, 21));
        assertThat(takeOne(receiver, 0)).isEqualTo(rows(3, 5));
        assertThat(receiver.poll()).isNull();
        CompletableFuture<Void> blocked = receiver.isBlocked();
        assertThat(blocked).isNotDone();

        first.complete();
        local.end().complete();
        assertThat(blocked).isNotDone();
        assertThat(receiver.isFinished()).isFalse();
        second.complete();

        assertThat(blocked).isDone();
        assertThat(receiver.isFinished()).isTrue();
        assertThat(receiver.poll()).isNull();
        assertThat(first.isCancelled()).isFalse();
        assertThat(local.isCancelled()).isFalse();
    }

    @Test
    void batchesComeOutUnderTheExpectedColumnNames() {
        Schema senderSchema = new Schema(List.of(field("_col0", new ArrowType.Int(64, true)), field("_col1", ArrowType.Utf8.INSTANCE)));
        ExchangeReceiver receiver = start(List.of(FIRST, LOCAL), UNBOUNDED);

        connector.remote(FIRST).deliver(firstPacket(senderSchema, 0, 2));
        connector.local(LOCAL).end().send(LocalPacket.ofBatch(batch(senderSchema, 2, 4), 0));

        for (int i = 0; i < 2; i++) {
            ReceivedBatch received = receiver.poll();
            try (VectorSchemaRoot batch = received.batch()) {
                assertThat(batch.getSchema()).isEqualTo(SCHEMA);
                assertThat(TestingBatches.rows(batch)).isEqualTo(rows(2 * i, 2 * i + 2));
            }
        }
    }

    @Test
    void fineGrainedStreamsAreDecodedApartAndKeepTheirStreamIds() {
        ExchangeReceiver receiver = start(List.of(FIRST), UNBOUNDED);
        Remote first = connector.remote(FIRST);

        // Two streams in one packet: a schema chunk each, then a batch each.
        first.deliver(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1,
                List.of(encoder.encodeSchema(SCHEMA), encoder.encodeSchema(SCHEMA), encode(0, 2), encode(2, 5)), new long[] {4, 9, 9, 4}));
        first.deliver(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, List.of(encode(5, 6)), new long[] {9}));

        List<Long> streamIds = new ArrayList<>();
        List<List<List<Object>>> rows = new ArrayList<>();
        ReceivedBatch received;
        while ((received = receiver.poll()) != null) {
            streamIds.add(received.streamId());
            try (VectorSchemaRoot batch = received.batch()) {
                rows.add(TestingBatches.rows(batch));
            }
        }
        assertThat(streamIds).containsExactly(9L, 4L, 9L);
        assertThat(rows).containsExactly(rows(0, 2), rows(2, 5), rows(5, 6));
    }

    @Test
    void collectsTheTrailingDataOfEverySource() {
        ExchangeReceiver receiver = start(List.of(FIRST, LOCAL), UNBOUNDED);
        Remote first = connector.remote(FIRST);
        Local local = connector.local(LOCAL);

        first.deliver(firstPacket(0, 2));
        local.end().send(LocalPacket.ofData(ByteString.copyFromUtf8("summaries of task 3")));
        first.deliver(OutboundPacket.ofData(PacketFormat.ARROW_IPC_V1, ByteString.copyFromUtf8("summaries of task 1")));
        first.complete();
        local.end().complete();

        assertThat(receiver.trailingData()).containsExactly(
                ByteString.copyFromUtf8("summaries of task 3"), ByteString.copyFromUtf8("summaries of task 1"));
        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 2));
        assertThat(receiver.isFinished()).isTrue();
    }

    @Test
    void receiverWithoutSourcesIsFinishedAtOnce() {
        ExchangeReceiver receiver = start(List.of(), UNBOUNDED);

        assertThat(receiver.isBlocked()).isDone();
        assertThat(receiver.isFinished()).isTrue();
        assertThat(receiver.poll()).isNull();
    }

    // ----- flow control -----

    @Test
    void remoteSourceIsAskedForMoreOnlyWhileTheBufferHasRoom() {
        long batchBytes = batchBytes(3);
        long bound = batchBytes * 5 / 2;
        ExchangeReceiver receiver = start(List.of(FIRST), bound);
        Remote first = connector.remote(FIRST);
        assertThat(first.requested()).isEqualTo(1);

        first.deliver(firstPacket(0, 3));
        assertThat(first.requested()).isEqualTo(2);
        first.deliver(nextPacket(3, 6));
        assertThat(first.requested()).isEqualTo(3);
        first.deliver(nextPacket(6, 9));
        // Three batches: over the bound. The source is not asked for more.
        assertThat(receiver.bufferedBytes()).isEqualTo(3 * batchBytes);
        assertThat(first.requested()).isEqualTo(3);
        assertThat(first.credits()).isZero();

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 3));
        assertThat(first.requested()).isEqualTo(4);
        // The packet asked for fills the buffer again: nothing more is asked for.
        first.deliver(nextPacket(9, 12));
        assertThat(first.requested()).isEqualTo(4);
        assertThat(receiver.bufferedBytes()).isEqualTo(3 * batchBytes);

        // Many more packets: the buffer never holds more than the bound and one packet.
        int next = 12;
        List<List<Object>> taken = new ArrayList<>(rows(3, 12));
        List<List<Object>> received = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            while (first.credits() > 0) {
                first.deliver(nextPacket(next, next + 3));
                taken.addAll(rows(next, next + 3));
                next += 3;
                assertThat(receiver.bufferedBytes()).isLessThanOrEqualTo(bound + batchBytes);
            }
            received.addAll(takeAny(receiver));
        }
        first.complete();
        ReceivedBatch rest;
        while ((rest = receiver.poll()) != null) {
            try (VectorSchemaRoot batch = rest.batch()) {
                received.addAll(TestingBatches.rows(batch));
            }
        }
        assertThat(received).isEqualTo(taken);
        assertThat(receiver.isFinished()).isTrue();
    }

    @Test
    void localEndIsNotReadyWhileTheBufferIsFullAndTheTunnelIsToldWhenThereIsRoom() {
        long batchBytes = batchBytes(3);
        long bound = batchBytes * 5 / 2;
        ExchangeReceiver receiver = start(List.of(LOCAL), bound);
        Local local = connector.local(LOCAL);

        assertThat(local.end().isReady()).isTrue();
        local.end().send(localPacket(0, 3));
        local.end().send(localPacket(3, 6));
        assertThat(local.end().isReady()).isTrue();
        local.end().send(localPacket(6, 9));
        assertThat(local.end().isReady()).isFalse();
        assertThat(local.readyCalls()).isZero();

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 3));
        assertThat(local.readyCalls()).isEqualTo(1);
        assertThat(local.end().isReady()).isTrue();
        // Room again does not mean an empty buffer: the next poll, still under the bound, tells nobody.
        assertThat(takeOne(receiver, 0)).isEqualTo(rows(3, 6));
        assertThat(local.readyCalls()).isEqualTo(1);
        assertThat(takeOne(receiver, 0)).isEqualTo(rows(6, 9));
        local.end().complete();
        assertThat(receiver.isFinished()).isTrue();
    }

    @Test
    void localTunnelSendsWhileTheReceiverHasRoomAndTheRestWhenItPolls() {
        long batchBytes = batchBytes(3);
        long bound = batchBytes * 3 / 2;
        ExchangeReceiver receiver = start(List.of(LOCAL), bound);
        Tunnel<LocalPacket> tunnel = Tunnel.local("local tunnel from task 3 to task 7", UNBOUNDED, TunnelListener.NONE);
        ExchangeWriter writer = new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), SCHEMA, Compression.NONE, 1, null);
        for (int i = 0; i < 5; i++) {
            writer.write(batch(SCHEMA, 3 * i, 3 * i + 3));
        }
        writer.finish();
        tunnel.finish();

        connector.local(LOCAL).attach(tunnel);

        // Two batches fill the buffer; the other three wait in the tunnel, on the sender's memory.
        assertThat(receiver.bufferedBytes()).isEqualTo(2 * batchBytes);
        assertThat(tunnel.bufferedPackets()).isEqualTo(3);
        List<List<Object>> received = new ArrayList<>();
        while (!receiver.isFinished()) {
            assertThat(receiver.bufferedBytes()).isLessThanOrEqualTo(bound + batchBytes);
            received.addAll(takeAny(receiver));
        }
        assertThat(received).isEqualTo(rows(0, 15));
        assertThat(tunnel.done()).isCompleted();
        assertThat(connector.local(LOCAL).readyCalls()).isPositive();
    }

    @Test
    void remoteAndLocalSourcesShareOneBoundWithOnePacketInFlightPerSource() {
        long batchBytes = batchBytes(3);
        long bound = batchBytes * 5 / 2;
        ExchangeReceiver receiver = start(List.of(FIRST, LOCAL), bound);
        Remote first = connector.remote(FIRST);
        Local local = connector.local(LOCAL);

        first.deliver(firstPacket(0, 3));
        local.end().send(localPacket(3, 6));
        first.deliver(nextPacket(6, 9));
        assertThat(local.end().isReady()).isFalse();
        assertThat(first.credits()).isZero();
        assertThat(receiver.bufferedBytes()).isLessThanOrEqualTo(bound + batchBytes);

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 3));
        // Both sources may send again: the remote one is asked for a packet, the tunnel told.
        assertThat(first.credits()).isEqualTo(1);
        assertThat(local.readyCalls()).isEqualTo(1);
        assertThat(local.end().isReady()).isTrue();
        local.end().send(localPacket(9, 12));
        first.deliver(nextPacket(12, 15));
        // One packet in flight per source: at most the bound and one packet from each.
        assertThat(receiver.bufferedBytes()).isLessThanOrEqualTo(bound + 2 * batchBytes);
        assertThat(first.credits()).isZero();
        assertThat(local.end().isReady()).isFalse();
    }

    // ----- retries -----

    @Test
    void connectFailureBeforeAnyPacketIsRetried() throws InterruptedException {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND), UNBOUNDED);
        Remote failed = connector.remote(FIRST);

        failed.fail(unavailable(), true);

        Remote retried = connector.awaitRemote(FIRST, 1).awaitRequested(1);
        assertThat(retried).isNotSameAs(failed);
        assertThat(retried.requested()).isEqualTo(1);
        retried.deliver(firstPacket(0, 2));
        retried.complete();
        connector.remote(SECOND).complete();

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 2));
        assertThat(receiver.isFinished()).isTrue();
        assertThat(connector.openCount(FIRST)).isEqualTo(2);
        assertThat(connector.openCount(SECOND)).isEqualTo(1);
    }

    @Test
    void givesUpAfterTheConnectAttemptsAndNamesTheSource() throws InterruptedException {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);
        connector.remote(SECOND).deliver(firstPacket(0, 2));
        assertThat(receiverAllocator.getAllocatedMemory()).isPositive();

        for (int attempt = 0; attempt < ExchangeReceiver.CONNECT_ATTEMPTS; attempt++) {
            connector.awaitRemote(FIRST, attempt).awaitRequested(1).fail(unavailable(), true);
        }

        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED))
                .hasMessage(NAME + ": the connection to task 1 at 10.0.0.1:20170 failed (" + ExchangeReceiver.CONNECT_ATTEMPTS
                        + " attempts): gRPC UNAVAILABLE: io exception");
        assertThat(receiver.isBlocked()).isDone();
        assertThat(receiver.isFinished()).isFalse();
        assertOthersCancelled(FIRST);
        // The buffered batch was freed with the failure, not only at close.
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        // No further attempt is scheduled.
        timer.shutdown();
        assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(connector.openCount(FIRST)).isEqualTo(ExchangeReceiver.CONNECT_ATTEMPTS);
    }

    @Test
    void connectFailureReportedWhileOpeningIsRetriedToo() throws Exception {
        connector.failOpens(FIRST, 1, unavailable());
        ExchangeReceiver receiver = start(List.of(FIRST), UNBOUNDED);

        Remote retried = connector.awaitRemote(FIRST, 1).awaitRequested(1);
        retried.deliver(firstPacket(0, 2));
        retried.complete();

        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 2));
        assertThat(receiver.isFinished()).isTrue();
        assertThat(connector.openCount(FIRST)).isEqualTo(2);
    }

    @Test
    void connectFailuresReportedWhileOpeningGiveUpAfterTheConnectAttempts() throws Exception {
        connector.failOpens(FIRST, ExchangeReceiver.CONNECT_ATTEMPTS, unavailable());
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);

        // The retries run on the timer: wait for the receiver to give up (a guard, not a timing).
        receiver.isBlocked().get(30, TimeUnit.SECONDS);

        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED))
                .hasMessage(NAME + ": the connection to task 1 at 10.0.0.1:20170 failed (" + ExchangeReceiver.CONNECT_ATTEMPTS
                        + " attempts): gRPC UNAVAILABLE: io exception");
        assertOthersCancelled(FIRST);
        assertThat(connector.openCount(FIRST)).isEqualTo(ExchangeReceiver.CONNECT_ATTEMPTS);
    }

    @Test
    void failureAfterTheFirstPacketIsNotRetried() throws InterruptedException {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);
        Remote first = connector.remote(FIRST);
        first.deliver(firstPacket(0, 3));

        first.fail(unavailable(), true);

        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED))
                .hasMessage(NAME + ": the connection to task 1 at 10.0.0.1:20170 broke after data had arrived: gRPC UNAVAILABLE: io exception");
        assertOthersCancelled(FIRST);
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        timer.shutdown();
        assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(connector.openCount(FIRST)).isEqualTo(1);
    }

    @Test
    void streamErrorThatIsNotAConnectFailureIsNotRetried() {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);

        connector.remote(FIRST).fail(new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded while receiving"), false);

        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_LIMIT_EXCEEDED))
                .hasMessageContaining("task 1 at 10.0.0.1:20170")
                .hasMessageContaining("memory limit exceeded while receiving");
        assertOthersCancelled(FIRST);
        assertThat(connector.openCount(FIRST)).isEqualTo(1);
    }

    // ----- errors from the sources -----

    @Test
    void errorPacketOfARemoteSourceFailsTheReceiverNamingTheSource() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        MppException cause = new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor 'hash_agg_2'");

        connector.remote(FIRST).deliver(OutboundPacket.ofError(cause.toWire(1)));

        assertFailed(receiver, FIRST, ErrorCode.MEMORY_LIMIT_EXCEEDED,
                NAME + ": task 1 at 10.0.0.1:20170 failed: memory limit exceeded in executor 'hash_agg_2'");
    }

    @Test
    void errorPacketOfALocalSourceFailsTheReceiverNamingTheSource() {
        ExchangeReceiver receiver = startWithABufferedBatch();

        connector.local(LOCAL).end().send(LocalPacket.ofError(new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled")));

        assertFailed(receiver, LOCAL, ErrorCode.QUERY_CANCELLED, NAME + ": task 3 at 10.0.0.7:20170 failed: query 42 was cancelled");
    }

    @Test
    void unknownPacketVersionFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        OutboundPacket packet = firstPacket(0, 2);
        MPPDataPacket unknown = packet.toProto().toBuilder().setVersion(7).build();
        packet.close();

        connector.remote(FIRST).deliver(unknown);

        assertBadPacket(receiver, FIRST, "unknown data packet version 7 (this node reads version 1)");
    }

    @Test
    void streamIdsThatAreNotOnePerChunkFailTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        OutboundPacket packet = firstPacket(0, 2);
        MPPDataPacket mismatched = packet.toProto().toBuilder().clearStreamIds().addStreamIds(0).build();
        packet.close();

        connector.remote(FIRST).deliver(mismatched);

        assertBadPacket(receiver, FIRST, "1 stream_ids for 2 chunks");
    }

    @Test
    void chunkThatIsNotArrowIpcFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();

        connector.remote(FIRST).deliver(MPPDataPacket.newBuilder()
                .setVersion(PacketFormat.ARROW_IPC_V1)
                .addChunks(ByteString.copyFromUtf8("this is a CSV line, not an Arrow IPC message"))
                .build());

        assertBadPacket(receiver, FIRST, "the message claims");
    }

    @Test
    void emptyChunkFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();

        connector.remote(FIRST).deliver(MPPDataPacket.newBuilder()
                .setVersion(PacketFormat.ARROW_IPC_V1)
                .addChunks(ByteString.EMPTY)
                .build());

        assertBadPacket(receiver, FIRST, "empty chunk");
    }

    @Test
    void truncatedChunkFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        OutboundPacket packet = firstPacket(0, 50);
        MPPDataPacket proto = packet.toProto();
        packet.close();
        ByteString batchChunk = proto.getChunks(1);
        MPPDataPacket truncated = proto.toBuilder().setChunks(1, batchChunk.substring(0, batchChunk.size() / 2)).build();

        connector.remote(FIRST).deliver(truncated);

        assertBadPacket(receiver, FIRST, "the message claims a body of");
    }

    @Test
    void recordBatchBeforeTheSchemaFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();

        connector.remote(FIRST).deliver(nextPacket(0, 2));

        assertBadPacket(receiver, FIRST, "a record batch arrived before the schema");
    }

    @Test
    void remoteSchemaThatDoesNotMatchFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        Schema other = new Schema(List.of(field("id", new ArrowType.Int(32, true)), field("name", ArrowType.Utf8.INSTANCE)));

        connector.remote(FIRST).deliver(OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, List.of(encoder.encodeSchema(other)), new long[] {0}));

        assertBadPacket(receiver, FIRST, "its schema does not match the receiver's: expected (id Int(64, true), name Utf8), "
                + "got (id Int(32, true), name Utf8)");
    }

    @Test
    void localSchemaThatDoesNotMatchFailsTheReceiver() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        Schema other = new Schema(List.of(field("id", new ArrowType.Int(64, true))));

        connector.local(LOCAL).end().send(LocalPacket.ofBatch(TestingBatches.batch(senderAllocator, other, List.<Object[]>of(new Object[] {1L})), 0));

        assertFailed(receiver, LOCAL, ErrorCode.REMOTE_TASK_FAILED, NAME + ": bad data packet from task 3 at 10.0.0.7:20170: "
                + "its schema does not match the receiver's: expected (id Int(64, true), name Utf8), got (id Int(64, true))");
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
    }

    @Test
    void badBatchFromALocalTunnelAbortsTheTunnelAndFreesWhatItHeld() {
        ExchangeReceiver receiver = start(List.of(FIRST, LOCAL), UNBOUNDED);
        Schema other = new Schema(List.of(field("id", new ArrowType.Int(32, true)), field("name", ArrowType.Utf8.INSTANCE)));
        Tunnel<LocalPacket> tunnel = Tunnel.local("local tunnel from task 3 to task 7", UNBOUNDED, TunnelListener.NONE);
        ExchangeWriter writer = new ExchangeWriter(ExchangeWriter.Mode.PASS_THROUGH, List.of(tunnel), other, Compression.NONE, 1, null);
        for (int i = 0; i < 2; i++) {
            writer.write(TestingBatches.batch(senderAllocator, other, List.<Object[]>of(new Object[] {i, "row " + i})));
        }
        writer.finish();
        tunnel.finish();

        // The first batch fails the receiver, which cancels the tunnel while it is sending.
        connector.local(LOCAL).attach(tunnel);

        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REMOTE_TASK_FAILED))
                .hasMessageStartingWith(NAME + ": bad data packet from task 3 at 10.0.0.7:20170: its schema does not match");
        assertThat(connector.remote(FIRST).isCancelled()).isTrue();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.done()).isCompletedExceptionally();
        assertThat(tunnel.done().exceptionNow())
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RECEIVER_GONE));
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
    }

    @Test
    void afterAFailurePacketsStillArrivingAreFreed() {
        ExchangeReceiver receiver = startWithABufferedBatch();
        connector.remote(FIRST).deliver(OutboundPacket.ofError(new MppException(ErrorCode.QUERY_CANCELLED, "cancelled").toWire(1)));

        connector.remote(SECOND).deliver(nextPacket(2, 4));
        connector.local(LOCAL).end().send(localPacket(4, 6));

        assertThatThrownBy(receiver::poll).isInstanceOf(MppException.class);
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
    }

    @Test
    void broadcastToTwoLocalReceiversMovesTheSharedBuffersIntoEachReceiversAllocator() {
        BufferAllocator otherAllocator = root.newChildAllocator("other receiver", 0, Long.MAX_VALUE);
        TestingExchangeConnector otherConnector = new TestingExchangeConnector();
        ExchangeReceiver receiver = start(List.of(LOCAL), UNBOUNDED);
        ExchangeReceiver other = new ExchangeReceiver("receiver of task 8", List.of(LOCAL), SCHEMA, otherAllocator, UNBOUNDED,
                otherConnector, timer, ExchangeMetrics.unregistered());
        other.start();
        Tunnel<LocalPacket> toReceiver = Tunnel.local("local tunnel from task 3 to task 7", UNBOUNDED, TunnelListener.NONE);
        Tunnel<LocalPacket> toOther = Tunnel.local("local tunnel from task 3 to task 8", UNBOUNDED, TunnelListener.NONE);
        ExchangeWriter writer = new ExchangeWriter(ExchangeWriter.Mode.BROADCAST, List.of(toReceiver, toOther), SCHEMA,
                Compression.NONE, 1, null);
        connector.local(LOCAL).attach(toReceiver);
        otherConnector.local(LOCAL).attach(toOther);

        writer.write(batch(SCHEMA, 0, 100));
        writer.finish();
        toReceiver.finish();
        toOther.finish();

        // The sender keeps nothing; the buffers are accounted to one receiver, not copied.
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
        assertThat(receiverAllocator.getAllocatedMemory() + otherAllocator.getAllocatedMemory()).isPositive();
        ReceivedBatch fromOther = other.poll();
        // One receiver lets go of the shared buffers while the other still reads them.
        assertThat(takeOne(receiver, 0)).isEqualTo(rows(0, 100));
        try (VectorSchemaRoot batch = fromOther.batch()) {
            assertThat(TestingBatches.rows(batch)).isEqualTo(rows(0, 100));
        }
        assertThat(receiver.isFinished()).isTrue();
        assertThat(other.isFinished()).isTrue();
        other.close();
        assertThat(otherAllocator.getAllocatedMemory()).isZero();
        otherAllocator.close();
    }

    // ----- close -----

    @Test
    void closeCancelsEveryConnectionAndFreesTheBufferedBatches() {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);
        Remote first = connector.remote(FIRST);
        Local local = connector.local(LOCAL);
        first.deliver(firstPacket(0, 3));
        local.end().send(localPacket(3, 6));
        assertThat(receiverAllocator.getAllocatedMemory()).isPositive();

        receiver.close();

        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThat(first.cancels()).containsExactly("the receiver " + NAME + " was closed");
        assertThat(connector.remote(SECOND).isCancelled()).isTrue();
        assertThat(local.isCancelled()).isTrue();
        assertThat(receiver.isBlocked()).isDone();
        assertThat(receiver.poll()).isNull();

        // What still arrives is freed at once.
        first.deliver(nextPacket(6, 9));
        local.end().send(localPacket(9, 12));
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
        receiver.close();
    }

    @Test
    void closeReturnsOnlyOnceNoConnectionIsStillDeliveringIntoTheAllocator() throws Exception {
        // The transport's callbacks run on its own threads: one may be parsing a packet into the
        // receiver's allocator as the receiver closes. close() must not return before that
        // callback ended, or the task would close the allocator under it.
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND), UNBOUNDED);
        Remote first = connector.remote(FIRST);
        first.holdTermination();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(receiver::close);
        first.awaitCancelled();

        // Still under way after the cancel: a packet arrives and must be freed at once.
        first.deliver(firstPacket(0, 3));
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThatThrownBy(() -> closing.get(200, TimeUnit.MILLISECONDS))
                .as("close() returned while a connection was still delivering")
                .isInstanceOf(TimeoutException.class);

        first.terminate();
        assertThat(closing).succeedsWithin(Duration.ofSeconds(30));
        assertThat(connector.remote(SECOND).isCancelled()).isTrue();
    }

    // ----- helpers -----

    private static ExchangeSource remoteSource(int taskId) {
        return new ExchangeSource(TaskMeta.newBuilder().setTaskId(taskId).setAddress("10.0.0." + taskId + ":20170").build(), RECEIVER, false);
    }

    private ExchangeReceiver start(List<ExchangeSource> sources, long bufferLimitBytes) {
        ExchangeReceiver receiver = new ExchangeReceiver(NAME, sources, SCHEMA, receiverAllocator, bufferLimitBytes, connector, timer,
                ExchangeMetrics.unregistered());
        receivers.add(receiver);
        receiver.start();
        return receiver;
    }

    /** Sources FIRST, SECOND and LOCAL, with a batch of SECOND's buffered. */
    private ExchangeReceiver startWithABufferedBatch() {
        ExchangeReceiver receiver = start(List.of(FIRST, SECOND, LOCAL), UNBOUNDED);
        connector.remote(SECOND).deliver(firstPacket(0, 2));
        assertThat(receiverAllocator.getAllocatedMemory()).isPositive();
        return receiver;
    }

    private void assertBadPacket(ExchangeReceiver receiver, ExchangeSource source, String problem) {
        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REMOTE_TASK_FAILED))
                .hasMessageStartingWith(NAME + ": bad data packet from " + source.name() + ": ")
                .hasMessageContaining(problem);
        assertFailureCleanedUp(receiver, source);
    }

    private void assertFailed(ExchangeReceiver receiver, ExchangeSource source, ErrorCode code, String message) {
        assertThatThrownBy(receiver::poll)
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(code))
                .hasMessage(message);
        assertFailureCleanedUp(receiver, source);
    }

    /** The failure sticks, every other connection is cancelled, and nothing stays buffered. */
    private void assertFailureCleanedUp(ExchangeReceiver receiver, ExchangeSource culprit) {
        assertThatThrownBy(receiver::poll).isInstanceOf(MppException.class);
        assertThat(receiver.isBlocked()).isDone();
        assertThat(receiver.isFinished()).isFalse();
        assertThat(receiver.bufferedBytes()).isZero();
        assertOthersCancelled(culprit);
        assertThat(receiverAllocator.getAllocatedMemory()).isZero();
        assertThat(senderAllocator.getAllocatedMemory()).isZero();
    }

    private void assertOthersCancelled(ExchangeSource culprit) {
        for (ExchangeSource source : List.of(FIRST, SECOND, LOCAL)) {
            if (source.equals(culprit)) {
                continue;
            }
            if (source.local()) {
                assertThat(connector.local(source).isCancelled()).as("%s cancelled", source.name()).isTrue();
            } else {
                assertThat(connector.remote(source).isCancelled()).as("%s cancelled", source.name()).isTrue();
            }
        }
    }

    private static MppException unavailable() {
        return new MppException(ErrorCode.CONNECTION_FAILED, "gRPC UNAVAILABLE: io exception");
    }

    /** The first packet of a stream: the schema chunk and a batch of rows {@code from .. to - 1}. */
    private OutboundPacket firstPacket(int from, int to) {
        return firstPacket(SCHEMA, from, to);
    }

    private OutboundPacket firstPacket(Schema schema, int from, int to) {
        EncodedChunk batch;
        try (VectorSchemaRoot root = batch(schema, from, to)) {
            batch = encoder.encodeBatch(root);
        }
        return OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, List.of(encoder.encodeSchema(schema), batch), new long[] {0, 0});
    }

    private OutboundPacket nextPacket(int from, int to) {
        return OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, List.of(encode(from, to)), new long[] {0});
    }

    private EncodedChunk encode(int from, int to) {
        try (VectorSchemaRoot root = batch(SCHEMA, from, to)) {
            return encoder.encodeBatch(root);
        }
    }

    private LocalPacket localPacket(int from, int to) {
        return LocalPacket.ofBatch(batch(SCHEMA, from, to), 0);
    }

    /** Rows {@code from} .. {@code to - 1}: id, "row 0042" (every name as long as every other). */
    private VectorSchemaRoot batch(Schema schema, int from, int to) {
        return TestingBatches.batch(senderAllocator, schema, IntStream.range(from, to).mapToObj(ExchangeReceiverTest::row).toList());
    }

    private static Object[] row(int id) {
        return new Object[] {(long) id, "row %04d".formatted(id)};
    }

    private static List<List<Object>> rows(int from, int to) {
        return TestingBatches.asLists(IntStream.range(from, to).mapToObj(ExchangeReceiverTest::row).toList());
    }

    /** What the receiver counts for a batch of {@code rows} rows of SCHEMA. */
    private long batchBytes(int rows) {
        try (VectorSchemaRoot batch = batch(SCHEMA, 0, rows)) {
            long bytes = 0;
            for (FieldVector vector : batch.getFieldVectors()) {
                bytes += vector.getBufferSize();
            }
            return bytes;
        }
    }

    /** Polls one batch, which must come from the given source, and returns its rows. */
    private static List<List<Object>> takeOne(ExchangeReceiver receiver, int sourceIndex) {
        ReceivedBatch received = receiver.poll();
        assertThat(received).isNotNull();
        assertThat(received.sourceIndex()).isEqualTo(sourceIndex);
        try (VectorSchemaRoot batch = received.batch()) {
            assertThat(batch.getSchema()).isEqualTo(SCHEMA);
            return TestingBatches.rows(batch);
        }
    }

    /** Polls one batch if there is one, and returns its rows. */
    private static List<List<Object>> takeAny(ExchangeReceiver receiver) {
        ReceivedBatch received = receiver.poll();
        if (received == null) {
            return List.of();
        }
        try (VectorSchemaRoot batch = received.batch()) {
            return TestingBatches.rows(batch);
        }
    }
}
