package io.mppnode.exchange.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client of {@code EstablishMPPConnection} over {@link InboundPacket}s with manual flow
 * control: one message requested at a time, the next only once the consumer is done with the
 * previous (which is then closed), so the receiver never buffers more than one packet.
 */
final class TestingPacketReceiver extends ClientCall.Listener<InboundPacket> {
    private final ClientCall<EstablishMPPConnectionRequest, InboundPacket> call;
    private final Consumer<InboundPacket> consumer;
    private final CompletableFuture<Status> closed = new CompletableFuture<>();

    private TestingPacketReceiver(Channel channel, InboundPacketMarshaller marshaller, Consumer<InboundPacket> consumer) {
        this.call = channel.newCall(ExchangeMethods.establishMppConnectionClient(marshaller), CallOptions.DEFAULT);
        this.consumer = consumer;
    }

    /**
     * Receives every packet of one call, handing each to {@code consumer} (which must not keep
     * it: it is closed right after) and returns the call's final status, waiting at most a minute.
     */
    static Status receiveAll(Channel channel, InboundPacketMarshaller marshaller, Consumer<InboundPacket> consumer) throws Exception {
        return receiveAll(channel, marshaller, request(), consumer);
    }

    static Status receiveAll(Channel channel, InboundPacketMarshaller marshaller, EstablishMPPConnectionRequest request,
            Consumer<InboundPacket> consumer) throws Exception {
        TestingPacketReceiver receiver = new TestingPacketReceiver(channel, marshaller, consumer);
        receiver.call.start(receiver, new Metadata());
        receiver.call.sendMessage(request);
        receiver.call.halfClose();
        receiver.call.request(1);
        return receiver.closed.get(1, TimeUnit.MINUTES);
    }

    static EstablishMPPConnectionRequest request() {
        return request(1);
    }

    /** A request whose sender task id is {@code senderTaskId} (a test server may read it as a parameter). */
    static EstablishMPPConnectionRequest request(long senderTaskId) {
        return EstablishMPPConnectionRequest.newBuilder()
                .setSenderMeta(TaskMeta.newBuilder().setStartTs(1).setTaskId(senderTaskId).setAddress("sender"))
                .setReceiverMeta(TaskMeta.newBuilder().setStartTs(1).setTaskId(2).setAddress("receiver"))
                .build();
    }

    @Override
    public void onMessage(InboundPacket packet) {
        try (packet) {
            consumer.accept(packet);
        } catch (RuntimeException | Error e) {
            call.cancel("the test's consumer failed", e);
            closed.completeExceptionally(e);
            return;
        }
        call.request(1);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
    }
}
