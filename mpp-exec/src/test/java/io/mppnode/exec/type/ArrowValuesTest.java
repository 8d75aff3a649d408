package io.mppnode.exec.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.SmallIntVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArrowValuesTest {
    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void setsAndGetsEveryTypeAndNullGrowingTheVector() {
        assertRoundTrip(ColumnTypes.of(TypeKind.BOOLEAN), true, false);
        assertRoundTrip(ColumnTypes.of(TypeKind.INT32), -7, Integer.MAX_VALUE);
        assertRoundTrip(ColumnTypes.of(TypeKind.INT64), Long.MIN_VALUE, 42L);
        assertRoundTrip(ColumnTypes.of(TypeKind.FLOAT64), 0.1, Double.NEGATIVE_INFINITY);
        assertRoundTrip(ColumnTypes.decimal(38, 2), new BigDecimal("123456789012345678901234567890123456.78"), new BigDecimal("-0.01"));
        assertRoundTrip(ColumnTypes.of(TypeKind.STRING), "naïve ☕", "x".repeat(10_000));
        assertRoundTrip(ColumnTypes.of(TypeKind.DATE), LocalDate.of(1900, 2, 28), LocalDate.of(2038, 1, 19));
        assertRoundTrip(ColumnTypes.of(TypeKind.TIMESTAMP), LocalDateTime.of(1900, 1, 1, 12, 0, 0, 1000),
                LocalDateTime.of(2024, 6, 30, 23, 59, 59, 999_999_000));
    }

    @Test
    void refusesAValueOfAnotherTypeNamingIt() {
        try (FieldVector vector = ColumnTypes.toArrowField("qty", ColumnTypes.of(TypeKind.INT32)).createVector(allocator)) {
            assertThatThrownBy(() -> ArrowValues.set(vector, 0, "12"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("value 12 (String) does not fit column 'qty' of type Int(32, true)")
                    .hasCauseInstanceOf(ClassCastException.class);
        }
    }

    @Test
    void refusesAVectorOfATypeOutsideThePlanModel() {
        try (SmallIntVector vector = new SmallIntVector("small", allocator)) {
            assertThatThrownBy(() -> ArrowValues.set(vector, 0, (short) 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unsupported vector SmallIntVector");
        }
    }

    /** Writes null, the values, then null again at growing indexes and reads them back. */
    private void assertRoundTrip(DataType type, Object... values) {
        try (FieldVector vector = ColumnTypes.toArrowField("c", type).createVector(allocator)) {
            List<Object> expected = new java.util.ArrayList<>();
            expected.add(null);
            expected.addAll(Arrays.asList(values));
            expected.add(null);
            // Far apart, so that the vector has to grow.
            for (int i = 0; i < expected.size(); i++) {
                ArrowValues.set(vector, i * 1000, expected.get(i));
            }
            vector.setValueCount((expected.size() - 1) * 1000 + 1);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(ArrowValues.get(vector, i * 1000)).as("%s at %d", ColumnTypes.describe(type), i * 1000)
                        .isEqualTo(expected.get(i));
            }
        }
    }
}
