package io.mppnode.exchange.partition;

import static io.mppnode.exchange.partition.TestingKeyBatches.ALL_TYPES;
import static io.mppnode.exchange.partition.TestingKeyBatches.batch;
import static io.mppnode.exchange.partition.TestingKeyBatches.field;
import static io.mppnode.exchange.partition.TestingKeyBatches.randomRows;
import static io.mppnode.exchange.partition.TestingKeyBatches.schema;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PartitionHashTest {
    private static final XXHash64 REFERENCE_XXH64 = XXHashFactory.safeInstance().hash64();
    private static final List<Integer> EVERY_COLUMN = IntStream.range(0, ALL_TYPES.getFields().size()).boxed().toList();

    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    /**
     * Literal keys and their hashes, computed once from the specification: if this fails, the
     * partition hash changed, and nodes of different versions would no longer co-partition.
     */
    @Test
    void pinnedHashesDoNotChange() {
        assertThat(hashOne(new ArrowType.Int(64, true), 0L)).isEqualTo(0x34C96ACDCADB1BBBL);
        assertThat(hashOne(new ArrowType.Int(64, true), 1L)).isEqualTo(0x9F29CB17A2A49995L);
        assertThat(hashOne(new ArrowType.Int(64, true), -1L)).isEqualTo(0x85D136ADB773C6C9L);
        assertThat(hashOne(new ArrowType.Int(32, true), 42)).isEqualTo(0xB556806FB6D14353L);
        assertThat(hashOne(ArrowType.Bool.INSTANCE, true)).isEqualTo(0x9F29CB17A2A49995L);
        assertThat(hashOne(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), 1.5)).isEqualTo(0x49F7B96B6B5CCAF9L);
        assertThat(hashOne(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), Double.NaN)).isEqualTo(0xE9ADB09FEE122AACL);
        assertThat(hashOne(new ArrowType.Decimal(15, 2, 128), new BigDecimal("-123.45"))).isEqualTo(0xA01723E9AECD5E1CL);
        assertThat(hashOne(ArrowType.Utf8.INSTANCE, "")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(hashOne(ArrowType.Utf8.INSTANCE, "hello, world")).isEqualTo(0xB33A384E6D1B1242L);
        assertThat(hashOne(new ArrowType.Date(DateUnit.DAY), LocalDate.of(1995, 3, 15))).isEqualTo(0x1DF1C64FDD4B243AL);
        assertThat(hashOne(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), 1_700_000_000_123_456L)).isEqualTo(0xFAFA90910116451BL);
        assertThat(hashOne(new ArrowType.Int(64, true), null)).isEqualTo(0x9E3779B97F4A7C15L);

        Schema twoKeys = schema(field("id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE));
        try (VectorSchemaRoot batch = batch(allocator, twoKeys, List.of(
                new Object[] {7L, "x"}, new Object[] {null, "x"}, new Object[] {7L, null}))) {
            assertThat(hashes(batch, List.of(0, 1))).containsExactly(
                    0x62E39B6377C2B76EL, 0x85387E0CED0917AEL, 0xA49A548674092260L);
            assertThat(hashes(batch, List.of(1, 0))).containsExactly(
                    0x3C0E1F7A487BF792L, 0xD1CECBF35CC88F52L, 0x312E8AB6D502EAE0L);
        }
    }

    /** The code computes exactly what the class javadoc specifies, checked against lz4-java's XXH64. */
    @Test
    void everyTypeHashesItsSpecifiedCanonicalBytes() {
        List<Object[]> rows = randomRows(1, 500);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows)) {
            for (int column = 0; column < ALL_TYPES.getFields().size(); column++) {
                long[] actual = hashes(batch, List.of(column));
                for (int row = 0; row < rows.size(); row++) {
                    assertThat(actual[row])
                            .as("column %s row %d value %s", ALL_TYPES.getFields().get(column).getName(), row, rows.get(row)[column])
                            .isEqualTo(specifiedValueHash(rows.get(row)[column]));
                }
            }
            long[] actual = hashes(batch, EVERY_COLUMN);
            for (int row = 0; row < rows.size(); row++) {
                long expected = 0;
                for (Object value : rows.get(row)) {
                    expected = expected * 31 + specifiedValueHash(value);
                }
                assertThat(actual[row]).as("row %d", row).isEqualTo(expected);
            }
        }
    }

    @Test
    void nullOfEveryTypeHashesToTheNullMarker() {
        List<Object[]> rows = List.of(TestingKeyBatches.randomRow(new SplittableRandom(3)),
                new Object[ALL_TYPES.getFields().size()]);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows)) {
            for (int column = 0; column < ALL_TYPES.getFields().size(); column++) {
                long[] hashes = hashes(batch, List.of(column));
                assertThat(hashes[1]).isEqualTo(PartitionHash.NULL_HASH);
                assertThat(hashes[0]).isNotEqualTo(PartitionHash.NULL_HASH);
            }
        }
        // The Null type: every row is NULL, and its vector has no buffers at all.
        Schema nullSchema = schema(field("nothing", ArrowType.Null.INSTANCE), field("id", new ArrowType.Int(64, true)));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(nullSchema, allocator)) {
            batch.allocateNew();
            ((BigIntVector) batch.getVector(1)).setSafe(0, 5);
            ((BigIntVector) batch.getVector(1)).setSafe(1, 6);
            batch.setRowCount(2);
            assertThat(batch.getVector(0)).isInstanceOf(NullVector.class);
            assertThat(hashes(batch, List.of(0))).containsExactly(PartitionHash.NULL_HASH, PartitionHash.NULL_HASH);
            assertThat(hashes(batch, List.of(0, 1))).containsExactly(
                    PartitionHash.NULL_HASH * 31 + XxHash64.hash8(5), PartitionHash.NULL_HASH * 31 + XxHash64.hash8(6));
        }
    }

    @Test
    void bytesUnderNullSlotsAreIgnored() {
        List<Object[]> rows = randomRows(2, 300);
        SplittableRandom random = new SplittableRandom(3);
        List<Object[]> dirt = IntStream.range(0, 17).mapToObj(i -> TestingKeyBatches.randomRow(random)).toList();
        try (VectorSchemaRoot clean = batch(allocator, ALL_TYPES, rows);
                VectorSchemaRoot dirty = batch(allocator, ALL_TYPES, rows, dirt)) {
            assertThat(TestingKeyBatches.rows(dirty)).isEqualTo(TestingKeyBatches.rows(clean));
            for (int column : EVERY_COLUMN) {
                assertThat(hashes(dirty, List.of(column))).as("column %d", column).isEqualTo(hashes(clean, List.of(column)));
            }
            assertThat(hashes(dirty, EVERY_COLUMN)).isEqualTo(hashes(clean, EVERY_COLUMN));
        }
    }

    @Test
    void integersOfEveryWidthHashAsInt64() {
        Schema schema = schema(
                field("i8", new ArrowType.Int(8, true)),
                field("i16", new ArrowType.Int(16, true)),
                field("i32", new ArrowType.Int(32, true)),
                field("i64", new ArrowType.Int(64, true)));
        List<Object[]> rows = new ArrayList<>();
        for (int value : new int[] {0, 1, -1, 5, 127, -128, 42, -77}) {
            rows.add(new Object[] {(byte) value, (short) value, value, (long) value});
        }
        rows.add(new Object[] {null, null, null, null});
        try (VectorSchemaRoot batch = batch(allocator, schema, rows)) {
            long[] int64 = hashes(batch, List.of(3));
            assertThat(hashes(batch, List.of(0))).isEqualTo(int64);
            assertThat(hashes(batch, List.of(1))).isEqualTo(int64);
            assertThat(hashes(batch, List.of(2))).isEqualTo(int64);
            // And as part of a composite key: (int32, int16) and (int64, int8) of the same values agree.
            assertThat(hashes(batch, List.of(2, 1))).isEqualTo(hashes(batch, List.of(3, 0)));
        }
        Schema wide = schema(field("i32", new ArrowType.Int(32, true)), field("i64", new ArrowType.Int(64, true)));
        try (VectorSchemaRoot batch = batch(allocator, wide, List.of(
                new Object[] {Integer.MAX_VALUE, (long) Integer.MAX_VALUE},
                new Object[] {Integer.MIN_VALUE, (long) Integer.MIN_VALUE}))) {
            assertThat(hashes(batch, List.of(0))).isEqualTo(hashes(batch, List.of(1)));
        }
    }

    @Test
    void negativeZeroEqualsZeroAndAllNaNsAreOne() {
        Schema schema = schema(
                field("f32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                field("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)));
        List<Object[]> rows = List.of(
                new Object[] {0.0f, 0.0},
                new Object[] {-0.0f, -0.0},
                new Object[] {Float.NaN, Double.NaN},
                new Object[] {Float.intBitsToFloat(0xFFC0_0001), Double.longBitsToDouble(0xFFF8_0000_0000_0000L)},
                new Object[] {Float.intBitsToFloat(0x7F80_0001), Double.longBitsToDouble(0x7FF0_0000_0000_0001L)},
                new Object[] {1.5f, 1.5},
                new Object[] {-0.25f, -0.25},
                new Object[] {Float.POSITIVE_INFINITY, Double.POSITIVE_INFINITY});
        try (VectorSchemaRoot batch = batch(allocator, schema, rows)) {
            long[] float32 = hashes(batch, List.of(0));
            long[] float64 = hashes(batch, List.of(1));
            assertThat(float32).isEqualTo(float64);
            assertThat(float64[1]).isEqualTo(float64[0]);
            assertThat(float64[3]).isEqualTo(float64[2]);
            assertThat(float64[4]).isEqualTo(float64[2]);
            assertThat(float64[0]).isNotEqualTo(float64[2]);
            assertThat(Arrays.stream(float64).distinct().count()).isEqualTo(5);
        }
    }

    @Test
    void sameBytesHashEquallyAsUtf8LargeUtf8AndBinary() {
        Schema schema = schema(
                field("utf8", ArrowType.Utf8.INSTANCE),
                field("large", ArrowType.LargeUtf8.INSTANCE),
                field("binary", ArrowType.Binary.INSTANCE));
        List<Object[]> rows = new ArrayList<>();
        for (String value : new String[] {"", "a", "naïve", "a string well past the 32 bytes of one XXH64 stripe"}) {
            rows.add(new Object[] {value, value, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8))});
        }
        rows.add(new Object[] {null, null, null});
        try (VectorSchemaRoot batch = batch(allocator, schema, rows)) {
            long[] utf8 = hashes(batch, List.of(0));
            assertThat(hashes(batch, List.of(1))).isEqualTo(utf8);
            assertThat(hashes(batch, List.of(2))).isEqualTo(utf8);
            assertThat(utf8[0]).isEqualTo(0xEF46DB3751D8E999L).isNotEqualTo(PartitionHash.NULL_HASH);
        }
    }

    @Test
    void timestampsHashTheInstantWhateverTheZone() {
        Schema schema = schema(
                field("local", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                field("utc", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
                field("tokyo", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Asia/Tokyo")),
                field("id", new ArrowType.Int(64, true)));
        List<Object[]> rows = new ArrayList<>();
        for (long micros : new long[] {0, -1, 1_700_000_000_123_456L, -62_135_596_800_000_000L}) {
            rows.add(new Object[] {micros, micros, micros, micros});
        }
        try (VectorSchemaRoot batch = batch(allocator, schema, rows)) {
            long[] local = hashes(batch, List.of(0));
            assertThat(hashes(batch, List.of(1))).isEqualTo(local);
            assertThat(hashes(batch, List.of(2))).isEqualTo(local);
            assertThat(hashes(batch, List.of(3))).isEqualTo(local);
        }
    }

    @Test
    void decimalsHashTheirUnscaledValueWhateverThePrecision() {
        Schema schema = schema(
                field("narrow", new ArrowType.Decimal(5, 2, 128)),
                field("wide", new ArrowType.Decimal(38, 2, 128)),
                field("other_scale", new ArrowType.Decimal(5, 1, 128)),
                field("integer", new ArrowType.Int(64, true)));
        try (VectorSchemaRoot batch = batch(allocator, schema, List.of(
                new Object[] {new BigDecimal("1.50"), new BigDecimal("1.50"), new BigDecimal("1.5"), 150L},
                new Object[] {new BigDecimal("-999.99"), new BigDecimal("-999.99"), new BigDecimal("-99.9"), -99999L},
                new Object[] {new BigDecimal("0.00"), new BigDecimal("0.00"), new BigDecimal("0.0"), 0L}))) {
            long[] narrow = hashes(batch, List.of(0));
            assertThat(hashes(batch, List.of(1))).isEqualTo(narrow);
            // Documented: the scale is part of the value's canonical form (1.5 is unscaled 15, 1.50 is 150).
            assertThat(hashes(batch, List.of(2))[0]).isNotEqualTo(narrow[0]);
            // And a decimal is 16 bytes, an integer 8: unscaled 150 and the integer 150 differ too.
            assertThat(hashes(batch, List.of(3))[0]).isNotEqualTo(narrow[0]);
        }
        Schema big = schema(field("big", new ArrowType.Decimal(38, 0, 128)));
        BigDecimal max = new BigDecimal("99999999999999999999999999999999999999");
        try (VectorSchemaRoot batch = batch(allocator, big, List.of(new Object[] {max}, new Object[] {max.negate()}))) {
            assertThat(hashes(batch, List.of(0))).containsExactly(specifiedValueHash(max), specifiedValueHash(max.negate()));
        }
    }

    @Test
    void theSameRowsHashTheSameInAnyBatching() {
        List<Object[]> rows = randomRows(4, 1000);
        long[] whole;
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows)) {
            whole = hashes(batch, EVERY_COLUMN);
        }
        for (int batchSize : new int[] {1, 3, 8, 13, 64, 999}) {
            long[] pieces = new long[rows.size()];
            for (int start = 0; start < rows.size(); start += batchSize) {
                List<Object[]> piece = rows.subList(start, Math.min(rows.size(), start + batchSize));
                try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, piece)) {
                    System.arraycopy(hashes(batch, EVERY_COLUMN), 0, pieces, start, piece.size());
                }
            }
            assertThat(pieces).as("batches of %d rows", batchSize).isEqualTo(whole);
        }
    }

    @Test
    void slicedVectorsHashLikeTheRowsTheyHold() {
        List<Object[]> rows = randomRows(5, 200);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows)) {
            long[] whole = hashes(batch, EVERY_COLUMN);
            // Start offsets off and on byte boundaries of the validity bitmap, and a slice to the end.
            int[][] slices = {{0, 7}, {3, 50}, {8, 16}, {13, 1}, {61, 139}, {199, 1}, {100, 0}};
            for (int[] slice : slices) {
                try (VectorSchemaRoot sliced = slice(batch, slice[0], slice[1])) {
                    assertThat(hashes(sliced, EVERY_COLUMN)).as("slice %d+%d", slice[0], slice[1])
                            .isEqualTo(Arrays.copyOfRange(whole, slice[0], slice[0] + slice[1]));
                }
            }
            // Slicing leaves the source as it was.
            assertThat(hashes(batch, EVERY_COLUMN)).isEqualTo(whole);
        }
    }

    @Test
    void aRowHashesTheSameInAnyRowOrder() {
        List<Object[]> rows = randomRows(6, 500);
        List<Integer> order = new ArrayList<>(IntStream.range(0, rows.size()).boxed().toList());
        Collections.shuffle(order, new Random(6));
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows);
                VectorSchemaRoot shuffled = batch(allocator, ALL_TYPES, order.stream().map(rows::get).toList())) {
            long[] original = hashes(batch, EVERY_COLUMN);
            long[] permuted = hashes(shuffled, EVERY_COLUMN);
            for (int i = 0; i < order.size(); i++) {
                assertThat(permuted[i]).isEqualTo(original[order.get(i)]);
            }
        }
    }

    /**
     * An IPC batch from another Arrow implementation may omit the validity buffer of a column
     * without NULLs; Arrow Java loads that as all valid, and the hash agrees with a batch that
     * carried its bitmap.
     */
    @Test
    void aBatchLoadedWithoutValidityBuffersHashesTheSame() {
        List<Object[]> rows = randomRows(7, 100);
        // Columns 3 and 9 without NULLs, the others with some.
        for (Object[] row : rows) {
            if (row[3] == null) {
                row[3] = 1;
            }
            if (row[9] == null) {
                row[9] = "x";
            }
        }
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, rows);
                VectorSchemaRoot loaded = VectorSchemaRoot.create(ALL_TYPES, allocator)) {
            try (ArrowRecordBatch unloaded = new VectorUnloader(batch).getRecordBatch()) {
                ArrowBuf empty = allocator.getEmpty();
                List<ArrowBuf> buffers = new ArrayList<>(unloaded.getBuffers());
                int bufferIndex = 0;
                for (int column = 0; column < ALL_TYPES.getFields().size(); column++) {
                    ArrowFieldNode node = unloaded.getNodes().get(column);
                    if (node.getNullCount() == 0) {
                        buffers.set(bufferIndex, empty);
                    }
                    bufferIndex += TypeLayout.getTypeBufferCount(ALL_TYPES.getFields().get(column).getType());
                }
                assertThat(unloaded.getNodes().get(3).getNullCount()).isZero();
                assertThat(unloaded.getNodes().get(9).getNullCount()).isZero();
                try (ArrowRecordBatch withoutBitmaps = new ArrowRecordBatch(unloaded.getLength(), unloaded.getNodes(), buffers)) {
                    new VectorLoader(loaded).load(withoutBitmaps);
                }
            }
            assertThat(TestingKeyBatches.rows(loaded)).isEqualTo(TestingKeyBatches.rows(batch));
            assertThat(hashes(loaded, EVERY_COLUMN)).isEqualTo(hashes(batch, EVERY_COLUMN));
            assertThat(hashes(loaded, List.of(3, 9))).isEqualTo(hashes(batch, List.of(3, 9)));
        }
    }

    @Test
    void partitionIsTheUnsignedRemainder() {
        assertThat(PartitionHash.partition(-1L, 10)).isEqualTo(5);  // 2^64 - 1 = 18446744073709551615
        assertThat(PartitionHash.partition(Long.MIN_VALUE, 3)).isEqualTo(2);  // 2^63 mod 3
        assertThat(PartitionHash.partition(12345L, 1)).isZero();
        assertThatThrownBy(() -> PartitionHash.partition(1L, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesKeysItCannotHash() {
        Schema schema = schema(
                field("id", new ArrowType.Int(64, true)),
                field("unsigned", new ArrowType.Int(32, false)),
                field("half", new ArrowType.FloatingPoint(FloatingPointPrecision.HALF)),
                field("millis", new ArrowType.Timestamp(TimeUnit.MILLISECOND, null)));
        assertThatThrownBy(() -> new PartitionHash(schema, List.of(0, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key column 1 (unsigned)");
        assertThatThrownBy(() -> new PartitionHash(schema, List.of(2))).hasMessageContaining("key column 2 (half)");
        assertThatThrownBy(() -> new PartitionHash(schema, List.of(3))).hasMessageContaining("key column 3 (millis)");
        assertThatThrownBy(() -> new PartitionHash(schema, List.of(4))).hasMessageContaining("out of range");
        assertThatThrownBy(() -> new PartitionHash(schema, List.of())).hasMessageContaining("at least one key");
    }

    @Test
    void refusesABatchWhoseKeyTypeDiffersFromTheSchema() {
        Schema int64 = schema(field("id", new ArrowType.Int(64, true)));
        Schema int32 = schema(field("id", new ArrowType.Int(32, true)));
        PartitionHash hash = new PartitionHash(int64, List.of(0));
        try (VectorSchemaRoot batch = batch(allocator, int32, List.<Object[]>of(new Object[] {1}))) {
            assertThatThrownBy(() -> hash.hashRows(batch, new long[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected Int(64, true)");
            PartitionHash int32Hash = new PartitionHash(int32, List.of(0));
            assertThatThrownBy(() -> int32Hash.hashRows(batch, new long[0])).hasMessageContaining("room for 0 rows");
        }
    }

    private long hashOne(ArrowType type, Object value) {
        try (VectorSchemaRoot batch = batch(allocator, schema(field("key", type)), List.<Object[]>of(new Object[] {value}))) {
            return hashes(batch, List.of(0))[0];
        }
    }

    private static long[] hashes(VectorSchemaRoot batch, List<Integer> keys) {
        long[] hashes = new long[batch.getRowCount()];
        new PartitionHash(batch.getSchema(), keys).hashRows(batch, hashes);
        return hashes;
    }

    /** Rows {@code [start, start + length)} as vectors sliced from the batch's (no copy of the values). */
    private VectorSchemaRoot slice(VectorSchemaRoot batch, int start, int length) {
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector vector : batch.getFieldVectors()) {
            TransferPair pair = vector.getTransferPair(allocator);
            pair.splitAndTransfer(start, length);
            vectors.add((FieldVector) pair.getTo());
        }
        return new VectorSchemaRoot(vectors);
    }

    /** The specification of {@link PartitionHash}, written out independently of its code. */
    static long specifiedValueHash(Object value) {
        if (value == null) {
            return 0x9E3779B97F4A7C15L;
        }
        byte[] bytes = switch (value) {
            case Boolean b -> int64(b ? 1 : 0);
            case Byte b -> int64(b);
            case Short s -> int64(s);
            case Integer i -> int64(i);
            case Long l -> int64(l);
            case Float f -> float64(f);
            case Double d -> float64(d);
            case BigDecimal decimal -> int128(decimal.unscaledValue());
            case String s -> s.getBytes(StandardCharsets.UTF_8);
            case ByteBuffer buffer -> {
                byte[] copy = new byte[buffer.remaining()];
                buffer.duplicate().get(copy);
                yield copy;
            }
            case LocalDate date -> int64(date.toEpochDay());
            default -> throw new IllegalArgumentException("no canonical form for " + value.getClass());
        };
        return REFERENCE_XXH64.hash(bytes, 0, bytes.length, 0);
    }

    private static byte[] int64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] float64(double value) {
        long bits;
        if (Double.isNaN(value)) {
            bits = 0x7FF8_0000_0000_0000L;
        } else if (value == 0.0) {
            bits = 0;
        } else {
            bits = Double.doubleToRawLongBits(value);
        }
        return int64(bits);
    }

    /** Two's complement, 16 bytes, little-endian. */
    private static byte[] int128(BigInteger value) {
        byte[] bigEndian = value.toByteArray();
        byte[] bytes = new byte[16];
        Arrays.fill(bytes, value.signum() < 0 ? (byte) -1 : 0);
        for (int i = 0; i < bigEndian.length; i++) {
            bytes[i] = bigEndian[bigEndian.length - 1 - i];
        }
        return bytes;
    }
}
