package io.mppnode.exchange.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class TunnelTest {
    private static final String NAME = "tunnel from task 1 to task 2 of query 42";
    private static final long MPP_VERSION = 3;
    /** Every test packet has this serialized size. */
    private static final int PACKET_BYTES = 100;

    private final List<Long> sentBytes = new ArrayList<>();

    @Test
    void packetsWrittenBeforeConnectAreSentOnConnectInOrder() {
        Tunnel tunnel = tunnel(10_000);
        List<MPPDataPacket> written = List.of(packet(1), packet(2), packet(3));
        for (MPPDataPacket packet : written) {
            assertThat(tunnel.write(packet)).isDone();
        }
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.WAITING_FOR_RECEIVER);
        assertThat(tunnel.bufferedPackets()).isEqualTo(3);
        assertThat(tunnel.bufferedBytes()).isEqualTo(3 * PACKET_BYTES);
        assertThat(tunnel.connected()).isNotDone();

        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(stream.packets()).containsExactlyElementsOf(written);
        assertThat(stream.isCompleted()).isFalse();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.CONNECTED);
        assertThat(tunnel.connected()).isCompleted();
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(tunnel.bufferedBytes()).isZero();
        assertThat(sentBytes).containsExactly((long) PACKET_BYTES, (long) PACKET_BYTES, (long) PACKET_BYTES);
    }

    @Test
    void packetWrittenToAReadyReceiverIsSentAtOnce() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(tunnel.write(packet(1))).isDone();
        assertThat(stream.packets()).containsExactly(packet(1));
        assertThat(tunnel.write(packet(2))).isDone();
        assertThat(stream.packets()).containsExactly(packet(1), packet(2));
        assertThat(tunnel.bufferedBytes()).isZero();
    }

    @Test
    void packetsWaitWhileTheTransportIsNotReadyAndGoOutOnReady() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.write(packet(2));
        tunnel.write(packet(3));
        assertThat(stream.packets()).isEmpty();

        // Becoming ready alone sends nothing: the transport tells the tunnel with onReady.
        stream.allow(1);
        assertThat(stream.packets()).isEmpty();
        tunnel.onReady();
        assertThat(stream.packets()).containsExactly(packet(1));
        assertThat(tunnel.bufferedPackets()).isEqualTo(2);

        stream.setReady(true);
        tunnel.onReady();
        assertThat(stream.packets()).containsExactly(packet(1), packet(2), packet(3));
        assertThat(tunnel.bufferedPackets()).isZero();
    }

    @Test
    void writerWaitsWhileTheBufferIsOverItsBoundInBytes() {
        Tunnel tunnel = tunnel(250);
        TestingPacketStream stream = TestingPacketStream.notReady();
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

        // A write that keeps the buffer within the bound is not blocked; one that goes over is.
        stream.allow(1);
        tunnel.onReady();
        assertThat(tunnel.write(packet(5))).isDone();
        assertThat(tunnel.bufferedBytes()).isEqualTo(200);
        assertThat(tunnel.write(packet(6))).isNotDone();
        stream.setReady(true);
        tunnel.onReady();
        assertThat(stream.packets()).containsExactly(packet(1), packet(2), packet(3), packet(4), packet(5), packet(6));
    }

    @Test
    void boundAppliesBeforeTheReceiverConnectsAndConnectingReleasesTheWriter() {
        Tunnel tunnel = tunnel(150);
        assertThat(tunnel.write(packet(1))).isDone();
        CompletableFuture<Void> writable = tunnel.write(packet(2));
        assertThat(writable).isNotDone();

        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(writable).isCompleted();
        assertThat(stream.packets()).containsExactly(packet(1), packet(2));
    }

    @Test
    void singlePacketLargerThanTheBoundIsTaken() {
        Tunnel tunnel = tunnel(10);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(tunnel.write(packet(1))).isDone();
        assertThat(stream.packets()).containsExactly(packet(1));
    }

    @Test
    void writerReleasedByOnReadyMayWriteAgainFromItsCallback() {
        Tunnel tunnel = tunnel(150);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        CompletableFuture<Void> writable = tunnel.write(packet(2));
        CompletableFuture<Void> next = writable.thenCompose(ignored -> tunnel.write(packet(3)));

        stream.setReady(true);
        tunnel.onReady();

        assertThat(next).isCompleted();
        assertThat(stream.packets()).containsExactly(packet(1), packet(2), packet(3));
    }

    @Test
    void finishEndsTheStreamAfterTheQueuedPackets() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = TestingPacketStream.notReady();
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
        assertThat(stream.packets()).containsExactly(packet(1), packet(2));
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.FINISHED);
    }

    @Test
    void finishBeforeTheReceiverConnectsEndsTheStreamOnConnect() {
        Tunnel tunnel = tunnel(10_000);
        tunnel.write(packet(1));
        tunnel.finish();
        assertThat(tunnel.done()).isNotDone();

        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(stream.packets()).containsExactly(packet(1));
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void finishOfAnEmptyStreamCompletesItAtOnce() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);
        tunnel.finish();
        tunnel.finish();

        assertThat(stream.packets()).isEmpty();
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void writeAfterFinishIsRefused() {
        Tunnel tunnel = tunnel(10_000);
        tunnel.finish();
        assertThatThrownBy(() -> tunnel.write(packet(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(NAME + ": write after finish");
    }

    @Test
    void abortDropsQueuedPacketsSendsOneErrorPacketAndReleasesTheWriter() {
        Tunnel tunnel = tunnel(250);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.write(packet(2));
        CompletableFuture<Void> writable = tunnel.write(packet(3));
        assertThat(writable).isNotDone();
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "query 42 was cancelled by the coordinator");

        tunnel.abort(cause);

        assertThat(stream.packets()).hasSize(1);
        MPPDataPacket errorPacket = stream.packets().getFirst();
        assertThat(errorPacket.hasError()).isTrue();
        assertThat(errorPacket.getError().getCode()).isEqualTo(ErrorCode.QUERY_CANCELLED.code());
        assertThat(errorPacket.getError().getMsg()).isEqualTo("query 42 was cancelled by the coordinator");
        assertThat(errorPacket.getError().getMppVersion()).isEqualTo(MPP_VERSION);
        assertThat(errorPacket.getData().isEmpty()).isTrue();
        assertThat(errorPacket.getChunksList()).isEmpty();
        assertThat(stream.isCompleted()).isTrue();

        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.done()).isCompletedExceptionally();
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
        assertThat(writable).isCompleted();
        assertThat(tunnel.bufferedPackets()).isZero();
        assertThat(tunnel.bufferedBytes()).isZero();
        assertThat(sentBytes).isEmpty();

        // The transport becoming ready later sends nothing more.
        stream.setReady(true);
        tunnel.onReady();
        assertThat(stream.packets()).hasSize(1);
    }

    @Test
    void writeAfterAbortThrowsTheAbortCause() {
        Tunnel tunnel = tunnel(10_000);
        MppException cause = new MppException(ErrorCode.MEMORY_LIMIT_EXCEEDED, "memory limit exceeded in executor 'scan'");
        tunnel.abort(cause);

        assertThatThrownBy(() -> tunnel.write(packet(1))).isSameAs(cause);
        // Finish and a second abort change nothing.
        tunnel.finish();
        tunnel.abort(new MppException(ErrorCode.INTERNAL_ERROR, "another failure"));
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
    }

    @Test
    void receiverConnectingAfterAnAbortGetsTheErrorPacketAtOnce() {
        Tunnel tunnel = tunnel(10_000);
        tunnel.write(packet(1));
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");
        tunnel.abort(cause);
        assertThat(tunnel.connected()).isCompletedExceptionally();
        assertThat(tunnel.connected().exceptionNow()).isSameAs(cause);

        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);

        assertThat(stream.packets()).hasSize(1);
        assertThat(stream.packets().getFirst().getError().getCode()).isEqualTo(ErrorCode.QUERY_CANCELLED.code());
        assertThat(stream.packets().getFirst().getError().getMsg()).isEqualTo("cancelled");
        assertThat(stream.isCompleted()).isTrue();
    }

    @Test
    void abortWhileTheEndOfTheStreamWaitsForTheTransportStillFailsTheStream() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.finish();
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, "cancelled");

        tunnel.abort(cause);

        assertThat(stream.packets()).singleElement().satisfies(packet -> assertThat(packet.hasError()).isTrue());
        assertThat(stream.isCompleted()).isTrue();
        assertThat(tunnel.done().exceptionNow()).isSameAs(cause);
    }

    @Test
    void abortAfterTheStreamEndedChangesNothing() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream stream = new TestingPacketStream();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        tunnel.finish();

        tunnel.abort(new MppException(ErrorCode.QUERY_CANCELLED, "too late"));
        tunnel.onReceiverGone();

        assertThat(stream.packets()).containsExactly(packet(1));
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.FINISHED);
        assertThat(tunnel.done()).isCompleted();
    }

    @Test
    void secondReceiverIsRefused() {
        Tunnel tunnel = tunnel(10_000);
        TestingPacketStream first = new TestingPacketStream();
        TestingPacketStream second = new TestingPacketStream();
        tunnel.connect(first);

        assertThatThrownBy(() -> tunnel.connect(second))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessage(NAME + " is already connected to a receiver");

        tunnel.write(packet(1));
        assertThat(first.packets()).containsExactly(packet(1));
        assertThat(second.packets()).isEmpty();
        assertThat(second.isCompleted()).isFalse();
    }

    @Test
    void receiverGoneAbortsWithoutSendingAndReleasesTheWriter() {
        Tunnel tunnel = tunnel(150);
        TestingPacketStream stream = TestingPacketStream.notReady();
        tunnel.connect(stream);
        tunnel.write(packet(1));
        CompletableFuture<Void> writable = tunnel.write(packet(2));
        assertThat(writable).isNotDone();

        tunnel.onReceiverGone();

        assertThat(stream.packets()).isEmpty();
        assertThat(stream.isCompleted()).isFalse();
        assertThat(writable).isCompleted();
        assertThat(tunnel.state()).isEqualTo(Tunnel.State.ABORTED);
        assertThat(tunnel.bufferedPackets()).isZero();
        Throwable failure = tunnel.done().exceptionNow();
        assertThat(failure).isInstanceOfSatisfying(MppException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.RECEIVER_GONE))
                .hasMessage("the receiver of " + NAME + " went away");
        assertThatThrownBy(() -> tunnel.write(packet(3))).isSameAs(failure);
    }

    @Test
    void boundMustBePositive() {
        assertThatThrownBy(() -> new Tunnel(NAME, 0, MPP_VERSION, TunnelListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bufferLimitBytes must be positive: 0");
    }

    private Tunnel tunnel(long bufferLimitBytes) {
        return new Tunnel(NAME, bufferLimitBytes, MPP_VERSION, sentBytes::add);
    }

    /** A data packet of exactly PACKET_BYTES serialized bytes, told apart by its id. */
    private static MPPDataPacket packet(int id) {
        byte[] data = new byte[PACKET_BYTES - 2];
        Arrays.fill(data, (byte) id);
        MPPDataPacket packet = MPPDataPacket.newBuilder().setData(ByteString.copyFrom(data)).build();
        assertThat(packet.getSerializedSize()).isEqualTo(PACKET_BYTES);
        return packet;
    }
}
