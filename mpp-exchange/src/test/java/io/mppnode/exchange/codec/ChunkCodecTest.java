package io.mppnode.exchange.codec;

import static io.mppnode.exchange.codec.TestingBatches.ALL_TYPES;
import static io.mppnode.exchange.codec.TestingBatches.asLists;
import static io.mppnode.exchange.codec.TestingBatches.fullRow;
import static io.mppnode.exchange.codec.TestingBatches.nullRow;
import static io.mppnode.exchange.codec.TestingBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChunkCodecTest {
    private static final String SOURCE = "task 7 of query 42 at 10.0.0.1:3930";

    private final ChunkEncoder encoder = new ChunkEncoder();
    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        // Throws when a test leaked Arrow memory.
        allocator.close();
    }

    @Test
    void roundTripsEveryTypeWithNulls() {
        String multiByte = "Grüße, 世界! \uD83D\uDE80 ©";
        String oneMebibyte = "é".repeat(1 << 19) + "x"; // 2-byte UTF-8 each: just over 1 MiB
        List<Object[]> input = List.of(
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
                    new BigDecimal("0.0000000001"), "", LocalDate.of(2262, 4, 11), null});

        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertThat(decoder.schema()).isNull();
        assertThat(decoder.decode(encoder.encodeSchema(ALL_TYPES))).isNull();
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);

        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input);
                VectorSchemaRoot decoded = decoder.decode(encoder.encodeBatch(batch))) {
            assertThat(decoded.getSchema()).isEqualTo(ALL_TYPES);
            assertThat(decoded.getRowCount()).isEqualTo(5);
            List<List<Object>> decodedRows = rows(decoded);
            assertThat(decodedRows).isEqualTo(asLists(input));
            assertThat(decodedRows.get(1)).containsOnlyNulls();
            assertThat(decodedRows.get(2).get(7)).isEqualTo(multiByte);
            assertThat((String) decodedRows.get(3).get(7)).hasSize(oneMebibyte.length()).isEqualTo(oneMebibyte);
            // The encoder only reads the batch: it is still intact and owned by the caller.
            assertThat(rows(batch)).isEqualTo(asLists(input));
        }
    }

    @Test
    void decodesSeveralBatchesAndAnEmptyOneInOrder() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decoder.decode(encoder.encodeSchema(ALL_TYPES));
        List<List<Object[]>> batches = List.of(
                List.of(fullRow(1), fullRow(2), nullRow()),
                List.of(),
                List.<Object[]>of(fullRow(3)),
                List.of(nullRow(), fullRow(4), fullRow(5), fullRow(6)));
        for (List<Object[]> input : batches) {
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input);
                    VectorSchemaRoot decoded = decoder.decode(encoder.encodeBatch(batch))) {
                assertThat(decoded.getRowCount()).isEqualTo(input.size());
                assertThat(rows(decoded)).isEqualTo(asLists(input));
            }
        }
    }

    @Test
    void decodedBatchesAreAllocatedFromTheDecodersAllocatorAndOwnedByTheCaller() {
        try (var decoderAllocator = allocator.newChildAllocator("decoder", 0, Long.MAX_VALUE)) {
            ChunkDecoder decoder = new ChunkDecoder(decoderAllocator, SOURCE);
            decoder.decode(encoder.encodeSchema(ALL_TYPES));
            ByteString chunk;
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.of(fullRow(1), fullRow(2)))) {
                chunk = encoder.encodeBatch(batch);
            }
            VectorSchemaRoot decoded = decoder.decode(chunk);
            assertThat(decoderAllocator.getAllocatedMemory()).isPositive();
            // The batch outlives the chunk it came from.
            assertThat(rows(decoded)).isEqualTo(asLists(List.of(fullRow(1), fullRow(2))));
            decoded.close();
            assertThat(decoderAllocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void concatenatedChunksAreAnArrowIpcStreamForTheStockReader() throws IOException {
        List<List<Object[]>> batches = List.of(
                List.of(fullRow(1), nullRow()),
                List.of(),
                List.of(fullRow(2), fullRow(3), fullRow(4)));
        ByteString stream = encoder.encodeSchema(ALL_TYPES);
        for (List<Object[]> input : batches) {
            try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, input)) {
                stream = stream.concat(encoder.encodeBatch(batch));
            }
        }

        // The chunks carry no end-of-stream marker: the stock reader takes the end of the bytes
        // as the end of the stream, reads every batch, then reports that there are no more.
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream.toByteArray()), allocator)) {
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
        ByteString stream = encoder.encodeSchema(ALL_TYPES);
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.<Object[]>of(fullRow(1)))) {
            stream = stream.concat(encoder.encodeBatch(batch));
        }
        // The IPC end-of-stream marker: continuation token 0xFFFFFFFF, then a zero length.
        ByteString endOfStream = ByteString.copyFrom(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0});
        try (ArrowStreamReader reader = new ArrowStreamReader(stream.concat(endOfStream).newInput(), allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(rows(reader.getVectorSchemaRoot())).isEqualTo(asLists(List.<Object[]>of(fullRow(1))));
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void schemaOnlyStreamIsReadableWithNoBatches() throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(encoder.encodeSchema(ALL_TYPES).newInput(), allocator)) {
            assertThat(reader.getVectorSchemaRoot().getSchema()).isEqualTo(ALL_TYPES);
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void schemaWithoutColumnsRoundTrips() {
        Schema empty = new Schema(List.of());
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertThat(decoder.decode(encoder.encodeSchema(empty))).isNull();
        assertThat(decoder.schema()).isEqualTo(empty);
    }

    @Test
    void garbageBytesAreRefusedNamingTheSource() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        // Read as a length prefix, "this" claims 1.9 GB of metadata: refused before anything is allocated.
        assertCorrupt(() -> decoder.decode(ByteString.copyFromUtf8("this is not an Arrow IPC message at all")),
                "the message claims 1936287860 bytes of metadata but the chunk has 35 after the length prefix");
        assertThat(decoder.schema()).isNull();
    }

    @Test
    void lengthPrefixBeyondTheChunkIsRefusedWithoutAllocatingIt() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        // Continuation token, then a length of Integer.MAX_VALUE - 1: Arrow alone would fail with an OutOfMemoryError.
        assertCorrupt(() -> decoder.decode(ByteString.copyFrom(new byte[] {-1, -1, -1, -1, -2, -1, -1, 0x7f, 1, 2, 3})),
                "the message claims 2147483646 bytes of metadata but the chunk has 3 after the length prefix");
        // The legacy prefix without the continuation token, and a negative length.
        assertCorrupt(() -> decoder.decode(ByteString.copyFrom(new byte[] {64, 0, 0, 0, 1, 2, 3})),
                "the message claims 64 bytes of metadata but the chunk has 3 after the length prefix");
        assertCorrupt(() -> decoder.decode(ByteString.copyFrom(new byte[] {-1, -1, -1, -1, -5, -1, -1, -1, 1, 2, 3})),
                "the message claims 4294967291 bytes of metadata");
    }

    @Test
    void garbageAfterTheSchemaIsRefusedAndTheStreamKeepsItsSchema() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decoder.decode(encoder.encodeSchema(ALL_TYPES));
        assertCorrupt(() -> decoder.decode(ByteString.copyFrom(new byte[] {-1, -1, -1, -1, 16, 0, 0, 0,
                        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})),
                "not a valid Arrow IPC message");
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);
    }

    @Test
    void emptyChunkIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        assertCorrupt(() -> decoder.decode(ByteString.EMPTY), "empty chunk");
    }

    @Test
    void truncatedBatchChunkIsRefusedWithoutLeaking() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decoder.decode(encoder.encodeSchema(ALL_TYPES));
        ByteString chunk;
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.of(fullRow(1), fullRow(2), nullRow()))) {
            chunk = encoder.encodeBatch(batch);
        }
        assertCorrupt(() -> decoder.decode(chunk.substring(0, chunk.size() - 8)),
                "not a valid Arrow IPC message (Unexpected end of input trying to read batch.)");
        assertCorrupt(() -> decoder.decode(chunk.substring(0, 20)), "bytes of metadata but the chunk has 12 after the length prefix");
        assertCorrupt(() -> decoder.decode(chunk.substring(0, 3)), "empty chunk");
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void truncatedSchemaChunkIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        ByteString chunk = encoder.encodeSchema(ALL_TYPES);
        assertCorrupt(() -> decoder.decode(chunk.substring(0, chunk.size() / 2)), "bytes of metadata but the chunk has");
        assertThat(decoder.schema()).isNull();
    }

    @Test
    void recordBatchBeforeTheSchemaIsRefusedWithoutLeaking() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        ByteString chunk;
        try (VectorSchemaRoot batch = TestingBatches.batch(allocator, ALL_TYPES, List.<Object[]>of(fullRow(1)))) {
            chunk = encoder.encodeBatch(batch);
        }
        assertCorrupt(() -> decoder.decode(chunk), "a record batch arrived before the schema");
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void secondSchemaIsRefused() {
        ChunkDecoder decoder = new ChunkDecoder(allocator, SOURCE);
        decoder.decode(encoder.encodeSchema(ALL_TYPES));
        Schema other = new Schema(List.of(TestingBatches.field("x", ALL_TYPES.getFields().get(1).getType())));
        assertCorrupt(() -> decoder.decode(encoder.encodeSchema(other)), "a second schema message in one stream");
        assertThat(decoder.schema()).isEqualTo(ALL_TYPES);
    }

    private void assertCorrupt(Runnable decode, String problem) {
        assertThatThrownBy(decode::run)
                .isInstanceOfSatisfying(MppException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.REMOTE_TASK_FAILED))
                .hasMessageStartingWith("bad data packet from " + SOURCE + ": ")
                .hasMessageContaining(problem);
        assertThat(allocator.getAllocatedMemory()).isZero();
    }
}
