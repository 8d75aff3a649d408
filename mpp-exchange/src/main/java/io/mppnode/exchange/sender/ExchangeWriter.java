package io.mppnode.exchange.sender;

import static java.util.Objects.requireNonNull;

import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.packet.OutboundPacket;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.Tunnel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The sending side of an exchange: routes a task's output batches to its tunnels by the
 * sender's partitioning, encoding for remote receivers and moving batches by ownership to local
 * ones. Transport-free: it speaks Arrow and tunnels only.
 *
 * <ul>
 *   <li>Pass-through: every batch to the one tunnel.
 *   <li>Broadcast: every batch to every tunnel, encoded once: the remote tunnels share one
 *       {@link EncodedChunk} (the same bytes), the local ones share the batch's buffers.
 *   <li>Hash: each row to the partition {@link Partitioner} gives it. With fine-grained shuffle
 *       ({@code streamCount} > 1) partition {@code p} goes to tunnel {@code p % tunnels} as
 *       stream {@code p / tunnels} (receiver-minor, see {@code partition.Partitioning}: the
 *       receiver of a row does not depend on the stream count); the sub-batches of one batch for
 *       one tunnel travel in one packet, one chunk each, routed by {@code stream_ids}.
 * </ul>
 *
 * <p>Every stream of a remote tunnel starts with the schema chunk (the first packet of the
 * tunnel carries one per stream), so each stream's chunks concatenated are an Arrow IPC stream,
 * and a stream with no rows still tells its receiver the columns.
 *
 * <p>Not thread-safe: one writer per task, used by the task's pipeline.
 */
public final class ExchangeWriter {
    /** How a hash sender splits a batch. */
    public interface Partitioner {
        /**
         * Splits {@code batch} (still the caller's) into {@code partitionCount} batches, owned by
         * the caller; a partition with no rows may be null.
         */
        VectorSchemaRoot[] split(VectorSchemaRoot batch, int partitionCount);
    }

    public enum Mode { PASS_THROUGH, BROADCAST, HASH }

    private final Mode mode;
    private final List<Tunnel<?>> tunnels;
    private final int streamCount;
    private final Partitioner partitioner;
    private final ChunkEncoder encoder;
    private final EncodedChunk schemaChunk;
    private final boolean[] started;
    private boolean finished;

    /**
     * @param tunnels in partition order; each a {@code Tunnel<OutboundPacket>} (remote) or a
     *     {@code Tunnel<LocalPacket>} (local)
     * @param streamCount streams per tunnel (fine-grained shuffle); 1 otherwise
     * @param partitioner for HASH only, else null
     */
    public ExchangeWriter(Mode mode, List<Tunnel<?>> tunnels, Schema schema, Compression compression, int streamCount,
            Partitioner partitioner) {
        this.mode = requireNonNull(mode, "mode is null");
        this.tunnels = List.copyOf(tunnels);
        if (this.tunnels.isEmpty()) {
            throw new IllegalArgumentException("an exchange needs at least one tunnel");
        }
        if (mode == Mode.PASS_THROUGH && this.tunnels.size() != 1) {
            throw new IllegalArgumentException("pass-through sends to exactly one tunnel, got " + this.tunnels.size());
        }
        if (streamCount < 1) {
            throw new IllegalArgumentException("streamCount must be at least 1: " + streamCount);
        }
        if (mode == Mode.HASH) {
            requireNonNull(partitioner, "a hash exchange needs a partitioner");
        }
        this.streamCount = streamCount;
        this.partitioner = partitioner;
        this.encoder = new ChunkEncoder(compression);
        this.schemaChunk = encoder.encodeSchema(requireNonNull(schema, "schema is null"));
        this.started = new boolean[this.tunnels.size()];
    }

    public int partitionCount() {
        return tunnels.size() * streamCount;
    }

    /**
     * Sends one batch, taking it over. The future completes when every tunnel written to is
     * back within its buffer bound; the caller waits for it before writing more.
     */
    public CompletableFuture<Void> write(VectorSchemaRoot batch) {
        requireNonNull(batch, "batch is null");
        if (finished) {
            batch.close();
            throw new IllegalStateException("write after finish");
        }
        List<CompletableFuture<Void>> blocked = new ArrayList<>();
        // Each route takes the batch over and closes what it does not hand on, on every path:
        // closing it here as well would free a batch a local tunnel still holds.
        switch (mode) {
            case PASS_THROUGH -> send(0, new VectorSchemaRoot[] {batch}, new long[] {0}, blocked);
            case BROADCAST -> broadcast(batch, blocked);
            case HASH -> hash(batch, blocked);
        }
        return blocked.isEmpty() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(blocked.toArray(CompletableFuture[]::new));
    }

    /**
     * Makes sure every remote stream has carried its schema, then releases the schema chunk.
     * The task ends the tunnels afterwards. Idempotent.
     */
    public CompletableFuture<Void> finish() {
        if (finished) {
            return CompletableFuture.completedFuture(null);
        }
        finished = true;
        List<CompletableFuture<Void>> blocked = new ArrayList<>();
        try {
            for (int i = 0; i < tunnels.size(); i++) {
                if (!started[i] && !tunnels.get(i).isLocal()) {
                    track(remote(i).write(packet(i, List.of(), new long[0])), blocked);
                }
            }
        } finally {
            schemaChunk.release();
        }
        return blocked.isEmpty() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(blocked.toArray(CompletableFuture[]::new));
    }

    /** Releases what the writer holds when the task stops without finishing. Idempotent. */
    public void close() {
        if (!finished) {
            finished = true;
            schemaChunk.release();
        }
    }

    private void broadcast(VectorSchemaRoot batch, List<CompletableFuture<Void>> blocked) {
        EncodedChunk encoded = null;
        int lastLocal = -1;
        try {
            for (int i = 0; i < tunnels.size(); i++) {
                if (tunnels.get(i).isLocal()) {
                    lastLocal = i;
                } else if (encoded == null) {
                    encoded = encoder.encodeBatch(batch);
                }
            }
            for (int i = 0; i < tunnels.size(); i++) {
                if (tunnels.get(i).isLocal()) {
                    VectorSchemaRoot share;
                    if (i == lastLocal) {
                        share = batch; // the last local tunnel takes the batch itself
                        batch = null;
                    } else {
                        share = share(batch);
                    }
                    track(local(i).write(LocalPacket.ofBatch(share, 0)), blocked);
                } else {
                    track(remote(i).write(packet(i, List.of(encoded.retain()), new long[] {0})), blocked);
                }
            }
        } finally {
            if (encoded != null) {
                encoded.release();
            }
            if (batch != null) {
                batch.close();
            }
        }
    }

    private void hash(VectorSchemaRoot batch, List<CompletableFuture<Void>> blocked) {
        VectorSchemaRoot[] parts;
        try {
            parts = partitioner.split(batch, partitionCount());
        } finally {
            batch.close();
        }
        try {
            for (int i = 0; i < tunnels.size(); i++) {
                VectorSchemaRoot[] mine = new VectorSchemaRoot[streamCount];
                long[] streamIds = new long[streamCount];
                for (int stream = 0; stream < streamCount; stream++) {
                    int index = stream * tunnels.size() + i;
                    mine[stream] = parts[index];
                    parts[index] = null;
                    streamIds[stream] = stream;
                }
                send(i, mine, streamIds, blocked);
            }
        } finally {
            for (VectorSchemaRoot part : parts) {
                if (part != null) {
                    part.close();
                }
            }
        }
    }

    /** Sends the non-null batches to tunnel {@code index}, taking them over. */
    private void send(int index, VectorSchemaRoot[] batches, long[] streamIds, List<CompletableFuture<Void>> blocked) {
        if (tunnels.get(index).isLocal()) {
            Tunnel<LocalPacket> tunnel = local(index);
            try {
                for (int i = 0; i < batches.length; i++) {
                    if (batches[i] != null) {
                        VectorSchemaRoot batch = batches[i];
                        batches[i] = null;
                        track(tunnel.write(LocalPacket.ofBatch(batch, streamIds[i])), blocked);
                    }
                }
            } finally {
                // An aborted tunnel refuses the first batch: free the streams after it.
                for (VectorSchemaRoot batch : batches) {
                    if (batch != null) {
                        batch.close();
                    }
                }
            }
            return;
        }
        List<EncodedChunk> chunks = new ArrayList<>(batches.length);
        long[] ids = new long[batches.length];
        int count = 0;
        try {
            for (int i = 0; i < batches.length; i++) {
                if (batches[i] != null) {
                    chunks.add(encoder.encodeBatch(batches[i]));
                    ids[count++] = streamIds[i];
                    batches[i].close();
                    batches[i] = null;
                }
            }
        } catch (RuntimeException e) {
            chunks.forEach(EncodedChunk::release);
            for (VectorSchemaRoot batch : batches) {
                if (batch != null) {
                    batch.close();
                }
            }
            throw e;
        }
        if (chunks.isEmpty()) {
            return;
        }
        track(remote(index).write(packet(index, chunks, java.util.Arrays.copyOf(ids, count))), blocked);
    }

    /** A packet of the given chunks, led by the schema chunks when it is the tunnel's first. */
    private OutboundPacket packet(int index, List<EncodedChunk> chunks, long[] streamIds) {
        if (started[index]) {
            return OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, chunks, streamIds);
        }
        started[index] = true;
        List<EncodedChunk> all = new ArrayList<>(streamCount + chunks.size());
        long[] ids = new long[streamCount + streamIds.length];
        for (int stream = 0; stream < streamCount; stream++) {
            all.add(schemaChunk.retain());
            ids[stream] = stream;
        }
        all.addAll(chunks);
        System.arraycopy(streamIds, 0, ids, streamCount, streamIds.length);
        return OutboundPacket.ofChunks(PacketFormat.ARROW_IPC_V1, all, ids);
    }

    /** A batch sharing {@code batch}'s buffers (no copy), for one more local owner. */
    private static VectorSchemaRoot share(VectorSchemaRoot batch) {
        List<FieldVector> vectors = new ArrayList<>(batch.getFieldVectors().size());
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(vector.getAllocator());
                pair.splitAndTransfer(0, batch.getRowCount());
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
    }

    private static void track(CompletableFuture<Void> future, List<CompletableFuture<Void>> blocked) {
        if (!future.isDone()) {
            blocked.add(future);
        }
    }

    @SuppressWarnings("unchecked")
    private Tunnel<LocalPacket> local(int index) {
        return (Tunnel<LocalPacket>) tunnels.get(index);
    }

    @SuppressWarnings("unchecked")
    private Tunnel<OutboundPacket> remote(int index) {
        return (Tunnel<OutboundPacket>) tunnels.get(index);
    }
}
