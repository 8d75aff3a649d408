package io.mppnode.exchange.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.tunnel.TunnelListener;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exchange's meters: bytes and packets sent and received per compression mode (local
 * tunnels count as {@code compression="local"}, having no encoding), the bytes waiting in send
 * and receive buffers, and the time writers and the transport spent blocked on flow control.
 * Thread-safe.
 */
public final class ExchangeMetrics {
    private final Map<Compression, Direction> sent = new EnumMap<>(Compression.class);
    private final Map<Compression, Direction> received = new EnumMap<>(Compression.class);
    private final Direction localSent;
    private final Direction localReceived;
    private final AtomicLong sendQueued = new AtomicLong();
    private final AtomicLong receiveQueued = new AtomicLong();
    private final Timer senderBlocked;
    private final Timer receiverFull;

    public ExchangeMetrics(MeterRegistry registry) {
        requireNonNull(registry, "registry is null");
        for (Compression compression : Compression.values()) {
            sent.put(compression, new Direction(registry, "sent", compression.metricTag()));
            received.put(compression, new Direction(registry, "received", compression.metricTag()));
        }
        localSent = new Direction(registry, "sent", "local");
        localReceived = new Direction(registry, "received", "local");
        Gauge.builder("mpp.exchange.queued.bytes", sendQueued, AtomicLong::get).tag("side", "send").baseUnit("bytes")
                .description("bytes waiting in tunnels for their receiver").register(registry);
        Gauge.builder("mpp.exchange.queued.bytes", receiveQueued, AtomicLong::get).tag("side", "receive").baseUnit("bytes")
                .description("bytes received and waiting for the receiving task").register(registry);
        senderBlocked = Timer.builder("mpp.exchange.flow.control.blocked").tag("side", "send")
                .description("time senders waited for a full tunnel to drain").register(registry);
        receiverFull = Timer.builder("mpp.exchange.flow.control.blocked").tag("side", "receive")
                .description("time receivers held back their sources because their buffer was full").register(registry);
    }

    /** Metrics that go nowhere, for tests and benchmarks that do not look at them. */
    public static ExchangeMetrics unregistered() {
        return new ExchangeMetrics(new SimpleMeterRegistry());
    }

    /** The listener for one tunnel. */
    public TunnelListener tunnelListener(Compression compression, boolean local) {
        Direction direction = local ? localSent : sent.get(compression);
        return new TunnelListener() {
            @Override
            public void packetSent(long bytes) {
                direction.record(bytes);
            }

            @Override
            public void bufferedBytesChanged(long delta) {
                sendQueued.addAndGet(delta);
            }

            @Override
            public void writerBlocked(long nanos) {
                senderBlocked.record(nanos, TimeUnit.NANOSECONDS);
            }
        };
    }

    /** A packet of {@code bytes} arrived (compression null for a local one). */
    public void packetReceived(Compression compression, long bytes) {
        (compression == null ? localReceived : received.get(compression)).record(bytes);
    }

    public void receiveQueueChanged(long delta) {
        receiveQueued.addAndGet(delta);
    }

    public void receiverHeldBack(long nanos) {
        receiverFull.record(nanos, TimeUnit.NANOSECONDS);
    }

    private static final class Direction {
        final Counter bytes;
        final Counter packets;

        Direction(MeterRegistry registry, String direction, String compression) {
            bytes = Counter.builder("mpp.exchange." + direction + ".bytes").tag("compression", compression).baseUnit("bytes")
                    .description("bytes of data packets " + direction).register(registry);
            packets = Counter.builder("mpp.exchange." + direction + ".packets").tag("compression", compression)
                    .description("data packets " + direction).register(registry);
        }

        void record(long size) {
            bytes.increment(size);
            packets.increment();
        }
    }
}
