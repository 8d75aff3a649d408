package io.mppnode.exchange.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.OutboundPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class TunnelTest {
    private static final String NAME = "tunnel from task 1 to task 2 of query 42";
    private static final long MPP_VERSION = 3;
    /** Every test packet has this size. */
    private static final int PACKET_BYTES = 100;

    private final List<Long> sentBytes = new ArrayList<>();
    private long bufferedBytes;
    private int writerBlockedCount;
    private final TunnelListener listener = new TunnelListener() {
        @Override
        public void packetSent(long bytes) {
            sentBytes.add(bytes);
        }

        @Override
        public void bufferedBytesChanged(long delta) {
            bufferedBytes += delta;
        }

        @Override
        public void writerBlocked(long nanos) {
            writerBlockedCount++;
        }
    };

    @Test
    void packetsWrittenBeforeConnectAreSentOnConnectInOrder() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        List<TestingPacket> written = List.of(packet(1), packet(2), packet(3));
        for (TestingPacket packet : written) {
            assertThat(tunnel.write(packet)).isDone();
        }
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.WAITING_FOR_RECEIVER);
        assertThat(tunnel.bufferedPackets()).isEqualTo(3);
        assertThat(tunnel.bufferedBytes()).isEqualTo(3 * PACKET_BYTES);
        assertThat(bufferedBytes).isEqualTo(3 * PACKET_BYTES);
        assertThat(tunnel.connected()).isNotDone();

        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(stream.packets()).containsExactlyElementsOf(written);
        assertThat(stream.isCompleted()).isFalse();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.CONNECTED);
        assertThat(tunnel.connected()).isCompleted();
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(tunnel.bufferedBytes()).isZero();
        assertThat(bufferedBytes).isZero();
        assertThat(sentBytes).containsExactly((long) PACKET_BYTES, (long) PACKET_BYTES, (long) PACKET_BYTES);
        // The tunnel handed the packets over: it closes none of them.
        assertThat(written).noneMatch(TestingPacket::isClosed);
    }

    @Test
    void packetWrittenToAReadyReceiverIsSentAtOnce() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(tunnel.write(packet(1))).isDone();
        assertThat(ids(stream)).containsExactly(1);
        assertThat(tunnel.write(packet(2))).isDone();
        assertThat(ids(stream)).containsExactly(1, 2);
        assertThat(tunnel.bufferedBytes()).isZero();
    }

    @Test
    void packetsWaitWhileTheTransportIsNotReadyAndGoOutOnReady() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.write(packet(2));
        tunnel.write(packet(3));
        assertThat(stream.packets()).isEmpty();

        // Becoming ready alone sends nothing: the transport tells the tunnel with onReady.
        stream.allow(1);
        assertThat(stream.packets()).isEmpty();
        tunnel.onReady();
        assertThat(ids(stream)).containsExactly(1);
        assertThat(tunnel.bufferedPackets()).isEqualTo(2);

        stream.setReady(true);
        tunnel.onReady();
        assertThat(ids(stream)).containsExactly(1, 2, 3);
        assertThat(tunnel.bufferedPackets()).isZero();
    }

    @Test
    void writerWaitsWhileTheBufferIsOverItsBoundInBytes() {
        Tunnel<TestingPacket> tunnel = tunnel(250);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);

        assertThat(tunnel.write(packet(1))).isDone(); // 100 bytes
        assertThat(tunnel.write(packet(2))).isDone(); // 200 bytes
        CompletableFuture<Void> writable = tunnel.write(packet(3)); // 300 bytes: over the bound
        assertThat(writable).isNotDone();
        assertThat(tunnel.bufferedBytes()).isEqualTo(300);
        // A writer that does not wait is still taken, and is told to wait on the same future.
        assertThat(tunnel.write(packet(4))).isSameAs(writable);
        assertThat(tunnel.bufferedBytes()).isEqualTo(400);

        // Draining to 300 bytes, then 200: still over the bound, then within it.
        stream.allow(1);
        tunnel.onReady();
        assertThat(tunnel.bufferedBytes()).isEqualTo(300);
        assertThat(writable).isNotDone();
        stream.allow(1);
        tunnel.onReady();
        assertThat(tunnel.bufferedBytes()).isEqualTo(200);
        assertThat(writable).isCompleted();
        assertThat(writerBlockedCount).isEqualTo(1);

        // A write that keeps the buffer within the bound is not blocked; one that goes over is.
        stream.allow(1);
        tunnel.onReady();
        assertThat(tunnel.write(packet(5))).isDone();
        assertThat(tunnel.bufferedBytes()).isEqualTo(200);
        assertThat(tunnel.write(packet(6))).isNotDone();
        stream.setReady(true);
        tunnel.onReady();
        assertThat(ids(stream)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(bufferedBytes).isZero();
        assertThat(writerBlockedCount).isEqualTo(2);
    }

    @Test
    void boundAppliesBeforeTheReceiverConnectsAndConnectingReleasesTheWriter() {
        Tunnel<TestingPacket> tunnel = tunnel(150);
        assertThat(tunnel.write(packet(1))).isDone();
        CompletableFuture<Void> writable = tunnel.write(packet(2));
        assertThat(writable).isNotDone();

        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(writable).isCompleted();
        assertThat(ids(stream)).containsExactly(1, 2);
    }

    @Test
    void singlePacketLargerThanTheBoundIsTaken() {
        Tunnel<TestingPacket> tunnel = tunnel(10);
        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(tunnel.write(packet(1))).isDone();
        assertThat(ids(stream)).containsExactly(1);
    }

    @Test
    void writerReleasedByOnReadyMayWriteAgainFromItsCallback() {
        Tunnel<TestingPacket> tunnel = tunnel(150);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        CompletableFuture<Void> writable = tunnel.write(packet(2));
        CompletableFuture<Void> next = writable.thenCompose(ignored -> tunnel.write(packet(3)));

        stream.setReady(true);
        tunnel.onReady();

        assertThat(next).isCompleted();
        assertThat(ids(stream)).containsExactly(1, 2, 3);
    }

    @Test
    void finishEndsTheStreamAfterTheQueuedPackets() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.write(packet(2));

        tunnel.finish();
        assertThat(stream.isCompleted()).isFalse();
        assertThat(tunnel.done()).isNotDone();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.CONNECTED);

        stream.allow(1);
        tunnel.onReady();
        assertThat(stream.isCompleted()).isFalse();
        assertThat(tunnel.done()).isNotDone();

        stream.setReady(true);
        tunnel.onReady();
        assertThat(ids(stream)).containsExactly(1, 2);
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.FINISHED);
    }

    @Test
    void finishBeforeTheReceiverConnectsEndsTheStreamOnConnect() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        tunnel.write(packet(1));
        tunnel.finish();
        assertThat(tunnel.done()).isNotDone();

        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(ids(stream)).containsExactly(1);
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void finishOfAnEmptyStreamCompletesItAtOnce() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);
        tunnel.finish();
        tunnel.finish();

        assertThat(stream.packets()).isEmpty();
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void writeAfterFinishIsRefusedAndThePacketClosed() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        tunnel.finish();
        TestingPacket late = packet(1);
        assertThatThrownBy(() -> tunnel.write(late))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(NAME + ": write after finish");
        assertThat(late.isClosed()).isTrue();
    }

    @Test
    void abortClosesQueuedPacketsSendsOneErrorPacketAndReleasesTheWriter() {
        Tunnel<TestingPacket> tunnel = tunnel(250);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        List<TestingPacket> queued = List.of(packet(1), packet(2), packet(3));
        CompletableFuture<Void> writable = null;
        for (TestingPacket packet : queued) {
            writable = tunnel.write(packet);
        }
        assertThat(writable).isNotDone();
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled by the coordinator");

        tunnel.abort(cause);

        // The error packet goes out even though the transport is not ready: it is the last one.
        assertThat(stream.packets()).singleElement().satisfies(packet -> assertThat(packet.error()).isSameAs(cause));
        assertThat(stream.isCompleted()).isTrue();
        assertThat(queued).allMatch(TestingPacket::isClosed);

        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.done()).isCompletedExceptionally();
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
        assertThat(writable).isCompleted();
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(tunnel.bufferedBytes()).isZero();
        assertThat(bufferedBytes).isZero();
        assertThat(sentBytes).isEmpty();

        // The transport becoming ready later sends nothing more.
        stream.setReady(true);
        tunnel.onReady();
        assertThat(stream.packets()).hasSize(1);
    }

    @Test
    void remoteTunnelAbortSendsTheCauseAsAnMppErrorOfTheQueryVersion() {
        Tunnel<OutboundPacket> tunnel = Tunnel.remote(NAME, 10_000, MPP_VERSION, listener);
        TestingPacketStream<OutboundPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        OutboundPacket queued = OutboundPacket.ofData(1, ByteString.copyFromUtf8("summaries"));
        tunnel.write(queued);

        tunnel.abort(new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled by the coordinator"));

        assertThat(queued.isClosed()).isTrue();
        assertThat(stream.packets()).singleElement().satisfies(packet -> {
            assertThat(packet.error()).isNotNull();
            assertThat(packet.error().getCode()).isEqualTo(ErrorCode.QUERY_CANCELLED.code());
            assertThat(packet.error().getMsg()).isEqualTo("query 42 was cancelled by the coordinator");
            assertThat(packet.error().getMppVersion()).isEqualTo(MPP_VERSION);
            assertThat(packet.data().isEmpty()).isTrue();
            assertThat(packet.chunks()).isEmpty();
            assertThat(packet.streamIdCount()).isZero();
        });
        assertThat(stream.isCompleted()).isTrue();
        stream.close();
    }

    @Test
    void localTunnelAbortFreesTheQueuedBatchesAndSendsTheCause() {
        try (RootAllocator allocator = new RootAllocator()) {
            Tunnel<LocalPacket> tunnel = Tunnel.local(NAME, 10_000, listener);
            tunnel.write(LocalPacket.ofBatch(batch(allocator, 3), 0));
            tunnel.write(LocalPacket.ofBatch(batch(allocator, 5), 0));
            assertThat(allocator.getAllocatedMemory()).isPositive();
            assertThat(tunnel.bufferedBytes()).isPositive();
            MppException cause = new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor 'scan'");

            tunnel.abort(cause);

            assertThat(allocator.getAllocatedMemory()).isZero();
            TestingPacketStream<LocalPacket> stream = new TestingPacketStream<>();
            tunnel.connect(stream);
            assertThat(stream.packets()).singleElement().satisfies(packet -> {
                assertThat(packet.error()).isSameAs(cause);
                assertThat(packet.takeBatch()).isNull();
            });
            assertThat(stream.isCompleted()).isTrue();
            stream.close();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void localTunnelHandsTheBatchItselfToTheReceiver() {
        try (RootAllocator allocator = new RootAllocator()) {
            Tunnel<LocalPacket> tunnel = Tunnel.local(NAME, 10_000, listener);
            VectorSchemaRoot batch = batch(allocator, 4);
            long batchBytes = allocator.getAllocatedMemory();
            LocalPacket packet = LocalPacket.ofBatch(batch, 2);
            tunnel.write(packet);
            TestingPacketStream<LocalPacket> stream = new TestingPacketStream<>();
            tunnel.connect(stream);

            assertThat(stream.packets()).containsExactly(packet);
            assertThat(packet.sizeBytes()).isPositive();
            assertThat(sentBytes).containsExactly(packet.sizeBytes());
            assertThat(packet.streamId()).isEqualTo(2);
            // No copy: the same batch, the same memory.
            assertThat(allocator.getAllocatedMemory()).isEqualTo(batchBytes);
            try (VectorSchemaRoot taken = packet.takeBatch()) {
                assertThat(taken).isSameAs(batch);
                assertThat(packet.takeBatch()).isNull();
            }
            stream.close();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void writeAfterAbortThrowsTheAbortCauseAndClosesThePacket() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        MppException cause = new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor 'scan'");
        tunnel.abort(cause);

        TestingPacket late = packet(1);
        assertThatThrownBy(() -> tunnel.write(late)).isSameAs(cause);
        assertThat(late.isClosed()).isTrue();
        // Finish and a second abort change nothing.
        tunnel.finish();
        tunnel.abort(new MppException(ErrorCode.INTERNAL_ERROR, "another failure"));
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
    }

    @Test
    void receiverConnectingAfterAnAbortGetsTheErrorPacketAtOnce() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacket queued = packet(1);
        tunnel.write(queued);
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");
        tunnel.abort(cause);
        assertThat(queued.isClosed()).isTrue();
        assertThat(tunnel.connected()).isCompletedExceptionally();
        assertThat(tunnel.connected().exceptionNow()).isSameAs(cause);

        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);

        assertThat(stream.packets()).singleElement().satisfies(packet -> assertThat(packet.error()).isSameAs(cause));
        assertThat(stream.isCompleted()).isTrue();
    }

    @Test
    void abortWhileTheEndOfTheStreamWaitsForTheTransportStillFailsTheStream() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.finish();
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");

        tunnel.abort(cause);

        assertThat(stream.packets()).singleElement().satisfies(packet -> assertThat(packet.error()).isSameAs(cause));
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
    }

    @Test
    void abortAfterTheStreamEndedChangesNothing() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> stream = new TestingPacketStream<>();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.finish();

        tunnel.abort(new MppException(ErrorCode.QUERY_CANCELLED, "too late"));
        tunnel.onReceiverGone();

        assertThat(ids(stream)).containsExactly(1);
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.FINISHED);
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void secondReceiverIsRefused() {
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        TestingPacketStream<TestingPacket> first = new TestingPacketStream<>();
        TestingPacketStream<TestingPacket> second = new TestingPacketStream<>();
        tunnel.connect(first);

        assertThatThrownBy(() -> tunnel.connect(second))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessage(NAME + " is already connected to a receiver");

        tunnel.write(packet(1));
        assertThat(ids(first)).containsExactly(1);
        assertThat(second.packets()).isEmpty();
        assertThat(second.isCompleted()).isFalse();
    }

    @Test
    void receiverGoneAbortsWithoutSendingClosesQueuedPacketsAndReleasesTheWriter() {
        Tunnel<TestingPacket> tunnel = tunnel(150);
        TestingPacketStream<TestingPacket> stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        TestingPacket first = packet(1);
        tunnel.write(first);
        TestingPacket second = packet(2);
        CompletableFuture<Void> writable = tunnel.write(second);
        assertThat(writable).isNotDone();

        tunnel.onReceiverGone();

        assertThat(stream.packets()).isEmpty();
        assertThat(stream.isCompleted()).isFalse();
        assertThat(first.isClosed()).isTrue();
        assertThat(second.isClosed()).isTrue();
        assertThat(writable).isCompleted();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(bufferedBytes).isZero();
        Throwable failure = tunnel.done().exceptionNow();
        assertThat(failure).isInstanceOfSatisfying(MppException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.RECEIVER_GONE))
                .hasMessage("the receiver of " + NAME + " went away");
        assertThatThrownBy(() -> tunnel.write(packet(3))).isSameAs(failure);
    }

    @Test
    void receiverGoingAwayFromInsideSendLeavesTheTunnelAborted() {
        // A local receiver runs on the sender's thread: failing on a packet, it cancels the
        // tunnel from inside send, under the tunnel's (reentrant) lock.
        Tunnel<TestingPacket> tunnel = tunnel(10_000);
        List<TestingPacket> received = new ArrayList<>();
        boolean[] completed = {false};
        List<TestingPacket> written = List.of(packet(1), packet(2), packet(3));
        written.forEach(tunnel::write);
        tunnel.finish();

        tunnel.connect(new PacketStream<>() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void send(TestingPacket packet) {
                received.add(packet);
                packet.close();
                tunnel.onReceiverGone();
            }

            @Override
            public void complete() {
                completed[0] = true;
            }
        });

        assertThat(received).extracting(TestingPacket::id).containsExactly(1);
        assertThat(written).allMatch(TestingPacket::isClosed);
        assertThat(completed[0]).isFalse();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.done().exceptionNow())
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RECEIVER_GONE));
        assertThat(tunnel.bufferedBytes()).isZero();
        assertThat(bufferedBytes).isZero();
    }

    @Test
    void boundMustBePositive() {
        assertThatThrownBy(() -> Tunnel.remote(NAME, 0, MPP_VERSION, TunnelListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bufferLimitBytes must be positive: 0");
        assertThatThrownBy(() -> Tunnel.local(NAME, -1, TunnelListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bufferLimitBytes must be positive: -1");
    }

    @Test
    void factoriesTellLocalFromRemote() {
        assertThat(Tunnel.local(NAME, 1, TunnelListener.NONE).isLocal()).isTrue();
        assertThat(Tunnel.remote(NAME, 1, MPP_VERSION, TunnelListener.NONE).isLocal()).isFalse();
        assertThat(Tunnel.remote(NAME, 1, MPP_VERSION, TunnelListener.NONE).name()).isEqualTo(NAME);
    }

    private Tunnel<TestingPacket> tunnel(long bufferLimitBytes) {
        return new Tunnel<>(NAME, false, bufferLimitBytes, TestingPacket::error, listener);
    }

    private static TestingPacket packet(int id) {
        return TestingPacket.of(id, PACKET_BYTES);
    }

    private static List<Integer> ids(TestingPacketStream<TestingPacket> stream) {
        return stream.packets().stream().map(TestingPacket::id).toList();
    }

    private static VectorSchemaRoot batch(RootAllocator allocator, int rows) {
        Schema schema = new Schema(List.of(new Field("id", FieldType.nullable(new ArrowType.Int(64, true)), null)));
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        BigIntVector ids = (BigIntVector) batch.getVector(0);
        ids.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, i);
        }
        batch.setRowCount(rows);
        return batch;
    }
}
