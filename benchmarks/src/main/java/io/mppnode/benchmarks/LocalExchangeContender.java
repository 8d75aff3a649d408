package io.mppnode.benchmarks;

import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.proto.Mpp.TaskMeta;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * LOCAL: the exchange between two tasks of one node. A sender thread writes every batch with an
 * {@link ExchangeWriter} (pass-through) into a {@link Tunnel#local} tunnel; an
 * {@link ExchangeReceiver} whose one source is that tunnel (connected by a tiny connector, as
 * the node's task registry would) takes the batches by ownership into its allocator; the
 * benchmark thread polls and closes them. No encoding, no copy: the cost is the hand-over.
 */
final class LocalExchangeContender implements ExchangeContender {
    private final ExchangeBatches batches;
    private final long bufferBytes;
    private final BufferAllocator receiverAllocator;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(ExchangeBenchmark.threads("bench-local-sender-"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(ExchangeBenchmark.threads("bench-timer-"));
    private final ExchangeMetrics metrics = ExchangeMetrics.unregistered();
    private final Map<Long, Tunnel<LocalPacket>> tunnels = new ConcurrentHashMap<>();
    private final AtomicLong nextTaskId = new AtomicLong(1);
    private final ExchangeConnector connector = new ExchangeConnector() {
        @Override
        public RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
            throw new UnsupportedOperationException("local only");
        }

        @Override
        public LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end) {
            Tunnel<LocalPacket> tunnel = tunnels.remove(source.sender().getTaskId());
            tunnel.connect(end);
            return new LocalConnection() {
                @Override
                public void onReady() {
                    tunnel.onReady();
                }

                @Override
                public void cancel() {
                    tunnel.onReceiverGone();
                }
            };
        }
    };

    LocalExchangeContender(ExchangeBatches batches, BufferAllocator parent, long bufferBytes) {
        this.batches = batches;
        this.bufferBytes = bufferBytes;
        this.receiverAllocator = parent.newChildAllocator("local receiver", 0, Long.MAX_VALUE);
    }

    @Override
    public long moveAll() throws Exception {
        long taskId = nextTaskId.getAndIncrement();
        Tunnel<LocalPacket> tunnel = Tunnel.local("bench local tunnel " + taskId, bufferBytes, TunnelListener.NONE);
        tunnels.put(taskId, tunnel);
        TaskMeta receiverMeta = TaskMeta.newBuilder().setTaskId(0).setAddress("local").build();
        ExchangeSource source = new ExchangeSource(TaskMeta.newBuilder().setTaskId(taskId).setAddress("local").build(), receiverMeta, true);
        Future<?> sending = sender.submit(() -> ExchangeBenchmark.send(batches, tunnel, Compression.NONE, 0, 1));
        try (ExchangeReceiver receiver = new ExchangeReceiver("bench local receiver", List.of(source), batches.schema(),
                receiverAllocator, bufferBytes, connector, timer, metrics)) {
            receiver.start();
            long rows = ExchangeBenchmark.drain(receiver);
            sending.get();
            tunnel.done().join();
            return rows;
        } catch (Exception | Error e) {
            tunnel.abort(MppException.wrap(e));
            sending.cancel(true);
            throw e;
        }
    }

    @Override
    public void close() {
        ExchangeBenchmark.stop(sender);
        ExchangeBenchmark.stop(timer);
        ExchangeBenchmark.closeChecked(receiverAllocator);
    }
}
