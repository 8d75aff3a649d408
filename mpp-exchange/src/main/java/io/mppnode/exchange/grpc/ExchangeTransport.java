package io.mppnode.exchange.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.mppnode.proto.TikvGrpc;
import java.util.concurrent.Executor;

import io.grpc.netty.InternalNettyChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;

/**
 * The grpc-netty settings under which data packets move with little Java heap: measured by
 * {@code ExchangeAllocationTest}, about 5% of the payload in heap allocations with stock
 * settings, under 1% with these. Each addresses a per-frame or per-buffer cost:
 * <ul>
 *   <li><b>Large HTTP/2 frames</b> ({@link #MAX_FRAME_SIZE}, receiving channels): gRPC and
 *       Netty allocate several objects per DATA frame on both sides, and the stock 16 KiB frame
 *       makes that some 65 frames per MiB. A packet that fits one frame also arrives contiguous,
 *       so its chunks are wrapped as Arrow memory instead of copied. Set through grpc-netty
 *       internals, see {@link LargeFrameNegotiator}; plaintext only.
 *   <li><b>A larger write buffer</b> ({@link #WRITE_BUFFER_HIGH}, sending servers): Netty's
 *       HTTP/2 flow controller writes only while the channel is writable, so the default 64 KiB
 *       high-water mark caps every frame at about 64 KiB whatever the receiver allows.
 *   <li><b>One pooled allocator with 16 MiB chunks</b> ({@link #BUFFER_ALLOCATOR}, both sides
 *       and {@link OutboundPacketMarshaller}): gRPC's own allocator has 2 MiB chunks and
 *       Netty's default 4 MiB ones; a chunk that held a MiB-sized buffer (a send buffer, a
 *       receive cumulation) is freed once empty and allocated anew for the next, each time
 *       with fresh heap metadata and a fresh direct allocation. In 16 MiB chunks such buffers
 *       stay below the usage at which Netty frees a chunk. Cost: each arena keeps a 16 MiB
 *       chunk of direct memory once used.
 *   <li><b>A 4 MiB receive window</b> ({@link #FLOW_CONTROL_WINDOW}): room for whole large
 *       frames; also the bound on what a receiver buffers per stream before it asks for more.
 * </ul>
 */
public final class ExchangeTransport {
    /** The HTTP/2 frame size a receiving channel advertises. */
    public static final int MAX_FRAME_SIZE = 2 << 20;
    /** A receiving channel's per-stream and per-connection flow-control window. */
    public static final int FLOW_CONTROL_WINDOW = 4 << 20;
    /** The largest packet a receiving channel accepts (gRPC's default is 4 MiB). */
    public static final int MAX_INBOUND_MESSAGE_SIZE = 64 << 20;
    /** A sending connection's write-buffer water marks: the high one bounds its frames. */
    public static final int WRITE_BUFFER_LOW = 1 << 20;
    public static final int WRITE_BUFFER_HIGH = 4 << 20;

    private static final int PAGE_SIZE = 8192;
    /** 8 KiB pages << 11 = 16 MiB chunks. */
    private static final int MAX_ORDER = 11;

    /**
     * Direct, pooled, 16 MiB chunks, no heap arenas (a heap request gets an unpooled buffer,
     * never a 16 MiB array), at most one direct arena per core.
     */
    public static final ByteBufAllocator BUFFER_ALLOCATOR = new PooledByteBufAllocator(
            true,
            0,
            Math.max(1, Math.min(PooledByteBufAllocator.defaultNumDirectArena(), Runtime.getRuntime().availableProcessors())),
            PAGE_SIZE,
            MAX_ORDER,
            PooledByteBufAllocator.defaultSmallCacheSize(),
            PooledByteBufAllocator.defaultNormalCacheSize(),
            PooledByteBufAllocator.defaultUseCacheForAllThreads());

    private ExchangeTransport() {}

    /**
     * Settings for a server that sends data packets ({@code EstablishMPPConnection}). The
     * callbacks of that one method (the handler, which attaches the call to its tunnel, and the
     * ready and cancel handlers, which drain or abort it) run on the transport's event loop
     * instead of hopping to the server's executor: they never block, and the hop (a selector
     * wake-up per packet) measured about a third of a loopback stream's throughput. Every
     * other method keeps the server's executor.
     */
    public static NettyServerBuilder configureServer(NettyServerBuilder builder) {
        requireNonNull(builder, "builder is null");
        String establish = TikvGrpc.getEstablishMPPConnectionMethod().getFullMethodName();
        return builder
                .callExecutor(new ServerCallExecutorSupplier() {
                    @Override
                    public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata metadata) {
                        return call.getMethodDescriptor().getFullMethodName().equals(establish) ? Runnable::run : null;
                    }
                })
                .withChildOption(ChannelOption.ALLOCATOR, BUFFER_ALLOCATOR)
                .withChildOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(WRITE_BUFFER_LOW, WRITE_BUFFER_HIGH));
    }

    /**
     * Settings for a plaintext channel that receives data packets. Sets the negotiation
     * (plaintext with large frames): call it after any {@code usePlaintext()}, and do not call
     * {@code usePlaintext()} or {@code useTransportSecurity()} afterwards, which would undo
     * the frame size. {@code maxInboundMessageSize} and {@code flowControlWindow} may be
     * changed afterwards.
     */
    public static NettyChannelBuilder configurePlaintextChannel(NettyChannelBuilder builder) {
        requireNonNull(builder, "builder is null");
        builder.withOption(ChannelOption.ALLOCATOR, BUFFER_ALLOCATOR)
                .withOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64 << 10, 256 << 10, 4 << 20))
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_SIZE);
        InternalNettyChannelBuilder.setProtocolNegotiatorFactory(builder, LargeFrameNegotiator.factory(MAX_FRAME_SIZE));
        return builder;
    }

    /** Whether channels configured here really get large frames (false when a Netty upgrade hid the hook; see the log). */
    public static boolean largeFramesSupported() {
        return LargeFrameNegotiator.supported();
    }
}
