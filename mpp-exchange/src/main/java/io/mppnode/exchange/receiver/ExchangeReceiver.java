package io.mppnode.exchange.receiver;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.Ownership;
import io.mppnode.exchange.tunnel.PacketStream;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of an exchange: one connection per source, merged into one buffer of
 * batches that the receiving task takes with {@link #poll()}.
 *
 * <ul>
 *   <li><b>Flow control by buffer space.</b> The buffer is bounded in bytes. A remote source is
 *       asked for its next packet only while the buffer is under its bound; a local tunnel
 *       sends only while it is. A consumer that stops polling stops every source.
 *   <li><b>Retries only before the first byte.</b> A source whose connection fails before
 *       anything arrived is retried a few times with backoff; once a byte arrived a failure
 *       fails the receiver, since what was already taken cannot be taken again.
 *   <li><b>The first error wins</b>: a bad packet, an error packet, a broken stream. Its
 *       message names the source; every other connection is closed and the buffer freed.
 *   <li><b>Decoding</b> happens as packets arrive, one {@link ChunkDecoder} per source and
 *       stream; every stream's schema must match the one the receiver expects, and the
 *       batches are handed out under the expected column names.
 * </ul>
 *
 * <p>Batches are allocated from (or moved into) the receiver's allocator and owned by the
 * caller once polled. {@link #close()} cancels every connection and frees what waits.
 * Thread-safe: transport callbacks arrive on any thread; the connector is never called under
 * the receiver's lock.
 */
public final class ExchangeReceiver implements AutoCloseable {
    static final int CONNECT_ATTEMPTS = 4;
    static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(100);
    /** How long {@link #close()} waits for cancelled connections to finish their callbacks. */
    static final Duration TERMINATION_WAIT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(ExchangeReceiver.class);

    private final String name;
    private final List<ExchangeSource> sources;
    private final Schema expectedSchema;
    private final BufferAllocator allocator;
    private final long bufferLimitBytes;
    private final ExchangeConnector connector;
    private final ScheduledExecutorService timer;
    private final ExchangeMetrics metrics;

    private final Object lock = new Object();
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final List<ByteString> trailingData = new ArrayList<>();
    private final SourceState[] states;
    private long queuedBytes;
    private int openSources;
    private MppException failure;
    private boolean closed;
    private boolean started;
    private CompletableFuture<Void> notEmpty = new CompletableFuture<>();
    private long fullSince;

    /**
     * @param name names the receiving side in errors ("receiver of task 7")
     * @param expectedSchema what every stream must carry; null to take whatever the first
     *     stream carries (the coordinator, which has no plan of its own)
     */
    public ExchangeReceiver(String name, List<ExchangeSource> sources, Schema expectedSchema, BufferAllocator allocator,
            long bufferLimitBytes, ExchangeConnector connector, ScheduledExecutorService timer, ExchangeMetrics metrics) {
        this.name = requireNonNull(name, "name is null");
        this.sources = List.copyOf(sources);
        this.expectedSchema = expectedSchema;
        this.allocator = requireNonNull(allocator, "allocator is null");
        if (bufferLimitBytes <= 0) {
            throw new IllegalArgumentException("bufferLimitBytes must be positive: " + bufferLimitBytes);
        }
        this.bufferLimitBytes = bufferLimitBytes;
        this.connector = requireNonNull(connector, "connector is null");
        this.timer = requireNonNull(timer, "timer is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.states = new SourceState[this.sources.size()];
        for (int i = 0; i < states.length; i++) {
            states[i] = new SourceState(i, this.sources.get(i));
        }
        this.openSources = states.length;
        if (openSources == 0) {
            notEmpty.complete(null);
        }
    }

    /** Opens one connection per source. */
    public void start() {
        synchronized (lock) {
            if (started) {
                return;
            }
            started = true;
        }
        for (SourceState state : states) {
            if (state.source.local()) {
                state.localConnection = connector.openLocal(state.source, state.localEnd());
                boolean cancel;
                synchronized (lock) {
                    cancel = closed || failure != null;
                }
                if (cancel) {
                    state.localConnection.cancel();
                }
            } else {
                connectRemote(state);
            }
        }
    }

    /**
     * The next batch, or null when none is buffered now (see {@link #isBlocked()}) or the
     * receiver is finished.
     *
     * @throws MppException the first error of any source
     */
    public ReceivedBatch poll() {
        Entry entry;
        List<Runnable> resume;
        synchronized (lock) {
            if (failure != null) {
                throw failure;
            }
            entry = queue.poll();
            if (entry == null) {
                return null;
            }
            boolean wasFull = queuedBytes >= bufferLimitBytes;
            queuedBytes -= entry.bytes;
            metrics.receiveQueueChanged(-entry.bytes);
            if (queue.isEmpty() && openSources > 0) {
                notEmpty = new CompletableFuture<>();
            }
            resume = wasFull && queuedBytes < bufferLimitBytes ? resumeLocked() : List.of();
        }
        resume.forEach(Runnable::run);
        return entry.batch;
    }

    /** Completes when a batch, the end, or an error is there to see. */
    public CompletableFuture<Void> isBlocked() {
        synchronized (lock) {
            return notEmpty;
        }
    }

    /** True when every source ended normally and every batch was taken. */
    public boolean isFinished() {
        synchronized (lock) {
            return failure == null && openSources == 0 && queue.isEmpty();
        }
    }

    /** The trailing data (execution summaries) of the sources that sent it, in arrival order. */
    public List<ByteString> trailingData() {
        synchronized (lock) {
            return List.copyOf(trailingData);
        }
    }

    public long bufferedBytes() {
        synchronized (lock) {
            return queuedBytes;
        }
    }

    /**
     * Cancels every connection, frees what waits, and returns once no connection is still
     * delivering into the allocator (bounded, see {@link #awaitTermination}), so the caller
     * may close it. Idempotent.
     */
    @Override
    public void close() {
        List<Entry> dropped;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            metrics.receiveQueueChanged(-queuedBytes);
            queuedBytes = 0;
            notEmpty.complete(null);
        }
        dropped.forEach(entry -> entry.batch.batch().close());
        cancelAll("the receiver " + name + " was closed");
        awaitTermination();
    }

    /**
     * Waits until every remote connection has terminated, so that no packet is still being
     * parsed into (or released back to) the allocator when the caller closes it: a
     * connection's callbacks run on the transport's threads and may be under way as the
     * receiver closes. After a cancel that takes a callback's length. Never waits on a
     * transport (Netty) thread, which may be the very one that has to finish the callback;
     * gives up with a warning after {@link #TERMINATION_WAIT}.
     */
    private void awaitTermination() {
        if (Thread.currentThread() instanceof FastThreadLocalThread) {
            return;
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (SourceState state : states) {
            ExchangeConnector.RemoteConnection remote;
            synchronized (lock) {
                remote = state.remoteConnection;
            }
            if (remote != null && !remote.terminated().isDone()) {
                pending.add(remote.terminated());
            }
        }
        if (pending.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(TERMINATION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("{}: {} connections had not terminated {} ms after being cancelled", name, pending.stream().filter(f -> !f.isDone()).count(),
                    TERMINATION_WAIT.toMillis());
        } catch (ExecutionException e) {
            // A connection's end is all we wait for, however it came.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ----- remote sources -----

    private void connectRemote(SourceState state) {
        ExchangeConnector.RemoteConnection connection = connector.openRemote(state.source, allocator, new ExchangeConnector.RemoteListener() {
            @Override
            public void onPacket(InboundPacket packet) {
                onRemotePacket(state, packet);
            }

            @Override
            public void onError(MppException cause, boolean connectFailure) {
                onRemoteError(state, cause, connectFailure);
            }

            @Override
            public void onCompleted() {
                sourceEnded(state);
            }
        });
        boolean cancel;
        synchronized (lock) {
            state.remoteConnection = connection;
            cancel = closed || failure != null;
        }
        if (cancel) {
            connection.cancel("the receiver " + name + " was closed");
        } else {
            connection.request(1);
        }
    }

    private void onRemotePacket(SourceState state, InboundPacket packet) {
        try (packet) {
            synchronized (lock) {
                state.receivedAny = true;
                if (closed || failure != null) {
                    return;
                }
            }
            if (packet.error() != null) {
                // The sender's own code, as a local source's error keeps it.
                fail(MppException.fromWire(packet.error(), name + ": " + state.source.name() + " failed"), state);
                return;
            }
            if (packet.version() != PacketFormat.ARROW_IPC_V1 && (packet.version() != 0 || !packet.chunks().isEmpty())) {
                throw state.bad("unknown data packet version " + packet.version() + " (this node reads version "
                        + PacketFormat.ARROW_IPC_V1 + ")");
            }
            int chunkCount = packet.chunks().size();
            if (packet.streamIdCount() != 0 && packet.streamIdCount() != chunkCount) {
                throw state.bad(packet.streamIdCount() + " stream_ids for " + chunkCount + " chunks");
            }
            List<ReceivedBatch> batches = new ArrayList<>();
            Compression compression = Compression.NONE;
            try {
                for (int i = 0; i < chunkCount; i++) {
                    long streamId = packet.streamIdCount() == 0 ? 0 : packet.streamId(i);
                    ChunkDecoder decoder = state.decoder(streamId);
                    ArrowBuf chunk = packet.chunks().get(i);
                    boolean hadSchema = decoder.schema() != null;
                    VectorSchemaRoot batch;
                    try {
                        batch = decoder.decode(chunk);
                    } catch (MppException e) {
                        throw new MppException(e.code(), name + ": " + e.getMessage(), e);
                    }
                    if (!hadSchema && decoder.schema() != null) {
                        checkSchema(state, decoder.schema());
                    }
                    if (batch != null) {
                        compression = decoder.lastCompression();
                        batches.add(new ReceivedBatch(rename(batch), state.index, streamId));
                    }
                }
                metrics.packetReceived(compression, packet.wireSize());
                offer(state, batches, packet.data(), true);
            } catch (RuntimeException e) {
                batches.forEach(batch -> batch.batch().close());
                throw e;
            }
        } catch (RuntimeException e) {
            MppException cause = MppException.wrap(e);
            fail(cause.code() == ErrorCode.INTERNAL_ERROR ? state.bad(e.toString()) : cause, state);
        }
    }

    private void onRemoteError(SourceState state, MppException cause, boolean connectFailure) {
        boolean retry;
        int attempt;
        synchronized (lock) {
            if (closed || failure != null) {
                return;
            }
            attempt = ++state.attempts;
            retry = connectFailure && !state.receivedAny && attempt < CONNECT_ATTEMPTS;
        }
        if (retry) {
            long delay = FIRST_RETRY_DELAY.toMillis() << (attempt - 1);
            timer.schedule(() -> connectRemote(state), delay, TimeUnit.MILLISECONDS);
            return;
        }
        String when = state.receivedAny ? "broke after data had arrived" : "failed";
        fail(new MppException(cause.code() == ErrorCode.INTERNAL_ERROR ? ErrorCode.CONNECTION_FAILED : cause.code(),
                name + ": the connection to " + state.source.name() + " " + when
                        + (connectFailure && !state.receivedAny ? " (" + attempt + " attempts)" : "") + ": " + cause.getMessage(), cause), state);
    }

    // ----- local sources -----

    private void onLocalPacket(SourceState state, LocalPacket packet) {
        try (packet) {
            synchronized (lock) {
                state.receivedAny = true;
                if (closed || failure != null) {
                    return;
                }
            }
            if (packet.error() != null) {
                fail(new MppException(packet.error().code(), name + ": " + state.source.name() + " failed: "
                        + packet.error().getMessage()), state);
                return;
            }
            VectorSchemaRoot batch = packet.takeBatch();
            List<ReceivedBatch> batches = new ArrayList<>(1);
            if (batch != null) {
                try {
                    if (!state.localSchemaChecked) {
                        checkSchema(state, batch.getSchema());
                        state.localSchemaChecked = true;
                    }
                    batches.add(new ReceivedBatch(rename(Ownership.moveTo(batch, allocator)), state.index, packet.streamId()));
                } catch (RuntimeException e) {
                    batch.close();
                    throw e;
                }
            }
            metrics.packetReceived(null, packet.sizeBytes());
            offer(state, batches, packet.data() == null ? ByteString.EMPTY : packet.data(), false);
        } catch (RuntimeException e) {
            MppException cause = MppException.wrap(e);
            fail(cause.code() == ErrorCode.INTERNAL_ERROR ? state.bad(e.toString()) : cause, state);
        }
    }

    // ----- common -----

    private void checkSchema(SourceState state, Schema actual) {
        if (expectedSchema == null) {
            return;
        }
        List<Field> expected = expectedSchema.getFields();
        List<Field> fields = actual.getFields();
        boolean matches = expected.size() == fields.size();
        for (int i = 0; matches && i < expected.size(); i++) {
            matches = expected.get(i).getType().equals(fields.get(i).getType());
        }
        if (!matches) {
            throw state.bad("its schema does not match the receiver's: expected " + describe(expectedSchema) + ", got " + describe(actual));
        }
    }

    private static String describe(Schema schema) {
        StringBuilder text = new StringBuilder("(");
        for (Field field : schema.getFields()) {
            if (text.length() > 1) {
                text.append(", ");
            }
            text.append(field.getName()).append(' ').append(field.getType());
        }
        return text.append(')').toString();
    }

    /** The batch under the expected column names (a transfer, no copy). */
    private VectorSchemaRoot rename(VectorSchemaRoot batch) {
        if (expectedSchema == null || batch.getSchema().getFields().equals(expectedSchema.getFields())) {
            return batch;
        }
        List<FieldVector> vectors = new ArrayList<>(batch.getFieldVectors().size());
        try {
            List<FieldVector> from = batch.getFieldVectors();
            for (int i = 0; i < from.size(); i++) {
                TransferPair pair = from.get(i).getTransferPair(expectedSchema.getFields().get(i), allocator);
                pair.transfer();
                vectors.add((FieldVector) pair.getTo());
            }
            return new VectorSchemaRoot(expectedSchema.getFields(), vectors, batch.getRowCount());
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        } finally {
            batch.close();
        }
    }

    /** Queues what a packet brought and asks the source for more while there is room. */
    private void offer(SourceState state, List<ReceivedBatch> batches, ByteString data, boolean remote) {
        boolean requestMore = false;
        CompletableFuture<Void> wake = null;
        synchronized (lock) {
            if (closed || failure != null) {
                batches.forEach(batch -> batch.batch().close());
                return;
            }
            for (ReceivedBatch batch : batches) {
                long bytes = sizeOf(batch.batch());
                queue.add(new Entry(batch, bytes));
                queuedBytes += bytes;
                metrics.receiveQueueChanged(bytes);
            }
            if (!data.isEmpty()) {
                trailingData.add(data);
            }
            if (!queue.isEmpty() && !notEmpty.isDone()) {
                wake = notEmpty;
            }
            if (remote) {
                if (queuedBytes < bufferLimitBytes) {
                    requestMore = true;
                } else {
                    state.paused = true;
                    fullSince = System.nanoTime();
                }
            }
        }
        if (wake != null) {
            wake.complete(null);
        }
        if (requestMore) {
            state.remoteConnection.request(1);
        }
    }

    private List<Runnable> resumeLocked() {
        metrics.receiverHeldBack(System.nanoTime() - fullSince);
        List<Runnable> actions = new ArrayList<>();
        for (SourceState state : states) {
            if (state.paused) {
                state.paused = false;
                ExchangeConnector.RemoteConnection connection = state.remoteConnection;
                actions.add(() -> connection.request(1));
            } else if (state.localConnection != null && !state.ended) {
                ExchangeConnector.LocalConnection connection = state.localConnection;
                actions.add(connection::onReady);
            }
        }
        return actions;
    }

    private void sourceEnded(SourceState state) {
        CompletableFuture<Void> wake = null;
        synchronized (lock) {
            if (state.ended) {
                return;
            }
            state.ended = true;
            openSources--;
            if (openSources == 0) {
                wake = notEmpty;
            }
        }
        if (wake != null) {
            wake.complete(null);
        }
    }

    private void fail(MppException cause, SourceState culprit) {
        List<Entry> dropped;
        CompletableFuture<Void> wake;
        synchronized (lock) {
            if (failure != null || closed) {
                return;
            }
            failure = cause;
            culprit.ended = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            metrics.receiveQueueChanged(-queuedBytes);
            queuedBytes = 0;
            wake = notEmpty;
        }
        dropped.forEach(entry -> entry.batch.batch().close());
        cancelAll(cause.getMessage());
        wake.complete(null);
    }

    private void cancelAll(String reason) {
        for (SourceState state : states) {
            ExchangeConnector.RemoteConnection remote;
            ExchangeConnector.LocalConnection local;
            synchronized (lock) {
                remote = state.remoteConnection;
                local = state.localConnection;
            }
            if (remote != null) {
                remote.cancel(reason);
            }
            if (local != null) {
                local.cancel();
            }
        }
    }

    private static long sizeOf(VectorSchemaRoot batch) {
        long bytes = 0;
        for (FieldVector vector : batch.getFieldVectors()) {
            bytes += vector.getBufferSize();
        }
        return bytes;
    }

    private record Entry(ReceivedBatch batch, long bytes) {}

    /** One source's connection and decoders. Fields are guarded by the receiver's lock, decoders by the transport's serial delivery. */
    private final class SourceState {
        final int index;
        final ExchangeSource source;
        final Map<Long, ChunkDecoder> decoders = new HashMap<>();
        ExchangeConnector.RemoteConnection remoteConnection;
        ExchangeConnector.LocalConnection localConnection;
        boolean receivedAny;
        boolean paused;
        boolean ended;
        boolean localSchemaChecked;
        int attempts;

        SourceState(int index, ExchangeSource source) {
            this.index = index;
            this.source = source;
        }

        ChunkDecoder decoder(long streamId) {
            // The decoder names the sender ("bad data packet from task 3 at ..."); the receiver's
            // name goes in front when its error is reported.
            return decoders.computeIfAbsent(streamId, id -> new ChunkDecoder(allocator,
                    source.name() + (id == 0 ? "" : " (stream " + id + ")")));
        }

        MppException bad(String problem) {
            return new MppException(ErrorCode.REMOTE_TASK_FAILED, name + ": bad data packet from " + source.name() + ": " + problem);
        }

        PacketStream<LocalPacket> localEnd() {
            return new PacketStream<>() {
                @Override
                public boolean isReady() {
                    synchronized (lock) {
                        return closed || failure != null || queuedBytes < bufferLimitBytes;
                    }
                }

                @Override
                public void send(LocalPacket packet) {
                    onLocalPacket(SourceState.this, packet);
                }

                @Override
                public void complete() {
                    sourceEnded(SourceState.this);
                }
            };
        }
    }
}
