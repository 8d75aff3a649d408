package io.mppnode.exchange.partition;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Batches with a nullable column of every type the partition hash defines, built from and read
 * back as plain Java values: Boolean, Byte, Short, Integer, Long, Float, Double, BigDecimal (at
 * the column's scale), String, ByteBuffer (binary), LocalDate, Long (timestamp microseconds);
 * null is NULL. Random rows come from small domains so that keys repeat.
 */
final class TestingKeyBatches {
    static final Schema ALL_TYPES = new Schema(List.of(
            field("flag", ArrowType.Bool.INSTANCE),
            field("tiny", new ArrowType.Int(8, true)),
            field("small", new ArrowType.Int(16, true)),
            field("quantity", new ArrowType.Int(32, true)),
            field("order_id", new ArrowType.Int(64, true)),
            field("ratio32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
            field("ratio", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            field("price", new ArrowType.Decimal(15, 2, 128)),
            field("big", new ArrowType.Decimal(38, 0, 128)),
            field("comment", ArrowType.Utf8.INSTANCE),
            field("large_comment", ArrowType.LargeUtf8.INSTANCE),
            field("payload", ArrowType.Binary.INSTANCE),
            field("order_date", new ArrowType.Date(DateUnit.DAY)),
            field("updated_at", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            field("updated_at_utc", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))));

    private static final String[] WORDS = {"", "a", "abc", "naïve", "日本語", "a somewhat longer string of more than 32 bytes"};

    private TestingKeyBatches() {}

    static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    static Schema schema(Field... fields) {
        return new Schema(List.of(fields));
    }

    /** {@code count} random rows of {@link #ALL_TYPES}, about one value in six NULL. */
    static List<Object[]> randomRows(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Object[]> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Object[] row = randomRow(random);
            for (int column = 0; column < row.length; column++) {
                if (random.nextInt(6) == 0) {
                    row[column] = null;
                }
            }
            rows.add(row);
        }
        return rows;
    }

    /** A row of {@link #ALL_TYPES} with every column set. */
    static Object[] randomRow(SplittableRandom random) {
        int small = random.nextInt(-50, 50);
        return new Object[] {
            random.nextBoolean(),
            (byte) small,
            (short) (small * 300),
            small * 70_000,
            small * 5_000_000_000L,
            randomFloat(random),
            randomDouble(random),
            new BigDecimal(random.nextInt(-100_000, 100_000)).movePointLeft(2),
            new BigDecimal(random.nextLong()).multiply(BigDecimal.valueOf(random.nextLong(1, 1_000_000_000L))),
            WORDS[random.nextInt(WORDS.length)] + (random.nextBoolean() ? "" : random.nextInt(20)),
            WORDS[random.nextInt(WORDS.length)],
            ByteBuffer.wrap(randomBytes(random)),
            LocalDate.of(1995, 3, 15).plusDays(random.nextInt(-800, 800)),
            random.nextLong(-4_000_000_000_000_000L, 4_000_000_000_000_000L) / 1_000_000 * 1_000_000 + random.nextInt(3),
            random.nextLong(-1_000, 1_000),
        };
    }

    private static float randomFloat(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> Float.NaN;
            case 1 -> -0.0f;
            case 2 -> 0.0f;
            default -> random.nextInt(-20, 20) / 4.0f;
        };
    }

    private static double randomDouble(SplittableRandom random) {
        return switch (random.nextInt(7)) {
            case 0 -> Double.NaN;
            case 1 -> Double.longBitsToDouble(0xFFF0_0000_0000_0123L);  // another NaN
            case 2 -> -0.0;
            case 3 -> Double.NEGATIVE_INFINITY;
            default -> random.nextInt(-20, 20) / 8.0;
        };
    }

    private static byte[] randomBytes(SplittableRandom random) {
        byte[] bytes = new byte[random.nextInt(0, 40)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(4);
        }
        return bytes;
    }

    static VectorSchemaRoot batch(BufferAllocator allocator, Schema schema, List<Object[]> rows) {
        return batch(allocator, schema, rows, null);
    }

    /**
     * A batch of {@code rows}; with {@code dirt}, every NULL slot is first written with the value
     * of the same column in a row of {@code dirt} and then set NULL, so the bytes under the NULL
     * differ from a clean batch's.
     */
    static VectorSchemaRoot batch(BufferAllocator allocator, Schema schema, List<Object[]> rows, List<Object[]> dirt) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            for (int row = 0; row < rows.size(); row++) {
                for (int column = 0; column < schema.getFields().size(); column++) {
                    FieldVector vector = root.getVector(column);
                    Object value = rows.get(row)[column];
                    if (value == null && dirt != null) {
                        Object garbage = dirt.get(row % dirt.size())[column];
                        if (garbage != null) {
                            set(vector, row, garbage);
                        }
                    }
                    set(vector, row, value);
                }
            }
            root.setRowCount(rows.size());
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The rows of a batch as Java values, one list per row, for equality assertions. */
    static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> rows = new ArrayList<>();
        for (int row = 0; row < root.getRowCount(); row++) {
            List<Object> values = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                values.add(get(vector, row));
            }
            rows.add(values);
        }
        return rows;
    }

    /** The given rows in the form {@link #rows} returns them. */
    static List<List<Object>> asLists(List<Object[]> rows) {
        return rows.stream().map(row -> (List<Object>) new ArrayList<>(Arrays.asList(row))).toList();
    }

    static void set(FieldVector vector, int index, Object value) {
        if (value == null) {
            if (vector instanceof NullVector nulls) {
                nulls.setValueCount(Math.max(nulls.getValueCount(), index + 1));
            } else {
                vector.setNull(index);
            }
            return;
        }
        switch (vector) {
            case BitVector v -> v.setSafe(index, (Boolean) value ? 1 : 0);
            case TinyIntVector v -> v.setSafe(index, (Byte) value);
            case SmallIntVector v -> v.setSafe(index, (Short) value);
            case IntVector v -> v.setSafe(index, (Integer) value);
            case BigIntVector v -> v.setSafe(index, (Long) value);
            case Float4Vector v -> v.setSafe(index, (Float) value);
            case Float8Vector v -> v.setSafe(index, (Double) value);
            case DecimalVector v -> v.setSafe(index, (BigDecimal) value);
            case VarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case LargeVarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case VarBinaryVector v -> v.setSafe(index, bytes((ByteBuffer) value));
            case DateDayVector v -> v.setSafe(index, Math.toIntExact(((LocalDate) value).toEpochDay()));
            case TimeStampMicroVector v -> v.setSafe(index, (Long) value);
            case TimeStampMicroTZVector v -> v.setSafe(index, (Long) value);
            default -> throw new IllegalArgumentException("unexpected vector " + vector);
        }
    }

    static Object get(FieldVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        return switch (vector) {
            case BitVector v -> v.get(index) != 0;
            case TinyIntVector v -> v.get(index);
            case SmallIntVector v -> v.get(index);
            case IntVector v -> v.get(index);
            case BigIntVector v -> v.get(index);
            case Float4Vector v -> v.get(index);
            case Float8Vector v -> v.get(index);
            case DecimalVector v -> v.getObject(index);
            case VarCharVector v -> new String(v.get(index), StandardCharsets.UTF_8);
            case LargeVarCharVector v -> new String(v.get(index), StandardCharsets.UTF_8);
            case VarBinaryVector v -> ByteBuffer.wrap(v.get(index));
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(index));
            case TimeStampMicroVector v -> v.get(index);
            case TimeStampMicroTZVector v -> v.get(index);
            default -> vector.getObject(index);
        };
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
