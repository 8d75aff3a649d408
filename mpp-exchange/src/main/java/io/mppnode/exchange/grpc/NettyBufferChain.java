package io.mppnode.exchange.grpc;

import io.grpc.internal.WritableBuffer;
import io.netty.buffer.ByteBuf;
import java.io.OutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a finished Netty buffer to gRPC's message framer, so that grpc-netty sends it as it is
 * instead of copying the message through {@code byte[]} writes. The same trick as Arrow
 * Flight's {@code AddWritableBuffer}, through grpc internals that are not API: grpc-core's
 * {@code MessageFramer$BufferChainOutputStream} (the stream a {@code Drainable} message of
 * unknown length is drained into, with fields {@code bufferList} and {@code current}) and
 * grpc-netty's package-private {@code NettyWritableBuffer(ByteBuf)}. The handles are looked up
 * once; when a gRPC upgrade renames them, {@link #accepts} answers false, one warning is
 * logged, and the marshaller falls back to writing through the stream (its fallback counter
 * shows it).
 *
 * <p>Why appending is safe whatever {@code current} holds (read from grpc-core 1.83.1's
 * {@code MessageFramer}): {@code bufferList} is the message in wire order and the framer sums
 * {@code readableBytes()} over it, so a partly filled {@code current} before ours costs nothing
 * but its unused space. {@code current} is where the stream's next {@code write} goes; setting
 * it to our full buffer (no writable bytes) makes any later write allocate a fresh buffer after
 * ours instead of writing into one before it. The framer keeps the last buffer of the chain as
 * the start of its next frame; a full one is committed before the next write. In our use the
 * stream is fresh per message and ours is its only buffer.
 */
final class NettyBufferChain {
    private static final Logger log = LoggerFactory.getLogger(NettyBufferChain.class);

    private static final Class<?> CHAIN;
    private static final VarHandle BUFFER_LIST;
    private static final VarHandle CURRENT;
    private static final MethodHandle WRAP;

    static {
        Class<?> chain = null;
        VarHandle bufferList = null;
        VarHandle current = null;
        MethodHandle wrap = null;
        try {
            Class<?> candidate = Class.forName("io.grpc.internal.MessageFramer$BufferChainOutputStream");
            MethodHandles.Lookup chainLookup = MethodHandles.privateLookupIn(candidate, MethodHandles.lookup());
            bufferList = chainLookup.findVarHandle(candidate, "bufferList", List.class);
            current = chainLookup.findVarHandle(candidate, "current", WritableBuffer.class);
            Class<?> writable = Class.forName("io.grpc.netty.NettyWritableBuffer");
            wrap = MethodHandles.privateLookupIn(writable, MethodHandles.lookup())
                    .findConstructor(writable, MethodType.methodType(void.class, ByteBuf.class))
                    .asType(MethodType.methodType(WritableBuffer.class, ByteBuf.class));
            chain = candidate;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.warn("gRPC internals for zero-copy sending not found ({}); data packets are copied through the heap", e.toString());
        }
        CHAIN = chain;
        BUFFER_LIST = bufferList;
        CURRENT = current;
        WRAP = wrap;
    }

    private NettyBufferChain() {}

    /** Whether {@code target} is gRPC's buffer chain stream (and the handles were found). */
    static boolean accepts(OutputStream target) {
        return CHAIN != null && target.getClass() == CHAIN;
    }

    /**
     * Appends {@code buffer} (its readable bytes) to the chain as the next part of the message.
     * Takes over the caller's reference: gRPC releases the buffer once written (or on failure).
     * On an exception here the buffer was not taken and the caller still owns it.
     *
     * @param target a stream {@link #accepts} accepted
     */
    @SuppressWarnings("unchecked")
    static void append(OutputStream target, ByteBuf buffer) {
        WritableBuffer wrapped;
        try {
            wrapped = (WritableBuffer) WRAP.invokeExact(buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("wrapping a Netty buffer for gRPC failed", e);
        }
        List<WritableBuffer> list = (List<WritableBuffer>) BUFFER_LIST.get(target);
        list.add(wrapped);
        CURRENT.set(target, wrapped);
    }
}
