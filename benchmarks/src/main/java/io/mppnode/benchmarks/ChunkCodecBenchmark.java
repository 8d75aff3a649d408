package io.mppnode.benchmarks;

import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.ChunkEncoder;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.codec.EncodedChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.compression.Lz4CompressionCodec;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode and decode throughput of one exchange chunk per body compression: a batch of
 * lineitem-like columns (keys, decimals, dates, flags and free-text comments, with the repetition
 * of TPC-H data) of about 1 or 8 MiB uncompressed, encoded by {@link ChunkEncoder} and decoded by
 * {@link ChunkDecoder} from Arrow memory, as a remote tunnel does.
 *
 * <p>Contenders: {@code NONE}, {@code LZ4_FRAME} (our {@code Lz4FrameCodec}: lz4-java JNI on
 * Arrow memory), {@code LZ4_FRAME_STOCK} (Arrow's {@code Lz4CompressionCodec}: commons-compress
 * through {@code byte[]}; the same steps as the encoder and decoder, with the stock codec) and
 * {@code ZSTD} (Arrow's zstd-jni codec, level 3).
 *
 * <p>The score is operations (chunks) per second; the {@code payloadBytes} secondary metric is
 * the uncompressed payload per second, i.e. the throughput in bytes/s (divide by 1e9 for GB/s),
 * and {@code wireBytes} the chunk bytes per second: their ratio is the compression ratio.
 *
 * <p>Run: {@code bin/mpp bench ChunkCodecBenchmark -rf json -rff chunk-codec.json}, or after
 * {@code mvn -pl benchmarks -am package -DskipTests}:
 * {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar ChunkCodecBenchmark}
 * (with a JDK 25 {@code java}). The stock LZ4 encoder is very slow on this data (commons-compress
 * walks its list of pending blocks for every literal run): about 5 s per 1 MiB batch and 2
 * minutes per 8 MiB one on a 2-core machine, so leave it out of quick runs with
 * {@code -p contender=NONE,LZ4_FRAME,ZSTD}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ChunkCodecBenchmark {
    private static final String SOURCE = "benchmark sender";

    @Param({"NONE", "LZ4_FRAME", "LZ4_FRAME_STOCK", "ZSTD"})
    public String contender;

    /** The batch's uncompressed size, about. */
    @Param({"1", "8"})
    public int mebibytes;

    private BufferAllocator allocator;
    private VectorSchemaRoot batch;
    private Encoding encoding;
    private ArrowBuf received;
    private ChunkDecoder decoder;
    private long payloadBytes;
    private long wireBytes;

    /** Bytes per second of the benchmark's operations, as secondary metrics. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long payloadBytes;
        public long wireBytes;

        @Setup(Level.Iteration)
        public void reset() {
            payloadBytes = 0;
            wireBytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        batch = Lineitems.batch(allocator, mebibytes << 20, 42);
        encoding = contender.equals("LZ4_FRAME_STOCK") ? new StockLz4Encoding() : new ChunkEncoding(Compression.valueOf(contender));
        payloadBytes = size(new ChunkEncoder(Compression.NONE).encodeBatch(batch));

        // What a receiver holds: the chunk in Arrow memory, after the schema went through.
        byte[] chunk = encoding.bytes(batch);
        wireBytes = chunk.length;
        received = allocator.buffer(wireBytes);
        received.capacity(wireBytes); // the decoder reads the whole capacity
        received.setBytes(0, chunk);
        decoder = new ChunkDecoder(allocator, SOURCE);
        EncodedChunk schema = new ChunkEncoder(Compression.NONE).encodeSchema(batch.getSchema());
        try (ArrowBuf schemaChunk = allocator.buffer(schema.size())) {
            schemaChunk.capacity(schema.size());
            schema.copyTo(schemaChunk.nioBuffer(0, Math.toIntExact(schema.size())));
            decoder.decode(schemaChunk);
        }
        schema.release();

        // A check before measuring, not inside it: the contender reads back what it wrote.
        try (VectorSchemaRoot decoded = encoding.decode(decoder, received, allocator)) {
            if (!decoded.contentToTSVString().equals(batch.contentToTSVString())) {
                throw new IllegalStateException(contender + " did not round-trip the batch");
            }
        }
        System.out.printf("%n%s, %d MiB: %d rows, %d payload bytes, %d on the wire (ratio %.2f)%n", contender, mebibytes,
                batch.getRowCount(), payloadBytes, wireBytes, (double) payloadBytes / wireBytes);
    }

    @Benchmark
    public long encode(Bytes bytes) {
        long size = encoding.encode(batch);
        bytes.payloadBytes += payloadBytes;
        bytes.wireBytes += size;
        return size;
    }

    @Benchmark
    public int decode(Bytes bytes) {
        try (VectorSchemaRoot decoded = encoding.decode(decoder, received, allocator)) {
            bytes.payloadBytes += payloadBytes;
            bytes.wireBytes += wireBytes;
            return decoded.getRowCount();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        received.close();
        batch.close();
        allocator.close(); // throws on a leak
    }

    private static long size(EncodedChunk chunk) {
        long size = chunk.size();
        chunk.release();
        return size;
    }

    /** One contender's way from a batch to a chunk and back. */
    private interface Encoding {
        /** Encodes the batch and frees the encoding at once; returns the chunk's size. */
        long encode(VectorSchemaRoot batch);

        /** The chunk's bytes (set-up only). */
        byte[] bytes(VectorSchemaRoot batch);

        /** Decodes a received chunk; the caller closes the batch. */
        VectorSchemaRoot decode(ChunkDecoder decoder, ArrowBuf chunk, BufferAllocator allocator);
    }

    private record ChunkEncoding(ChunkEncoder encoder) implements Encoding {
        ChunkEncoding(Compression compression) {
            this(new ChunkEncoder(compression));
        }

        @Override
        public long encode(VectorSchemaRoot batch) {
            return size(encoder.encodeBatch(batch));
        }

        @Override
        public byte[] bytes(VectorSchemaRoot batch) {
            EncodedChunk chunk = encoder.encodeBatch(batch);
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(chunk.size()));
            chunk.copyTo(bytes);
            chunk.release();
            return bytes.array();
        }

        @Override
        public VectorSchemaRoot decode(ChunkDecoder decoder, ArrowBuf chunk, BufferAllocator allocator) {
            return decoder.decode(chunk);
        }
    }

    /**
     * Arrow's stock LZ4 codec through the steps ChunkEncoder and ChunkDecoder take (whose codecs
     * are fixed): unload with compression and serialize the metadata; parse the metadata, slice
     * the body, load with decompression. The bytes are the same layout (MessageSerializer's).
     */
    private static final class StockLz4Encoding implements Encoding {
        private final Lz4CompressionCodec codec = new Lz4CompressionCodec();

        @Override
        public long encode(VectorSchemaRoot batch) {
            try (ArrowRecordBatch recordBatch = new VectorUnloader(batch, true, codec, true).getRecordBatch()) {
                ByteBuffer metadata = MessageSerializer.serializeMetadata(recordBatch, IpcOption.DEFAULT);
                return 8 + (metadata.remaining() + 7) / 8 * 8 + recordBatch.computeBodyLength();
            }
        }

        @Override
        public byte[] bytes(VectorSchemaRoot batch) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ArrowRecordBatch recordBatch = new VectorUnloader(batch, true, codec, true).getRecordBatch()) {
                MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), recordBatch);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        @Override
        public VectorSchemaRoot decode(ChunkDecoder decoder, ArrowBuf chunk, BufferAllocator allocator) {
            int metadataLength = chunk.getInt(4);
            Message message = Message.getRootAsMessage(chunk.nioBuffer(8, metadataLength).order(ByteOrder.LITTLE_ENDIAN));
            ArrowBuf body = chunk.slice(8 + metadataLength, message.bodyLength());
            body.getReferenceManager().retain(); // deserializeRecordBatch releases one
            try (ArrowRecordBatch recordBatch = MessageSerializer.deserializeRecordBatch(message, body)) {
                VectorSchemaRoot root = VectorSchemaRoot.create(decoder.schema(), allocator);
                new VectorLoader(root, CommonsCompressionFactory.INSTANCE).load(recordBatch);
                return root;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** TPC-H lineitem-like rows: the columns an exchange of a scan or a join moves. */
    static final class Lineitems {
        private static final String[] WORDS = {
            "furiously", "carefully", "quickly", "slyly", "blithely", "regular", "final", "ironic", "pending",
            "express", "special", "bold", "even", "unusual", "deposits", "requests", "packages", "accounts",
            "instructions", "theodolites", "foxes", "pinto", "beans", "sleep", "wake", "haggle", "nag", "use",
            "cajole", "detect", "integrate", "boost", "among", "above", "across", "against", "along", "the"};
        private static final String[] INSTRUCTIONS = {"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"};
        private static final String[] MODES = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};
        private static final Schema SCHEMA = new Schema(List.of(
                field("l_orderkey", new ArrowType.Int(64, true)),
                field("l_partkey", new ArrowType.Int(32, true)),
                field("l_suppkey", new ArrowType.Int(32, true)),
                field("l_linenumber", new ArrowType.Int(32, true)),
                field("l_quantity", new ArrowType.Decimal(15, 2, 128)),
                field("l_extendedprice", new ArrowType.Decimal(15, 2, 128)),
                field("l_discount", new ArrowType.Decimal(15, 2, 128)),
                field("l_tax", new ArrowType.Decimal(15, 2, 128)),
                field("l_returnflag", ArrowType.Utf8.INSTANCE),
                field("l_linestatus", ArrowType.Utf8.INSTANCE),
                field("l_shipdate", new ArrowType.Date(DateUnit.DAY)),
                field("l_commitdate", new ArrowType.Date(DateUnit.DAY)),
                field("l_receiptdate", new ArrowType.Date(DateUnit.DAY)),
                field("l_shipinstruct", ArrowType.Utf8.INSTANCE),
                field("l_shipmode", ArrowType.Utf8.INSTANCE),
                field("l_comment", ArrowType.Utf8.INSTANCE)));
        /** About the Arrow bytes of one row: 4 decimals of 16, 8 + 5 * 4 fixed, 5 strings with their offsets. */
        private static final int BYTES_PER_ROW = 4 * 16 + 8 + 6 * 4 + 5 * 4 + 1 + 1 + 11 + 5 + 27 + 2;

        private Lineitems() {}

        /** A batch of about {@code bytes} bytes; the caller closes it. */
        static VectorSchemaRoot batch(BufferAllocator allocator, int bytes, long seed) {
            int rows = bytes / BYTES_PER_ROW;
            Random random = new Random(seed);
            VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
            root.allocateNew();
            long orderKey = 1;
            int lineNumber = 1;
            int shipBase = (int) LocalDate.of(1992, 1, 2).toEpochDay();
            for (int row = 0; row < rows; row++) {
                if (lineNumber > 1 + random.nextInt(7)) {
                    orderKey += 1 + random.nextInt(4);
                    lineNumber = 1;
                }
                int quantity = 1 + random.nextInt(50);
                int partKey = 1 + random.nextInt(200_000);
                ((BigIntVector) root.getVector(0)).setSafe(row, orderKey);
                ((IntVector) root.getVector(1)).setSafe(row, partKey);
                ((IntVector) root.getVector(2)).setSafe(row, 1 + random.nextInt(10_000));
                ((IntVector) root.getVector(3)).setSafe(row, lineNumber++);
                ((DecimalVector) root.getVector(4)).setSafe(row, BigDecimal.valueOf(quantity * 100L, 2));
                ((DecimalVector) root.getVector(5)).setSafe(row, BigDecimal.valueOf(quantity * (90_000L + partKey % 20_001), 2));
                ((DecimalVector) root.getVector(6)).setSafe(row, BigDecimal.valueOf(random.nextInt(11), 2));
                ((DecimalVector) root.getVector(7)).setSafe(row, BigDecimal.valueOf(random.nextInt(9), 2));
                int shipDate = shipBase + random.nextInt(2400);
                set(root, 8, row, shipDate > (int) LocalDate.of(1995, 6, 17).toEpochDay() ? "N" : random.nextBoolean() ? "R" : "A");
                set(root, 9, row, shipDate > (int) LocalDate.of(1995, 6, 17).toEpochDay() ? "O" : "F");
                ((DateDayVector) root.getVector(10)).setSafe(row, shipDate);
                ((DateDayVector) root.getVector(11)).setSafe(row, shipDate - 30 + random.nextInt(61));
                ((DateDayVector) root.getVector(12)).setSafe(row, shipDate + 1 + random.nextInt(30));
                set(root, 13, row, INSTRUCTIONS[random.nextInt(INSTRUCTIONS.length)]);
                set(root, 14, row, MODES[random.nextInt(MODES.length)]);
                set(root, 15, row, comment(random));
            }
            root.setRowCount(rows);
            return root;
        }

        private static String comment(Random random) {
            StringBuilder comment = new StringBuilder();
            int length = 10 + random.nextInt(34);
            while (comment.length() < length) {
                comment.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            return comment.substring(0, length);
        }

        private static void set(VectorSchemaRoot root, int column, int row, String value) {
            ((VarCharVector) root.getVector(column)).setSafe(row, value.getBytes(StandardCharsets.UTF_8));
        }

        private static Field field(String name, ArrowType type) {
            return new Field(name, FieldType.notNullable(type), null);
        }
    }
}
