package io.mppnode.exchange.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.TikvGrpc;
import java.io.InputStream;
import org.apache.arrow.memory.BufferAllocator;

/** TEMPORARY (stock marshalling with copies) until the zero-copy marshaller lands. */
public final class ExchangeMethods {
    private static final MethodDescriptor.Marshaller<MPPDataPacket> STOCK = ProtoUtils.marshaller(MPPDataPacket.getDefaultInstance());

    public static final MethodDescriptor<EstablishMPPConnectionRequest, OutboundPacket> ESTABLISH_FOR_SENDER =
            TikvGrpc.getEstablishMPPConnectionMethod().toBuilder(
                    ProtoUtils.marshaller(EstablishMPPConnectionRequest.getDefaultInstance()),
                    new MethodDescriptor.Marshaller<OutboundPacket>() {
                        @Override
                        public InputStream stream(OutboundPacket value) {
                            try (value) {
                                return STOCK.stream(value.toProto());
                            }
                        }

                        @Override
                        public OutboundPacket parse(InputStream stream) {
                            throw new UnsupportedOperationException();
                        }
                    }).build();

    private ExchangeMethods() {}

    public static MethodDescriptor<EstablishMPPConnectionRequest, InboundPacket> establishForReceiver(BufferAllocator allocator) {
        return TikvGrpc.getEstablishMPPConnectionMethod().toBuilder(
                ProtoUtils.marshaller(EstablishMPPConnectionRequest.getDefaultInstance()),
                new MethodDescriptor.Marshaller<InboundPacket>() {
                    @Override
                    public InputStream stream(InboundPacket value) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public InboundPacket parse(InputStream stream) {
                        return InboundPacket.fromProto(STOCK.parse(stream), allocator);
                    }
                }).build();
    }
}
