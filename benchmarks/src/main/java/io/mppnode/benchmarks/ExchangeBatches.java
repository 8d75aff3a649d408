package io.mppnode.benchmarks;

import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The one set of batches every contender of {@link ExchangeBenchmark} moves: {@code count}
 * batches of about 1 MiB each, lineitem-like columns (int64 key, decimal(15,2) price with 1%
 * nulls, utf8 comment of 10 to 55 characters drawn from words with 2% nulls, date), generated
 * once from a fixed seed into the allocator given.
 *
 * <p>The batches stay owned by this object; {@link #share} hands out batches that share their
 * buffers (a reference, no copy), so a contender may give batches away (an exchange writer
 * takes its batches over) and the next operation still sends the same bytes. Also precomputed
 * here: the Arrow IPC stream of the batches (schema then batches, exactly the chunks the
 * exchange sends) for the socket contender, and the record batches for Flight.
 *
 * <p>Thread-safe for {@link #share} and the getters; {@link #close()} frees everything and
 * closes the allocator, failing on a leak.
 */
final class ExchangeBatches implements AutoCloseable {
    static final int ROWS_PER_BATCH = 16_384;
    private static final long SEED = 20_240_917L;
    private static final String[] WORDS = {
        "carefully", "final", "deposits", "haggle", "slyly", "regular", "accounts", "furiously", "ironic",
        "packages", "blithely", "express", "requests", "pending", "quickly", "bold", "theodolites", "unusual",
        "instructions", "among", "the", "fluffily", "silent", "foxes", "nag", "above", "even", "pinto", "beans",
    };

    private final BufferAllocator allocator;
    private final Schema schema;
    private final List<VectorSchemaRoot> batches;
    private final long rows;
    private final long encodedBytes;
    private final List<ArrowRecordBatch> recordBatches = new ArrayList<>();
    private ArrowBuf ipcStream;

    /** @param allocator taken over: closed by {@link #close()} */
    ExchangeBatches(BufferAllocator allocator, int count) {
        this.allocator = allocator;
        this.schema = new Schema(List.of(
                new Field("order_key", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                new Field("price", FieldType.nullable(new ArrowType.Decimal(15, 2, 128)), null),
                new Field("comment", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
                new Field("ship_date", FieldType.notNullable(new ArrowType.Date(DateUnit.DAY)), null)));
        Random random = new Random(SEED);
        List<VectorSchemaRoot> made = new ArrayList<>(count);
        long totalRows = 0;
        for (int i = 0; i < count; i++) {
            made.add(generate(random, (long) i * ROWS_PER_BATCH));
            totalRows += ROWS_PER_BATCH;
        }
        this.batches = List.copyOf(made);
        this.rows = totalRows;

        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        List<EncodedChunk> chunks = new ArrayList<>(count + 1);
        try {
            chunks.add(encoder.encodeSchema(schema));
            long batchBytes = 0;
            for (VectorSchemaRoot batch : batches) {
                EncodedChunk chunk = encoder.encodeBatch(batch);
                chunks.add(chunk);
                batchBytes += chunk.size();
            }
            this.encodedBytes = batchBytes;
            long total = chunks.stream().mapToLong(EncodedChunk::size).sum();
            ipcStream = allocator.buffer(total);
            var target = ipcStream.nioBuffer(0, Math.toIntExact(total));
            chunks.forEach(chunk -> chunk.copyTo(target));
            ipcStream.writerIndex(total);
        } finally {
            chunks.forEach(EncodedChunk::release);
        }
        for (VectorSchemaRoot batch : batches) {
            recordBatches.add(new VectorUnloader(batch).getRecordBatch());
        }
    }

    private VectorSchemaRoot generate(Random random, long firstKey) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator);
        try {
            BigIntVector keys = (BigIntVector) batch.getVector(0);
            DecimalVector prices = (DecimalVector) batch.getVector(1);
            VarCharVector comments = (VarCharVector) batch.getVector(2);
            DateDayVector dates = (DateDayVector) batch.getVector(3);
            keys.allocateNew(ROWS_PER_BATCH);
            prices.allocateNew(ROWS_PER_BATCH);
            comments.allocateNew(ROWS_PER_BATCH * 33L, ROWS_PER_BATCH);
            dates.allocateNew(ROWS_PER_BATCH);
            StringBuilder comment = new StringBuilder(64);
            for (int row = 0; row < ROWS_PER_BATCH; row++) {
                keys.set(row, firstKey + row);
                if (random.nextInt(100) == 0) {
                    prices.setNull(row);
                } else {
                    prices.set(row, BigDecimal.valueOf(90_000L + random.nextInt(10_000_000), 2));
                }
                if (random.nextInt(50) == 0) {
                    comments.setNull(row);
                } else {
                    int length = 10 + random.nextInt(46);
                    comment.setLength(0);
                    while (comment.length() < length) {
                        comment.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                    }
                    comment.setLength(length);
                    comments.setSafe(row, comment.toString().getBytes(StandardCharsets.UTF_8));
                }
                dates.set(row, 8_036 + random.nextInt(2_526)); // 1992-01-02 .. 1998-12-01
            }
            batch.setRowCount(ROWS_PER_BATCH);
            return batch;
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
    }

    Schema schema() {
        return schema;
    }

    int count() {
        return batches.size();
    }

    /** Rows of all batches. */
    long rows() {
        return rows;
    }

    /**
     * Bytes of all batches as Arrow IPC messages (metadata and body, the schema message left
     * out): what one operation moves, whatever the transport.
     */
    long encodedBytes() {
        return encodedBytes;
    }

    /** Batch {@code index} sharing the stored buffers: no copy; the caller owns and closes it. */
    VectorSchemaRoot share(int index) {
        VectorSchemaRoot batch = batches.get(index);
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

    /** The batches as record batches (references to the stored buffers), for Flight; still owned here. */
    List<ArrowRecordBatch> recordBatches() {
        return recordBatches;
    }

    /** The schema and the batches as one Arrow IPC stream; still owned here. */
    ArrowBuf ipcStream() {
        return ipcStream;
    }

    /** Frees the batches and closes the allocator. @throws IllegalStateException on a leak */
    @Override
    public void close() {
        recordBatches.forEach(ArrowRecordBatch::close);
        recordBatches.clear();
        batches.forEach(VectorSchemaRoot::close);
        if (ipcStream != null) {
            ipcStream.close();
            ipcStream = null;
        }
        ExchangeBenchmark.closeChecked(allocator);
    }
}
