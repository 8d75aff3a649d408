package io.mppnode.exec.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GroupByHashTest {
    private static final List<DataType> TYPES = List.of(
            ColumnTypes.of(TypeKind.INT64), ColumnTypes.of(TypeKind.STRING), ColumnTypes.of(TypeKind.FLOAT64),
            ColumnTypes.decimal(20, 2), ColumnTypes.of(TypeKind.BOOLEAN), ColumnTypes.of(TypeKind.DATE));
    private static final String[] WORDS = {"a", "münchen", "東京", "", "🙂x", "longer string value"};
    private static final double[] DOUBLES = {0.0, -0.0, Double.NaN, Double.longBitsToDouble(0x7ff8000000000123L), 1.5};

    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails on a leak
    }

    @Test
    void givesEqualKeysOneDenseIdInOrderOfFirstAppearanceAcrossBatches() {
        Random random = new Random(3);
        Map<List<Object>, Integer> expected = new HashMap<>();
        List<List<Object>> firstSeen = new ArrayList<>();
        try (GroupByHash hash = new GroupByHash(TYPES, allocator)) {
            for (int batch = 0; batch < 6; batch++) {
                int rows = 1 + random.nextInt(3000);
                List<List<Object>> values = new ArrayList<>();
                for (int row = 0; row < rows; row++) {
                    values.add(Arrays.asList(
                            maybeNull(random, (long) random.nextInt(40)),
                            maybeNull(random, WORDS[random.nextInt(WORDS.length)]),
                            maybeNull(random, DOUBLES[random.nextInt(DOUBLES.length)]),
                            maybeNull(random, BigDecimal.valueOf(random.nextInt(5) - 2, 2)),
                            maybeNull(random, random.nextBoolean()),
                            maybeNull(random, java.time.LocalDate.of(2024, 2, 28).plusDays(random.nextInt(2)))));
                }
                FieldVector[] vectors = vectors(values);
                int[] ids = new int[rows];
                try {
                    hash.putAll(vectors, rows, ids);
                } finally {
                    Arrays.stream(vectors).forEach(FieldVector::close);
                }
                for (int row = 0; row < rows; row++) {
                    List<Object> key = canonical(values.get(row));
                    Integer id = expected.get(key);
                    if (id == null) {
                        id = expected.size();
                        expected.put(key, id);
                        firstSeen.add(values.get(row));
                    }
                    assertThat(ids[row]).as("row %d of batch %d: %s", row, batch, key).isEqualTo(id);
                }
            }
            assertThat(hash.groupCount()).isEqualTo(expected.size()).isGreaterThan(1024); // the table grew
            List<FieldVector> keys = hash.keyValues(0, hash.groupCount(),
                    java.util.stream.IntStream.range(0, TYPES.size()).mapToObj(i -> ColumnTypes.toArrowField("k" + i, TYPES.get(i))).toList(),
                    allocator);
            try {
                for (int group = 0; group < hash.groupCount(); group += 97) {
                    for (int column = 0; column < TYPES.size(); column++) {
                        assertThat(canonicalValue(ArrowValues.get(keys.get(column), group)))
                                .isEqualTo(canonicalValue(firstSeen.get(group).get(column)));
                    }
                }
            } finally {
                keys.forEach(FieldVector::close);
            }
        }
    }

    @Test
    void findsOnlyKnownKeysAndAddsNothing() {
        try (GroupByHash hash = new GroupByHash(List.of(ColumnTypes.of(TypeKind.STRING)), allocator)) {
            put(hash, "x", null, "東京");
            FieldVector[] probe = vectors(List.of(List.of("東京"), Arrays.asList((Object) null), List.of("y"), List.of("x")),
                    List.of(ColumnTypes.of(TypeKind.STRING)));
            int[] ids = new int[4];
            try {
                hash.findAll(probe, 4, ids);
            } finally {
                probe[0].close();
            }
            assertThat(ids).containsExactly(2, 1, -1, 0);
            assertThat(hash.groupCount()).isEqualTo(3);
        }
    }

    @Test
    void aFullAllocatorFailsThePutAndClosingFreesEverything() {
        try (BufferAllocator limited = allocator.newChildAllocator("limited", 0, 256 * 1024)) {
            GroupByHash hash = new GroupByHash(List.of(ColumnTypes.of(TypeKind.INT64)), limited);
            List<List<Object>> rows = new ArrayList<>();
            for (long i = 0; i < 50_000; i++) {
                rows.add(List.of(i));
            }
            FieldVector[] vectors = vectors(rows, List.of(ColumnTypes.of(TypeKind.INT64)));
            try {
                assertThatThrownBy(() -> hash.putAll(vectors, rows.size(), new int[rows.size()]))
                        .isInstanceOf(OutOfMemoryException.class);
            } finally {
                vectors[0].close();
                hash.close();
            }
            assertThat(limited.getAllocatedMemory()).isZero();
        }
    }

    private void put(GroupByHash hash, String... values) {
        List<List<Object>> rows = Arrays.stream(values).map(value -> Arrays.asList((Object) value)).toList();
        FieldVector[] vectors = vectors(rows, hash.keyTypes());
        try {
            hash.putAll(vectors, rows.size(), new int[rows.size()]);
        } finally {
            vectors[0].close();
        }
    }

    private FieldVector[] vectors(List<List<Object>> rows) {
        return vectors(rows, TYPES);
    }

    private FieldVector[] vectors(List<List<Object>> rows, List<DataType> types) {
        FieldVector[] vectors = new FieldVector[types.size()];
        for (int column = 0; column < types.size(); column++) {
            FieldVector vector = ColumnTypes.toArrowField("c" + column, types.get(column)).createVector(allocator);
            vector.allocateNew();
            for (int row = 0; row < rows.size(); row++) {
                ArrowValues.set(vector, row, rows.get(row).get(column));
            }
            vector.setValueCount(rows.size());
            vectors[column] = vector;
        }
        return vectors;
    }

    private static List<Object> canonical(List<Object> row) {
        return row.stream().map(GroupByHashTest::canonicalValue).toList();
    }

    private static Object canonicalValue(Object value) {
        if (value instanceof Double d) {
            return d == 0.0 ? 0.0 : Double.isNaN(d) ? Double.NaN : d;
        }
        return value == null ? "<null>" : value;
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(8) == 0 ? null : value;
    }
}
