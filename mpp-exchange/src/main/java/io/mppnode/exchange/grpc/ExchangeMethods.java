package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.TikvGrpc;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code /tikvpb.Tikv/EstablishMPPConnection} with data packets as Arrow memory: the stock
 * method (same full name, type and request marshaller) with the response marshaller swapped,
 * so our servers serve stock clients and our clients read stock servers. The wire is plain
 * protobuf either way.
 */
public final class ExchangeMethods {
    private static final MethodDescriptor.Marshaller<EstablishMPPConnectionRequest> REQUEST =
            ProtoUtils.marshaller(EstablishMPPConnectionRequest.getDefaultInstance());

    private ExchangeMethods() {}

    /** The server side: responses are {@link OutboundPacket}s, closed by the marshaller's stream once sent. */
    public static MethodDescriptor<EstablishMPPConnectionRequest, OutboundPacket> establishMppConnectionServer(OutboundPacketMarshaller marshaller) {
        requireNonNull(marshaller, "marshaller is null");
        return TikvGrpc.getEstablishMPPConnectionMethod().toBuilder(REQUEST, marshaller).build();
    }

    /** The client side: responses are {@link InboundPacket}s whose chunks the marshaller's allocator accounts; the receiver closes them. */
    public static MethodDescriptor<EstablishMPPConnectionRequest, InboundPacket> establishMppConnectionClient(InboundPacketMarshaller marshaller) {
        requireNonNull(marshaller, "marshaller is null");
        return TikvGrpc.getEstablishMPPConnectionMethod().toBuilder(REQUEST, marshaller).build();
    }

    /** The client side with a fresh marshaller over {@code allocator}. */
    public static MethodDescriptor<EstablishMPPConnectionRequest, InboundPacket> establishMppConnectionClient(BufferAllocator allocator) {
        return establishMppConnectionClient(new InboundPacketMarshaller(allocator));
    }
}
