package io.mppnode.exchange.grpc;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plaintext negotiation that also advertises a larger HTTP/2 {@code SETTINGS_MAX_FRAME_SIZE}
 * in the client's first SETTINGS frame, so the server sends data packets in frames of up to
 * that size instead of 16 KiB ones. grpc-java offers no setting for it (grpc/grpc-java#7029),
 * hence two internals: grpc-netty's {@code InternalProtocolNegotiator} hook, and Netty's
 * private {@code Http2ConnectionHandler.initialSettings} (the settings the handler writes in its
 * connection preface; Netty applies them to its own frame reader once the server acknowledges,
 * and the server sizes its frames by them). When a Netty upgrade moves the field, one warning
 * is logged and connections keep 16 KiB frames: slower, still correct.
 *
 * <p>It also sets Netty's composite cumulator on gRPC's HTTP/2 handler (public Netty API):
 * the default merge cumulator copies every socket read into one growing buffer whenever a frame
 * spans reads, which with large frames is nearly always, so every received byte was copied
 * once before our parser saw it. Chained reads cost a copy only for the chunks that span two
 * of them.
 */
final class LargeFrameNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private static final Logger log = LoggerFactory.getLogger(LargeFrameNegotiator.class);
    private static final VarHandle INITIAL_SETTINGS = initialSettings();

    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.plaintext();
    private final int maxFrameSize;

    LargeFrameNegotiator(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    private static VarHandle initialSettings() {
        try {
            return MethodHandles.privateLookupIn(Http2ConnectionHandler.class, MethodHandles.lookup())
                    .findVarHandle(Http2ConnectionHandler.class, "initialSettings", Http2Settings.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Netty's HTTP/2 initial settings not found ({}); data packets travel in 16 KiB frames", e.toString());
            return null;
        }
    }

    /** Whether connections made through this negotiator advertise the larger frame size. */
    static boolean supported() {
        return INITIAL_SETTINGS != null;
    }

    @Override
    public AsciiString scheme() {
        return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
        // Called before the handler joins the pipeline, so before it writes its preface.
        if (INITIAL_SETTINGS != null) {
            Http2Settings settings = (Http2Settings) INITIAL_SETTINGS.get((Http2ConnectionHandler) grpcHandler);
            if (settings != null) {
                settings.maxFrameSize(maxFrameSize);
            }
        }
        grpcHandler.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        return plaintext.newHandler(grpcHandler);
    }

    @Override
    public void close() {
        plaintext.close();
    }

    /** A factory for {@code InternalNettyChannelBuilder.setProtocolNegotiatorFactory}. */
    static InternalProtocolNegotiator.ClientFactory factory(int maxFrameSize) {
        return new InternalProtocolNegotiator.ClientFactory() {
            @Override
            public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
                return new LargeFrameNegotiator(maxFrameSize);
            }

            @Override
            public int getDefaultPort() {
                return 80;
            }
        };
    }
}
