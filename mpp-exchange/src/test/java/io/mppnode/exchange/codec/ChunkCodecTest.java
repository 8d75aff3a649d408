package io.mppnode.exchange.codec;

import static io.mppnode.exchange.codec.TestingBatches.ALL_TYPES;
import static io.mppnode.exchange.codec.TestingBatches.asLists;
import static io.mppnode.exchange.codec.TestingBatches.fullRow;
import static io.mppnode.exchange.codec.TestingBatches.nullRow;
import static io.mppnode.exchange.codec.TestingBatches.randomText;
import static io.mppnode.exchange.codec.TestingBatches.rows;
import static io.mppnode.exchange.codec.TestingBatches.sampleRows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.compression.Lz4CompressionCodec;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exchange chunk format end to end: {@link ChunkEncoder} and {@link ChunkDecoder} for every
 * {@link Compression}, compatibility with Arrow's own IPC writer, reader and codecs, the LZ4
 * frame codec on its own, and refusal of every kind of corrupt chunk without leaking memory.
 */
class ChunkCodecTest {
    private static final String SOURCE = "task 7 of query 42 at 10.0.0.1:3930";
    private static final int MIB = 1 << 20;
    private static final Schema INT_COLUMN = new Schema(List.of(TestingBatches.field("x", new ArrowType.Int(32, true))));

    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        assertThat(allocator.getAllocatedMemory()).as("Arrow memory leaked by the test").isZero();
        // Throws on a leak too, naming the buffers.
        allocator.close();
    }

    // ---- Round trips ----

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsEveryTypeWithNulls(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        String multiByte = "Grüße, 世界! \uD83D\uDE80 ©";
        String oneMebibyte = "é".repeat(1 << 19) + "x"; // 2-byte UTF-8 each: just over 1 MiB
        List<Object[]> input = new ArrayList<>(List.of(
                fullRow(1),
                nullRow(),
                new Object[] {
                    false, Integer.MIN_VALUE, Long.MAX_VALUE, -0.5,
                    new BigDecimal("-9999999999999.99"),
                    new BigDecimal("99999999999999999999999999999999999999"),
                    new BigDecimal("-9999999999999999999999999999.9999999999"),
                    multiByte, LocalDate.of(1969, 12, 31), LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000),
                },
                new Object[] {true, null, null, Double.NaN, null, new BigDecimal("-99999999999999999999999999999999999999"),
                    null, oneMebibyte, null, LocalDateTime.of(9999, 12, 31, 0, 0)},
                new Object[] {null, Integer.MAX_VALUE, Long.MIN_VALUE, null, new BigDecimal("0.01"), null,
                    new BigDecimal("0.0000000001"), "", LocalDate.of(2262, 4, 11), null}));
        input.addAll(sampleRows(1000, 5));

        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertThat(decoder.schema()).isNull();
        assertThat(decode(decoder, encoder.encodeSchema(ALL_TYPES))).isNull();
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);

        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input);
                VectorSchemaRoot decoded = decode(decoder, encoder.encodeBatch(batch))) {
            assertThat(decoded.getSchema()).isEqualTo(ALL_TYPES);
            assertThat(decoded.getRowCount()).isEqualTo(input.size());
            List<List<Object>> decodedRows = rows(decoded);
            assertThat(decodedRows).isEqualTo(asLists(input));
            assertThat(decodedRows.get(1)).containsOnlyNulls();
            assertThat(decodedRows.get(2).get(7)).isEqualTo(multiByte);
            assertThat((String) decodedRows.get(3).get(7)).isEqualTo(oneMebibyte);
            // The encoder only reads the batch: it is still intact and owned by the caller.
            assertThat(rows(batch)).isEqualTo(asLists(input));
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsAnEmptyBatch(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.of());
                VectorSchemaRoot decoded = decode(decoder, encoder.encodeBatch(batch))) {
            assertThat(decoded.getSchema()).isEqualTo(ALL_TYPES);
            assertThat(decoded.getRowCount()).isZero();
        }
    }

    /**
     * One 16 MiB value (LZ4: four blocks that do not shrink, stored as they are) and forty of
     * 100 KiB that do: frames of several blocks, some compressed and some not.
     */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsVeryLongStrings(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        List<Object[]> input = new ArrayList<>();
        input.add(textRow(randomText(16 * MIB, 1)));
        for (int i = 0; i < 40; i++) {
            input.add(textRow(i % 10 == 0 ? null : ("value " + i + " ").repeat(100 * 1024 / 9)));
        }
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
            EncodedChunk chunk = encoder.encodeBatch(batch);
            if (compression != Compression.NONE) {
                assertThat(chunk.size()).as("compressed chunk size").isLessThan(18L * MIB);
            }
            try (VectorSchemaRoot decoded = decode(decoder, chunk)) {
                assertThat(rows(decoded)).isEqualTo(asLists(input));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decodesSeveralBatchesInOrder(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        List<List<Object[]>> batches = List.of(
                List.of(fullRow(1), fullRow(2), nullRow()),
                List.of(),
                sampleRows(3000, 1),
                List.<Object[]>of(fullRow(3)),
                sampleRows(500, 2));
        for (List<Object[]> input : batches) {
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input);
                    VectorSchemaRoot decoded = decode(decoder, encoder.encodeBatch(batch))) {
                assertThat(rows(decoded)).isEqualTo(asLists(input));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void chunkAndDecodedBatchOutliveWhatTheyCameFrom(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        List<Object[]> input = sampleRows(200, 3);
        try (BufferAllocator decoderAllocator = allocator.newChildAllocator("decoder", 0, Long.MAX_VALUE)) {
            ChunkDecoder decoder = new ChunkDecoder(decoderAllocator, SOURCE);
            decode(decoder, encoder.encodeSchema(ALL_TYPES));
            EncodedChunk chunk;
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
                chunk = encoder.encodeBatch(batch);
            }
            // The batch is closed: the chunk keeps its buffers alive, and a second holder too.
            assertThat(allocator.getAllocatedMemory()).isPositive();
            chunk.retain();
            chunk.release();
            assertThat(chunk.referenceCount()).isOne();
            VectorSchemaRoot decoded = decode(decoder, chunk); // releases the chunk and its transport copy
            assertThat(chunk.referenceCount()).isZero();
            assertThatThrownBy(chunk::retain).isInstanceOf(IllegalStateException.class);
            if (compression != Compression.NONE) {
                // Decompressed into the decoder's allocator, which the caller chose.
                assertThat(decoderAllocator.getAllocatedMemory()).isPositive();
            }
            assertThat(rows(decoded)).isEqualTo(asLists(input));
            decoded.close();
            assertThat(decoderAllocator.getAllocatedMemory()).isZero();
        }
    }

    // ---- Compatibility with Arrow's own IPC ----

    @ParameterizedTest
    @EnumSource(Compression.class)
    void concatenatedChunksAreAnArrowIpcStreamForTheStockReader(Compression compression) throws IOException {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        List<List<Object[]>> batches = List.of(
                List.of(fullRow(1), nullRow()),
                List.of(),
                sampleRows(2000, 4));
        List<EncodedChunk> chunks = new ArrayList<>();
        chunks.add(encoder.encodeSchema(ALL_TYPES));
        for (List<Object[]> input : batches) {
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
                chunks.add(encoder.encodeBatch(batch));
            }
        }
        byte[] stream = concatenate(chunks);

        // The chunks carry no end-of-stream marker: the stock reader takes the end of the bytes
        // as the end of the stream, reads every batch, then reports that there are no more. Its
        // codecs are Arrow's stock ones (commons-compress LZ4, zstd-jni).
        try (ArrowStreamReader reader = new ArrowStreamReader(
                new ByteArrayInputStream(stream), allocator, CommonsCompressionFactory.INSTANCE)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertThat(root.getSchema()).isEqualTo(ALL_TYPES);
            List<List<List<Object>>> read = new ArrayList<>();
            while (reader.loadNextBatch()) {
                read.add(rows(root));
            }
            assertThat(read).containsExactly(asLists(batches.get(0)), asLists(batches.get(1)), asLists(batches.get(2)));
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void concatenatedChunksFollowedByAnEndOfStreamMarkerAreReadTheSame() throws IOException {
        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        List<EncodedChunk> chunks = new ArrayList<>();
        chunks.add(encoder.encodeSchema(ALL_TYPES));
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.<Object[]>of(fullRow(1)))) {
            chunks.add(encoder.encodeBatch(batch));
        }
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(concatenate(chunks));
        // The IPC end-of-stream marker: continuation token 0xFFFFFFFF, then a zero length.
        stream.writeBytes(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0});
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream.toByteArray()), allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(rows(reader.getVectorSchemaRoot())).isEqualTo(asLists(List.<Object[]>of(fullRow(1))));
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void schemaOnlyStreamIsReadableWithNoBatches() throws IOException {
        byte[] stream = concatenate(List.of(new ChunkEncoder(Compression.NONE).encodeSchema(ALL_TYPES)));
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream), allocator)) {
            assertThat(reader.getVectorSchemaRoot().getSchema()).isEqualTo(ALL_TYPES);
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void schemaWithoutColumnsRoundTrips() {
        Schema empty = new Schema(List.of());
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertThat(decode(decoder, new ChunkEncoder(Compression.NONE).encodeSchema(empty))).isNull();
        assertThat(decoder.schema()).isEqualTo(empty);
    }

    /** The chunks are what Arrow's own IPC writer writes for the same schema and record batch. */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void chunksAreByteForByteWhatMessageSerializerWrites(Compression compression) throws IOException {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        ByteArrayOutputStream expectedSchema = new ByteArrayOutputStream();
        MessageSerializer.serialize(new WriteChannel(Channels.newChannel(expectedSchema)), ALL_TYPES);
        assertThat(concatenate(List.of(encoder.encodeSchema(ALL_TYPES)))).isEqualTo(expectedSchema.toByteArray());

        for (List<Object[]> input : List.of(sampleRows(777, 6), List.<Object[]>of(), List.<Object[]>of(nullRow()))) {
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                CompressionCodec codec = ExchangeCodecs.codec(compression);
                try (ArrowRecordBatch recordBatch = new VectorUnloader(batch, true, codec, true).getRecordBatch()) {
                    MessageSerializer.serialize(new WriteChannel(Channels.newChannel(expected)), recordBatch);
                }
                assertThat(concatenate(List.of(encoder.encodeBatch(batch)))).isEqualTo(expected.toByteArray());
            }
        }
    }

    // ---- Copies ----

    @Test
    void uncompressedEncodingReferencesTheBatchWithoutCopying() {
        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, sampleRows(5000, 7))) {
            long before = allocator.getAllocatedMemory();
            EncodedChunk chunk = encoder.encodeBatch(batch);
            assertThat(allocator.getAllocatedMemory()).isEqualTo(before);
            assertThat(chunk.size()).isGreaterThan(before / 2);
            // Body segments are direct views of the vectors' memory; only the prefix is on the heap.
            assertThat(chunk.segment(0).isDirect()).isFalse();
            for (int i = 1; i < chunk.segmentCount(); i++) {
                assertThat(chunk.segment(i).isDirect()).isTrue();
                assertThat(chunk.segment(i).isReadOnly()).isTrue();
            }
            chunk.release();
        }
    }

    @Test
    void uncompressedBatchIsDecodedWithoutCopying() {
        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        List<Object[]> input = sampleRows(5000, 8);
        ArrowBuf chunk;
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
            chunk = received(encoder.encodeBatch(batch));
        }
        long chunkOnly = allocator.getAllocatedMemory();
        assertThat(chunkOnly).isGreaterThanOrEqualTo(chunk.capacity());
        VectorSchemaRoot decoded = decoder.decode(chunk);
        // Nothing allocated for the batch (it is larger than 100 KB): its vectors are slices of the chunk.
        assertThat(allocator.getAllocatedMemory()).isEqualTo(chunkOnly);
        VarCharVector comments = (VarCharVector) decoded.getVector("comment");
        assertThat(comments.getDataBuffer().memoryAddress())
                .isBetween(chunk.memoryAddress(), chunk.memoryAddress() + chunk.capacity() - 1);
        // The batch holds the chunk's memory after the caller lets go of the chunk.
        chunk.close();
        assertThat(allocator.getAllocatedMemory()).isEqualTo(chunkOnly);
        assertThat(rows(decoded)).isEqualTo(asLists(input));
        decoded.close();
    }

    // ---- The LZ4 frame codec ----

    @Test
    void lz4CodecRunsNativeLz4() {
        assertThat(Lz4FrameCodec.implementation()).contains("JNI");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 64 * 1024, 4 * MIB, 4 * MIB + 1, 9 * MIB + 3})
    void stockCodecReadsOurLz4Frames(int length) {
        byte[] data = mixedData(length, length);
        ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data));
        try (ArrowBuf decompressed = new Lz4CompressionCodec().decompress(allocator, compressed)) {
            assertThat(bytes(decompressed)).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 64 * 1024, 4 * MIB, 4 * MIB + 1, 9 * MIB + 3})
    void weReadTheStockCodecsLz4Frames(int length) {
        // Arrow Java's frames: independent 4 MiB blocks and a content checksum.
        byte[] data = mixedData(length, length);
        ArrowBuf compressed = new Lz4CompressionCodec().compress(allocator, arrowBuf(data));
        try (ArrowBuf decompressed = new Lz4FrameCodec().decompress(allocator, compressed)) {
            assertThat(bytes(decompressed)).isEqualTo(data);
        }
    }

    /** Linked blocks (Arrow C++'s default LZ4F preferences) go to the stock codec, with or without checksums. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weReadLinkedBlockFrames(boolean checksums) throws IOException {
        byte[] data = mixedData(3 * MIB + 17, 9);
        byte[] frame = commonsCompressFrame(data, new FramedLZ4CompressorOutputStream.Parameters(
                FramedLZ4CompressorOutputStream.BlockSize.K64, checksums, checksums, true));
        assertThat(frame[4] & 0x20).as("block independence flag").isZero();
        try (ArrowBuf decompressed = new Lz4FrameCodec().decompress(allocator, compressedBuffer(data.length, frame))) {
            assertThat(bytes(decompressed)).isEqualTo(data);
        }
    }

    /** lz4-java's own frame writer sets the optional fields our writer leaves out. */
    @Test
    void weReadFramesWithContentSizeAndBlockAndContentChecksums() throws IOException {
        byte[] data = mixedData(MIB + 5, 10);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        try (LZ4FrameOutputStream out = new LZ4FrameOutputStream(frame, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
                data.length, LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_SIZE,
                LZ4FrameOutputStream.FLG.Bits.BLOCK_CHECKSUM, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM)) {
            out.write(data);
        }
        assertThat(frame.toByteArray()[4] & 0xFF).as("FLG").isEqualTo(0x7C);
        try (ArrowBuf decompressed = new Lz4FrameCodec().decompress(allocator, compressedBuffer(data.length, frame.toByteArray()))) {
            assertThat(bytes(decompressed)).isEqualTo(data);
        }
    }

    /** The frame layout, field by field, for 9 MiB: a compressible block, one stored as is, and a short last one. */
    @Test
    void ourLz4FramesAreStandardFramesOfIndependentBlocks() {
        byte[] data = new byte[9 * MIB];
        Arrays.fill(data, 0, 4 * MIB, (byte) 'a');
        byte[] noise = randomText(4 * MIB, 11).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(noise, 0, data, 4 * MIB, noise.length);
        Arrays.fill(data, 8 * MIB, 9 * MIB, (byte) 'b');
        try (ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data))) {
            ByteBuffer frame = ByteBuffer.wrap(bytes(compressed)).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(frame.getLong(0)).as("uncompressed length").isEqualTo(data.length);
            assertThat(frame.getInt(8)).as("magic").isEqualTo(0x184D2204);
            assertThat(frame.get(12)).as("FLG: version 01, independent blocks, no checksums").isEqualTo((byte) 0x60);
            assertThat(frame.get(13)).as("BD: 4 MiB blocks").isEqualTo((byte) 0x70);
            assertThat(frame.get(14)).as("header checksum: second byte of XXH32(FLG BD)")
                    .isEqualTo((byte) (net.jpountz.xxhash.XXHashFactory.safeInstance().hash32()
                            .hash(new byte[] {0x60, 0x70}, 0, 2, 0) >>> 8));
            int position = 15;
            int first = frame.getInt(position);
            assertThat(first).as("first block: compressed").isPositive().isLessThan(64 * 1024);
            position += 4 + first;
            assertThat(frame.getInt(position)).as("second block: stored as is").isEqualTo(0x80000000 | 4 * MIB);
            position += 4 + 4 * MIB;
            int third = frame.getInt(position);
            assertThat(third).as("third block: compressed").isPositive().isLessThan(64 * 1024);
            position += 4 + third;
            assertThat(frame.getInt(position)).as("end mark").isZero();
            assertThat(frame.capacity()).isEqualTo(position + 4);
        }
    }

    @Test
    void compressedBufferOfASmallInputIsSmall() {
        // The chunk holds the compressed buffers until it is released: a 1000-byte input must
        // not hold a buffer sized for a 4 MiB block (the allocator rounds to a power of two).
        byte[] data = "lineitem 17 deposits sleep; ".repeat(40).substring(0, 1000).getBytes(StandardCharsets.US_ASCII);
        try (ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data))) {
            assertThat(compressed.capacity()).isLessThanOrEqualTo(2048);
            assertThat(compressed.writerIndex()).isLessThan(200);
        }
    }

    @Test
    void incompressibleBufferIsSentAsIs() {
        // Arrow's convention for a buffer that does not shrink: length -1, then the raw bytes.
        byte[] data = randomText(100_000, 12).getBytes(StandardCharsets.US_ASCII);
        Lz4FrameCodec codec = new Lz4FrameCodec();
        ArrowBuf compressed = codec.compress(allocator, arrowBuf(data));
        assertThat(compressed.getLong(0)).isEqualTo(-1);
        assertThat(compressed.writerIndex()).isEqualTo(8 + data.length);
        try (ArrowBuf decompressed = codec.decompress(allocator, compressed)) {
            assertThat(bytes(decompressed)).isEqualTo(data);
        }
    }

    /** Every way a frame can be damaged: an exception naming the problem, no crash, nothing allocated left over. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("lz4Corruptions")
    void corruptLz4FramesAreRefused(String name, Consumer<ByteBuffer> damage, String problem) throws IOException {
        byte[] data = mixedData(MIB + 5, 13);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Our writer leaves out content size and checksums; lz4-java's frames have them all.
        try (LZ4FrameOutputStream frameOut = new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
                data.length, LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_SIZE,
                LZ4FrameOutputStream.FLG.Bits.BLOCK_CHECKSUM, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM)) {
            frameOut.write(data);
        }
        ByteBuffer buffer = ByteBuffer.allocate(8 + out.size()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(data.length).put(out.toByteArray()).flip();
        damage.accept(buffer);
        byte[] damaged = Arrays.copyOf(buffer.array(), buffer.limit());
        ArrowBuf compressed = arrowBuf(damaged);
        assertThatThrownBy(() -> new Lz4FrameCodec().decompress(allocator, compressed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(problem);
        // On failure the codec leaves the buffer to its caller (VectorLoader's contract).
        assertThat(compressed.refCnt()).isOne();
        compressed.close();
    }

    static Stream<Arguments> lz4Corruptions() {
        // Layout: 8-byte length, magic at 8, FLG 12, BD 13, content size 14..21, header checksum 22, first block at 23.
        return Stream.of(
                corruption("truncated header", b -> b.limit(12), "too short for a frame header"),
                corruption("ends in the header", b -> b.limit(20), "ends inside the frame header"),
                corruption("bad magic", b -> b.putInt(8, 0x184D2205), "magic number 0x184d2205"),
                corruption("legacy frame", b -> b.putInt(8, 0x184C2102), "magic number 0x184c2102"),
                corruption("version", b -> b.put(12, (byte) (b.get(12) | 0x80)), "unknown version or reserved bits"),
                corruption("reserved BD bit", b -> b.put(13, (byte) (b.get(13) | 0x01)), "unknown version or reserved bits"),
                corruption("block size id", b -> b.put(13, (byte) 0x30), "block size id 3"),
                corruption("header checksum", b -> b.put(22, (byte) (b.get(22) + 1)), "header checksum mismatch"),
                corruption("content size", b -> b.putLong(0, b.getLong(0) - 1), "differs from the buffer's declared"),
                corruption("negative length", b -> b.putLong(0, -2), "uncompressed length -2 out of range"),
                corruption("huge length", b -> b.putLong(0, 1L << 40), "out of range"),
                corruption("block beyond the end", b -> b.putInt(23, 65_000), "claims 65004 bytes but"),
                corruption("block above the maximum", b -> b.putInt(23, 70_000), "exceeds the frame's block size 65536"),
                corruption("no end mark", b -> b.limit(b.limit() - 8), "truncated before the size of block"),
                corruption("trailing bytes", b -> b.limit(b.limit() - 1), "bytes after the last block"),
                corruption("block checksum", b -> b.put(30, (byte) (b.get(30) ^ 0x55)), "block 0 checksum mismatch"),
                corruption("content checksum", b -> b.putInt(b.limit() - 4, b.getInt(b.limit() - 4) + 1),
                        "content checksum mismatch"));
    }

    @Test
    void declaredLengthTheFrameCannotProduceIsRefusedBeforeAllocating() {
        byte[] data = new byte[MIB];
        ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data));
        // A megabyte of zeros is about 4 KB of frame: claiming a gigabyte must not allocate one.
        compressed.setLong(0, 1L << 30);
        long before = allocator.getAllocatedMemory();
        assertThatThrownBy(() -> new Lz4FrameCodec().decompress(allocator, compressed))
                .hasMessageContaining("the buffer declares 1073741824 bytes but its blocks hold at most");
        assertThat(allocator.getAllocatedMemory()).isEqualTo(before);
        compressed.close();
    }

    @Test
    void blocksThatDoNotDecompressToTheDeclaredLengthAreRefused() {
        byte[] data = mixedData(5 * MIB, 14);
        for (long declared : new long[] {data.length - 1, data.length + 1}) {
            ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data));
            compressed.setLong(0, declared);
            assertThatThrownBy(() -> new Lz4FrameCodec().decompress(allocator, compressed))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(declared < data.length
                            ? "bytes left of the declared " + declared
                            : "it decompresses to " + data.length + " bytes but the buffer declares " + declared);
            compressed.close();
        }
    }

    @Test
    void corruptBlockDataIsRefusedBySafeDecompression() {
        // No checksums in our frames: the safe decompressor itself must stop at a bad offset.
        byte[] data = new byte[100_000];
        Arrays.fill(data, (byte) 'z');
        ArrowBuf compressed = new Lz4FrameCodec().compress(allocator, arrowBuf(data));
        // The first sequence: token, literal 'z', then a 2-byte match offset: make it point before the start.
        compressed.setShort(8 + 7 + 4 + 2, (short) 0x7FFF);
        assertThatThrownBy(() -> new Lz4FrameCodec().decompress(allocator, compressed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("corrupt LZ4 frame: block 0 of");
        compressed.close();
    }

    @Test
    void corruptLinkedFrameIsRefusedByTheStockCodec() throws IOException {
        byte[] data = mixedData(200_000, 15);
        byte[] frame = commonsCompressFrame(data, new FramedLZ4CompressorOutputStream.Parameters(
                FramedLZ4CompressorOutputStream.BlockSize.K64, true, false, true));
        // Damage the content checksum: the frame still holds together, the stock codec finds it.
        frame[frame.length - 1] ^= 0x55;
        ArrowBuf compressed = compressedBuffer(data.length, frame);
        assertThatThrownBy(() -> new Lz4FrameCodec().decompress(allocator, compressed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("corrupt LZ4 frame (linked blocks, read by Arrow's LZ4 codec)");
        assertThat(compressed.refCnt()).isOne();
        compressed.close();
    }

    // ---- Corrupt chunks ----

    @Test
    void garbageBytesAreRefusedNamingTheSource() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        // Read as a length prefix, "this" claims 1.9 GB of metadata: refused before anything is allocated.
        assertCorrupt(decoder, "this is not an Arrow IPC message at all".getBytes(StandardCharsets.US_ASCII),
                "the message claims 1936287860 bytes of metadata but the chunk has 35 after the length prefix");
        assertThat(decoder.schema()).isNull();
    }

    @Test
    void metadataLengthBeyondTheChunkIsRefusedWithoutAllocatingIt() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        // Continuation token, then a length of Integer.MAX_VALUE - 1: Arrow alone would fail with an OutOfMemoryError.
        assertCorrupt(decoder, new byte[] {-1, -1, -1, -1, -2, -1, -1, 0x7f, 1, 2, 3},
                "the message claims 2147483646 bytes of metadata but the chunk has 3 after the length prefix");
        // The legacy prefix without the continuation token, and a negative length.
        assertCorrupt(decoder, new byte[] {64, 0, 0, 0, 1, 2, 3, 4},
                "the message claims 64 bytes of metadata but the chunk has 4 after the length prefix");
        assertCorrupt(decoder, new byte[] {-1, -1, -1, -1, -5, -1, -1, -1, 1, 2, 3},
                "the message claims 4294967291 bytes of metadata");
    }

    @Test
    void garbageMetadataAfterTheSchemaIsRefusedAndTheStreamKeepsItsSchema() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, new ChunkEncoder(Compression.NONE).encodeSchema(ALL_TYPES));
        assertCorrupt(decoder, new byte[] {-1, -1, -1, -1, 16, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                "not a valid Arrow IPC message");
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);
    }

    @Test
    void emptyAndTinyChunksAreRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertCorrupt(decoder, new byte[0], "empty chunk");
        assertCorrupt(decoder, new byte[] {-1, -1, -1}, "a chunk of 3 bytes is too short for an Arrow IPC message");
    }

    @Test
    void truncatedSchemaChunkIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        byte[] chunk = bytes(new ChunkEncoder(Compression.NONE).encodeSchema(ALL_TYPES));
        assertCorrupt(decoder, Arrays.copyOf(chunk, chunk.length / 2), "bytes of metadata but the chunk has");
        assertCorrupt(decoder, Arrays.copyOf(chunk, chunk.length - 1), "bytes of metadata but the chunk has");
        assertThat(decoder.schema()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void truncatedBatchChunkIsRefusedWithoutLeaking(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        byte[] chunk = batchChunk(encoder, sampleRows(1000, 16));
        int metadataLength = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        long bodyLength = chunk.length - 8 - metadataLength;
        // Cut in the body: the body length in the metadata is beyond the chunk.
        assertCorrupt(decoder, Arrays.copyOf(chunk, chunk.length - 8),
                "the message claims a body of " + bodyLength + " bytes but the chunk has " + (bodyLength - 8));
        // Cut in the metadata.
        assertCorrupt(decoder, Arrays.copyOf(chunk, 20), "bytes of metadata but the chunk has 12 after the length prefix");
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);
    }

    @Test
    void bodyLengthBeyondTheChunkIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, new ChunkEncoder(Compression.NONE).encodeSchema(INT_COLUMN));
        // A well-formed message whose metadata claims a terabyte of body.
        assertCorrupt(decoder, intBatchMessage(1L << 40, new long[][] {{0, 1}, {8, 4}}, 16),
                "the message claims a body of 1099511627776 bytes but the chunk has 16");
    }

    @Test
    void bufferBeyondTheBodyIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, new ChunkEncoder(Compression.NONE).encodeSchema(INT_COLUMN));
        // The same hand-built message, well placed, decodes: the helper builds real messages.
        try (ArrowBuf chunk = received(intBatchMessage(16, new long[][] {{0, 1}, {8, 4}}, 16));
                VectorSchemaRoot decoded = decoder.decode(chunk)) {
            assertThat(((IntVector) decoded.getVector(0)).isNull(0)).isTrue();
        }
        assertCorrupt(decoder, intBatchMessage(16, new long[][] {{0, 1}, {1 << 20, 4}}, 16),
                "a buffer at offset 1048576 of 4 bytes lies outside the body of 16 bytes");
        assertCorrupt(decoder, intBatchMessage(16, new long[][] {{0, 1}, {8, 100}}, 16),
                "a buffer at offset 8 of 100 bytes lies outside the body of 16 bytes");
        assertCorrupt(decoder, intBatchMessage(16, new long[][] {{0, 1}, {-8, 4}}, 16),
                "a buffer at offset -8 of 4 bytes lies outside the body");
    }

    @Test
    void recordBatchBeforeTheSchemaIsRefusedWithoutLeaking() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertCorrupt(decoder, batchChunk(new ChunkEncoder(Compression.NONE), List.<Object[]>of(fullRow(1))),
                "a record batch arrived before the schema");
    }

    @Test
    void secondSchemaIsRefused() {
        ChunkEncoder encoder = new ChunkEncoder(Compression.NONE);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        assertCorrupt(decoder, bytes(encoder.encodeSchema(INT_COLUMN)), "a second schema message in one stream");
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);
    }

    /**
     * A damaged compressed buffer: the comment column's data, the last of its three buffers, so
     * the column's validity and offsets buffers were already decompressed when it fails.
     */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"LZ4_FRAME", "ZSTD"})
    void corruptCompressedBodyIsRefusedWithoutLeaking(Compression compression) {
        ChunkEncoder encoder = new ChunkEncoder(compression);
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decode(decoder, encoder.encodeSchema(ALL_TYPES));
        byte[] chunk = batchChunk(encoder, sampleRows(1000, 17));
        int comments = firstBufferOf(ALL_TYPES, "comment");
        // The offsets were decompressed into new memory before the data buffer fails.
        assertThat(compressedLength(chunk, comments + 1)).as("offsets compressed").isPositive();
        int data = bufferStart(chunk, comments + 2);
        // Overwrite the magic number at the start of the compressed data (after its 8-byte length).
        ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).putInt(data + 8, 0x12345678);
        assertCorrupt(decoder, chunk, "buffer " + (comments + 2) + " of the record batch does not decompress ("
                + compression.codecType() + "): " + (compression == Compression.LZ4_FRAME
                        ? "corrupt LZ4 frame: magic number 0x12345678"
                        : "Error decompressing"));
        // The stream is still usable after a refused batch (the caller decides to fail the task).
        List<Object[]> input = sampleRows(10, 18);
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input);
                VectorSchemaRoot decoded = decode(decoder, encoder.encodeBatch(batch))) {
            assertThat(rows(decoded)).isEqualTo(asLists(input));
        }
    }

    // ---- Helpers ----

    private void assertCorrupt(ChunkDecoder decoder, byte[] chunk, String problem) {
        try (ArrowBuf buffer = received(chunk)) {
            assertThatThrownBy(() -> decoder.decode(buffer))
                    .isInstanceOfSatisfying(MppException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.REMOTE_TASK_FAILED))
                    .hasMessageStartingWith("bad data packet from " + SOURCE + ": ")
                    .hasMessageContaining(problem);
            assertThat(buffer.refCnt()).as("the chunk is still the caller's alone").isOne();
        }
        assertThat(allocator.getAllocatedMemory()).as("memory left after a refused chunk").isZero();
    }

    /** Decodes the chunk as the transport delivers it (a copy in Arrow memory); releases the chunk. */
    private VectorSchemaRoot decode(ChunkDecoder decoder, EncodedChunk chunk) {
        try (ArrowBuf buffer = received(chunk)) {
            return decoder.decode(buffer);
        }
    }

    /** One copy into Arrow memory, then the chunk is released: what a receiving transport does. */
    private ArrowBuf received(EncodedChunk chunk) {
        int size = Math.toIntExact(chunk.size());
        ArrowBuf buffer = allocator.buffer(size);
        // The decoder reads the whole capacity; the allocator rounds requests up.
        buffer.capacity(size);
        chunk.copyTo(buffer.nioBuffer(0, size));
        chunk.release();
        return buffer;
    }

    private ArrowBuf received(byte[] chunk) {
        ArrowBuf buffer = allocator.buffer(chunk.length);
        buffer.capacity(chunk.length);
        buffer.setBytes(0, chunk);
        return buffer;
    }

    private byte[] batchChunk(ChunkEncoder encoder, List<Object[]> rows) {
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, rows)) {
            return bytes(encoder.encodeBatch(batch));
        }
    }

    /** The chunk's bytes; releases the chunk. */
    private static byte[] bytes(EncodedChunk chunk) {
        return concatenate(List.of(chunk));
    }

    /** The chunks one after the other, as a receiver of the stream sees them; releases them. */
    private static byte[] concatenate(List<EncodedChunk> chunks) {
        long total = chunks.stream().mapToLong(EncodedChunk::size).sum();
        ByteBuffer stream = ByteBuffer.allocate(Math.toIntExact(total));
        for (EncodedChunk chunk : chunks) {
            chunk.copyTo(stream);
            chunk.release();
        }
        return stream.array();
    }

    private static byte[] bytes(ArrowBuf buffer) {
        byte[] bytes = new byte[Math.toIntExact(buffer.writerIndex())];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private ArrowBuf arrowBuf(byte[] data) {
        ArrowBuf buffer = allocator.buffer(data.length);
        buffer.setBytes(0, data);
        buffer.writerIndex(data.length);
        return buffer;
    }

    /** An Arrow compressed buffer: the 8-byte little-endian uncompressed length, then the frame. */
    private ArrowBuf compressedBuffer(long uncompressedLength, byte[] frame) {
        ByteBuffer bytes = ByteBuffer.allocate(8 + frame.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(uncompressedLength).put(frame);
        return arrowBuf(bytes.array());
    }

    private static byte[] commonsCompressFrame(byte[] data, FramedLZ4CompressorOutputStream.Parameters parameters)
            throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        try (FramedLZ4CompressorOutputStream out = new FramedLZ4CompressorOutputStream(frame, parameters)) {
            out.write(data);
        }
        return frame.toByteArray();
    }

    /** Runs of repeated text broken by stretches of noise: some blocks shrink, some do not. */
    private static byte[] mixedData(int length, long seed) {
        Random random = new Random(seed);
        byte[] data = new byte[length];
        int position = 0;
        while (position < length) {
            int run = Math.min(length - position, 1 + random.nextInt(300_000));
            if (random.nextInt(3) == 0) {
                byte[] noise = randomText(run, random.nextLong()).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(noise, 0, data, position, run);
            } else {
                byte[] text = ("lineitem " + random.nextInt(1000) + " deposits sleep; ").getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < run; i++) {
                    data[position + i] = text[i % text.length];
                }
            }
            position += run;
        }
        return data;
    }

    private static Object[] textRow(String comment) {
        Object[] row = nullRow();
        row[7] = comment;
        return row;
    }

    /** The index, among the batch's buffers, of the first buffer of the named column. */
    private static int firstBufferOf(Schema schema, String column) {
        int index = 0;
        for (Field field : schema.getFields()) {
            if (field.getName().equals(column)) {
                return index;
            }
            index += TypeLayout.getTypeBufferCount(field.getType());
        }
        throw new IllegalArgumentException("no column " + column);
    }

    private static RecordBatch recordBatchHeader(byte[] chunk) {
        ByteBuffer bytes = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        int metadataLength = bytes.getInt(4);
        Message message = Message.getRootAsMessage(bytes.slice(8, metadataLength).order(ByteOrder.LITTLE_ENDIAN));
        return (RecordBatch) message.header(new RecordBatch());
    }

    /** Where buffer {@code index} starts in the chunk. */
    private static int bufferStart(byte[] chunk, int index) {
        int metadataLength = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        return Math.toIntExact(8 + metadataLength + recordBatchHeader(chunk).buffers(index).offset());
    }

    /** The uncompressed length in front of compressed buffer {@code index}: -1 when it was sent as is. */
    private static long compressedLength(byte[] chunk, int index) {
        return ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).getLong(bufferStart(chunk, index));
    }

    /**
     * A hand-built record batch message for INT_COLUMN (one row, NULL) whose body length and
     * buffer places are whatever the test says, with a body of {@code bodyBytes} zero bytes.
     */
    private static byte[] intBatchMessage(long bodyLength, long[][] buffers, int bodyBytes) {
        FlatBufferBuilder builder = new FlatBufferBuilder();
        RecordBatch.startNodesVector(builder, 1);
        FieldNode.createFieldNode(builder, 1, 1);
        int nodes = builder.endVector();
        RecordBatch.startBuffersVector(builder, buffers.length);
        for (int i = buffers.length - 1; i >= 0; i--) {
            Buffer.createBuffer(builder, buffers[i][0], buffers[i][1]);
        }
        int bufferVector = builder.endVector();
        int batch = RecordBatch.createRecordBatch(builder, 1, nodes, bufferVector, 0, 0);
        int message = Message.createMessage(builder, MetadataVersion.V5, MessageHeader.RecordBatch, batch, bodyLength, 0);
        builder.finish(message);
        byte[] metadata = builder.sizedByteArray();
        int padded = (metadata.length + 7) / 8 * 8;
        ByteBuffer chunk = ByteBuffer.allocate(8 + padded + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        chunk.putInt(-1).putInt(padded).put(metadata);
        return chunk.array();
    }

    private static Arguments corruption(String name, Consumer<ByteBuffer> damage, String problem) {
        return Arguments.of(name, damage, problem);
    }
}
