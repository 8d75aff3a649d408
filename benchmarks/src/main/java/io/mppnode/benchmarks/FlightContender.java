package io.mppnode.benchmarks;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * FLIGHT: the peer to beat, Arrow Flight Java (flight-core 19) DoGet over loopback with its
 * stock settings but one: zero-copy writes are on (its fastest send path; safe here, the batches
 * never change). The producer hands the stream to a sender thread, which loads each batch into
 * the stream's root by reference (a {@link VectorLoader} over the stored record batches, no
 * copy) and calls {@code putNext}, waiting for the listener with Flight's callback back-pressure
 * strategy; the client reads the stream with {@link FlightClient#getStream} on the benchmark
 * thread.
 *
 * <p>The sender thread is needed: {@code getStream} runs inside the call's serialized gRPC
 * executor, so a producer that waits there for readiness never sees the on-ready event and
 * stalls (Flight's strategy then times out).
 */
final class FlightContender implements ExchangeContender {
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private final ExchangeBatches batches;
    private final BufferAllocator serverAllocator;
    private final BufferAllocator clientAllocator;
    private final FlightServer server;
    private final FlightClient client;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(ExchangeBenchmark.threads("bench-flight-sender-"));
    // Flight's default (a cached pool) but with daemon threads, stopped by close().
    private final ExecutorService serverExecutor = Executors.newCachedThreadPool(ExchangeBenchmark.threads("bench-flight-server-"));

    FlightContender(ExchangeBatches batches, BufferAllocator parent) throws Exception {
        this.batches = batches;
        this.serverAllocator = parent.newChildAllocator("flight server", 0, Long.MAX_VALUE);
        this.clientAllocator = parent.newChildAllocator("flight client", 0, Long.MAX_VALUE);
        this.server = FlightServer.builder(serverAllocator, Location.forGrpcInsecure("127.0.0.1", 0), new Producer())
                .executor(serverExecutor)
                .build()
                .start();
        this.client = FlightClient.builder(clientAllocator, Location.forGrpcInsecure("127.0.0.1", server.getPort())).build();
    }

    @Override
    public long moveAll() throws Exception {
        long rows = 0;
        try (FlightStream stream = client.getStream(new Ticket(new byte[] {1}))) {
            while (stream.next()) {
                rows += stream.getRoot().getRowCount();
            }
        }
        return rows;
    }

    @Override
    public void close() throws Exception {
        client.close();
        server.shutdown();
        server.awaitTermination();
        server.close();
        ExchangeBenchmark.stop(sender);
        ExchangeBenchmark.stop(serverExecutor);
        ExchangeBenchmark.closeChecked(clientAllocator);
        ExchangeBenchmark.closeChecked(serverAllocator);
    }

    private final class Producer extends NoOpFlightProducer {
        @Override
        public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
            BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
            backpressure.register(listener);
            sender.execute(() -> send(listener, backpressure));
        }

        private void send(ServerStreamListener listener, BackpressureStrategy backpressure) {
            try (VectorSchemaRoot root = VectorSchemaRoot.create(batches.schema(), serverAllocator)) {
                listener.setUseZeroCopy(true);
                listener.start(root);
                VectorLoader loader = new VectorLoader(root);
                for (ArrowRecordBatch batch : batches.recordBatches()) {
                    BackpressureStrategy.WaitResult result = backpressure.waitForListener(READY_TIMEOUT_MILLIS);
                    if (result != BackpressureStrategy.WaitResult.READY) {
                        listener.error(CallStatus.CANCELLED.withDescription("the client is gone: " + result).toRuntimeException());
                        return;
                    }
                    loader.load(batch);
                    listener.putNext();
                }
                listener.completed();
            } catch (RuntimeException e) {
                listener.error(e);
            }
        }
    }
}
