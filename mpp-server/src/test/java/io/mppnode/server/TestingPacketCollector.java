package io.mppnode.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The receiving end of one EstablishMPPConnection call: records every packet and how the stream
 * ended. With {@code initialRequest} it reads only that many packets until {@link #request}
 * asks for more (gRPC flow control), so a test can play a slow receiver.
 */
public final class TestingPacketCollector implements ClientResponseObserver<EstablishMPPConnectionRequest, MPPDataPacket> {
    private final int initialRequest;
    private final List<MPPDataPacket> packets = new CopyOnWriteArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile ClientCallStreamObserver<EstablishMPPConnectionRequest> call;
    private volatile Throwable error;
    private volatile boolean completed;

    private TestingPacketCollector(int initialRequest) {
        this.initialRequest = initialRequest;
    }

    public static TestingPacketCollector readingAll() {
        return new TestingPacketCollector(Integer.MAX_VALUE);
    }

    public static TestingPacketCollector reading(int packets) {
        return new TestingPacketCollector(packets);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<EstablishMPPConnectionRequest> requestStream) {
        call = requestStream;
        if (initialRequest != Integer.MAX_VALUE) {
            requestStream.disableAutoRequestWithInitial(initialRequest);
        }
    }

    public void request(int count) {
        call.request(count);
    }

    public void cancel() {
        call.cancel("test cancels the call", null);
    }

    @Override
    public void onNext(MPPDataPacket packet) {
        packets.add(packet);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        ended.countDown();
    }

    @Override
    public void onCompleted() {
        completed = true;
        ended.countDown();
    }

    /** Waits for the stream to end normally (errors travel in band) and returns every packet. */
    public List<MPPDataPacket> awaitCompleted() {
        try {
            assertThat(ended.await(30, TimeUnit.SECONDS)).as("stream ended within 30 s").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertThat(error).as("the stream ends normally; errors travel in band").isNull();
        assertThat(completed).isTrue();
        return List.copyOf(packets);
    }

    public List<MPPDataPacket> packets() {
        return List.copyOf(packets);
    }

    public boolean isEnded() {
        return ended.getCount() == 0;
    }
}
