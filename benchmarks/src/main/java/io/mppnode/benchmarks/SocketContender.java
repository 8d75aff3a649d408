package io.mppnode.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * SOCKET: the practical limit of the machine. The batches' Arrow IPC stream (the exchange's own
 * chunks, concatenated, encoded once at setup) goes from a sender thread over one loopback TCP
 * connection ({@link SocketChannel}s in blocking mode, Arrow memory on both ends) to the
 * benchmark thread, which reads it into a reused 1 MiB buffer: no framing, no allocation per
 * batch, no decoding.
 */
final class SocketContender implements ExchangeContender {
    private static final int READ_BUFFER_BYTES = 1 << 20;

    private final ExchangeBatches batches;
    private final BufferAllocator allocator;
    private final ArrowBuf readBuffer;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(ExchangeBenchmark.threads("bench-socket-sender-"));
    private final SocketChannel out;
    private final SocketChannel in;

    SocketContender(ExchangeBatches batches, BufferAllocator parent) throws IOException {
        this.batches = batches;
        this.allocator = parent.newChildAllocator("socket", 0, Long.MAX_VALUE);
        this.readBuffer = allocator.buffer(READ_BUFFER_BYTES);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            this.in = SocketChannel.open(listener.getLocalAddress());
            this.out = listener.accept();
        }
    }

    @Override
    public long moveAll() throws Exception {
        ArrowBuf stream = batches.ipcStream();
        long total = stream.writerIndex();
        Future<?> sending = sender.submit(() -> {
            ByteBuffer bytes = stream.nioBuffer(0, Math.toIntExact(total));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            return null;
        });
        ByteBuffer target = readBuffer.nioBuffer(0, READ_BUFFER_BYTES);
        long left = total;
        while (left > 0) {
            target.clear();
            if (left < target.capacity()) {
                target.limit((int) left);
            }
            int read = in.read(target);
            if (read < 0) {
                throw new IOException("the sender closed the connection with " + left + " bytes to go");
            }
            left -= read;
        }
        sending.get();
        // The stream carries every batch; the rows arrived with its bytes.
        return batches.rows();
    }

    @Override
    public void close() throws IOException {
        out.close();
        in.close();
        ExchangeBenchmark.stop(sender);
        readBuffer.close();
        ExchangeBenchmark.closeChecked(allocator);
    }
}
