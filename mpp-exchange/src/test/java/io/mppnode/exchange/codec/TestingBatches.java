package io.mppnode.exchange.codec;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
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
 * Batches with one nullable column of every Arrow type of the plan model, built from and read
 * back as plain Java values (Boolean, Integer, Long, Double, BigDecimal, String, LocalDate,
 * LocalDateTime; null is NULL). Public: the sender and receiver tests build their batches here too.
 */
public final class TestingBatches {
    private static final LocalDateTime EPOCH = LocalDateTime.of(1970, 1, 1, 0, 0);

    /** bool, int32, int64, float64, decimal(15, 2), decimal(38, 0), decimal(38, 10), utf8, date day, timestamp micro. */
    public static final Schema ALL_TYPES = new Schema(List.of(
            field("flag", ArrowType.Bool.INSTANCE),
            field("quantity", new ArrowType.Int(32, true)),
            field("order_id", new ArrowType.Int(64, true)),
            field("ratio", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            field("price", new ArrowType.Decimal(15, 2, 128)),
            field("big", new ArrowType.Decimal(38, 0, 128)),
            field("precise", new ArrowType.Decimal(38, 10, 128)),
            field("comment", ArrowType.Utf8.INSTANCE),
            field("order_date", new ArrowType.Date(DateUnit.DAY)),
            field("updated_at", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null))));

    private TestingBatches() {}

    public static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    /** A row of ALL_TYPES with every column set. */
    public static Object[] fullRow(int seed) {
        return new Object[] {
            seed % 2 == 0,
            seed * 7 - 3,
            (long) seed * 1_000_000_007L,
            seed / 3.0,
            new BigDecimal(seed + ".25"),
            new BigDecimal(seed).negate(),
            new BigDecimal(seed + ".0000000001"),
            "row " + seed,
            LocalDate.of(1995, 3, 15).plusDays(seed),
            LocalDateTime.of(2024, 2, 29, 23, 59, 59).plusNanos(seed * 1000L),
        };
    }

    /**
     * {@code count} rows of ALL_TYPES from a seeded generator, about one value in eight NULL, with
     * the repetition of real data (small numbers, a few dates, comments from a small vocabulary),
     * so LZ4 and ZSTD find something to compress.
     */
    static List<Object[]> sampleRows(int count, long seed) {
        Random random = new Random(seed);
        String[] words = {"carefully", "final", "deposits", "sleep", "furiously", "regular", "packages", "ironic"};
        List<Object[]> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Object[] row = new Object[] {
                random.nextBoolean(),
                random.nextInt(50) + 1,
                seed * 1_000_000 + i,
                random.nextInt(11) / 100.0,
                BigDecimal.valueOf(random.nextInt(10_000_000), 2),
                BigDecimal.valueOf(random.nextLong()),
                BigDecimal.valueOf(random.nextInt(1000), 10),
                words[random.nextInt(words.length)] + " " + words[random.nextInt(words.length)] + " " + i,
                LocalDate.of(1992, 1, 1).plusDays(random.nextInt(2500)),
                LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(random.nextInt(86_400)),
            };
            for (int column = 0; column < row.length; column++) {
                if (random.nextInt(8) == 0) {
                    row[column] = null;
                }
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * {@code length} pseudo-random printable ASCII characters: LZ4 cannot shrink them (4-byte
     * repeats are too rare to pay for a match), so its frames store such blocks as they are.
     */
    static String randomText(int length, long seed) {
        Random random = new Random(seed);
        char[] characters = new char[length];
        for (int i = 0; i < length; i++) {
            characters[i] = (char) ('!' + random.nextInt(94));
        }
        return new String(characters);
    }

    /** A row of ALL_TYPES with every column NULL. */
    public static Object[] nullRow() {
        return new Object[ALL_TYPES.getFields().size()];
    }

    public static VectorSchemaRoot batch(BufferAllocator allocator, Schema schema, List<Object[]> rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            for (int row = 0; row < rows.size(); row++) {
                for (int column = 0; column < schema.getFields().size(); column++) {
                    set(root.getVector(column), row, rows.get(row)[column]);
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
    public static List<List<Object>> rows(VectorSchemaRoot root) {
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
    public static List<List<Object>> asLists(List<Object[]> rows) {
        return rows.stream()
                .map(row -> Arrays.stream(row)
                        .map(value -> value instanceof BigDecimal decimal ? decimal.stripTrailingZeros() : value)
                        .toList())
                .map(values -> (List<Object>) new ArrayList<>(values))
                .toList();
    }

    private static void set(FieldVector vector, int index, Object value) {
        if (value == null) {
            vector.setNull(index);
            return;
        }
        switch (vector) {
            case BitVector v -> v.setSafe(index, (Boolean) value ? 1 : 0);
            case IntVector v -> v.setSafe(index, (Integer) value);
            case BigIntVector v -> v.setSafe(index, (Long) value);
            case Float8Vector v -> v.setSafe(index, (Double) value);
            case DecimalVector v -> v.setSafe(index, ((BigDecimal) value).setScale(v.getScale(), RoundingMode.UNNECESSARY));
            case VarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case DateDayVector v -> v.setSafe(index, Math.toIntExact(((LocalDate) value).toEpochDay()));
            case TimeStampMicroVector v -> v.setSafe(index, EPOCH.until((LocalDateTime) value, ChronoUnit.MICROS));
            default -> throw new IllegalArgumentException("unexpected vector " + vector);
        }
    }

    private static Object get(FieldVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        return switch (vector) {
            case BitVector v -> v.get(index) != 0;
            case IntVector v -> v.get(index);
            case BigIntVector v -> v.get(index);
            case Float8Vector v -> v.get(index);
            // Compare decimals by value: strip the vector's scale back to the input's.
            case DecimalVector v -> v.getObject(index).stripTrailingZeros();
            case VarCharVector v -> new String(v.get(index), StandardCharsets.UTF_8);
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(index));
            case TimeStampMicroVector v -> LocalDateTime.ofEpochSecond(Math.floorDiv(v.get(index), 1_000_000L),
                    (int) Math.floorMod(v.get(index), 1_000_000L) * 1000, ZoneOffset.UTC);
            default -> throw new IllegalArgumentException("unexpected vector " + vector);
        };
    }
}
