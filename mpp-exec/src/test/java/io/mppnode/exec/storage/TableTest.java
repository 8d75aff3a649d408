package io.mppnode.exec.storage;

import static io.mppnode.exec.storage.TestingTables.ORDERS_COLUMNS;
import static io.mppnode.exec.storage.TestingTables.expectedOrders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TableTest {
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
    void holdsEveryTypeIncludingNulls() {
        try (Table table = TestingTables.orders(allocator, 10)) {
            assertThat(table.id()).isEqualTo(TestingTables.ORDERS_ID);
            assertThat(table.name()).isEqualTo("orders");
            assertThat(table.storedRows()).isEqualTo(10);
            assertThat(table.columns()).extracting(ColumnSchema::name).containsExactlyElementsOf(ORDERS_COLUMNS);
            assertThat(rows(table)).isEqualTo(expectedOrders(0, 10, ORDERS_COLUMNS));
            // Row 4 is the all-NULL row (but its id).
            assertThat(rows(table).get(4).subList(1, ORDERS_COLUMNS.size())).containsOnlyNulls();
        }
    }

    @Test
    void mapsEachPlanTypeToItsArrowType() {
        try (Table table = TestingTables.orders(allocator, 0)) {
            assertThat(field(table, "order_id").getType()).isEqualTo(new ArrowType.Int(64, true));
            assertThat(field(table, "quantity").getType()).isEqualTo(new ArrowType.Int(32, true));
            assertThat(field(table, "price").getType()).isEqualTo(new ArrowType.Decimal(15, 2, 128));
            assertThat(field(table, "customer").getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
            assertThat(field(table, "shipped").getType()).isEqualTo(ArrowType.Bool.INSTANCE);
            assertThat(field(table, "ratio").getType().toString()).isEqualTo("FloatingPoint(DOUBLE)");
            assertThat(field(table, "order_date").getType().toString()).isEqualTo("Date(DAY)");
            assertThat(field(table, "updated_at").getType().toString()).isEqualTo("Timestamp(MICROSECOND, null)");
            assertThat(field(table, "order_id").isNullable()).isTrue();
        }
    }

    @Test
    void roundTripsEdgeValuesOfEveryType() {
        String longText = "ü".repeat(1 << 19);
        List<Object[]> input = List.of(
                new Object[] {true, Integer.MIN_VALUE, Long.MIN_VALUE, -Double.MAX_VALUE,
                    new BigDecimal("-99999999999999999999999999999999999999"), new BigDecimal("-0.0000000001"),
                    "", LocalDate.of(1, 1, 1), LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000)},
                new Object[] {false, Integer.MAX_VALUE, Long.MAX_VALUE, Double.NaN,
                    new BigDecimal("99999999999999999999999999999999999999"), new BigDecimal("9999999999999999999999999999.9999999999"),
                    longText, LocalDate.of(9999, 12, 31), LocalDateTime.of(2262, 4, 11, 23, 47, 16, 854_775_000)},
                new Object[] {null, null, null, null, null, null, null, null, null},
                new Object[] {true, 0, 0L, -0.0, BigDecimal.ZERO, new BigDecimal("1.5"), "日本語 \uD83D\uDE00", LocalDate.EPOCH,
                    LocalDateTime.of(1970, 1, 1, 0, 0)});
        Table.Builder builder = Table.builder(3, "edges")
                .column("b", ColumnTypes.of(TypeKind.BOOLEAN))
                .column("i", ColumnTypes.of(TypeKind.INT32))
                .column("l", ColumnTypes.of(TypeKind.INT64))
                .column("f", ColumnTypes.of(TypeKind.FLOAT64))
                .column("d38", ColumnTypes.decimal(38, 0))
                .column("d38s10", ColumnTypes.decimal(38, 10))
                .column("s", ColumnTypes.of(TypeKind.STRING))
                .column("day", ColumnTypes.of(TypeKind.DATE))
                .column("ts", ColumnTypes.of(TypeKind.TIMESTAMP));
        input.forEach(builder::row);

        try (Table table = builder.build(allocator)) {
            List<List<Object>> rows = rows(table);
            assertThat(rows).hasSize(4);
            assertThat(rows.get(0)).containsExactly(true, Integer.MIN_VALUE, Long.MIN_VALUE, -Double.MAX_VALUE,
                    new BigDecimal("-99999999999999999999999999999999999999"), new BigDecimal("-0.0000000001"),
                    "", LocalDate.of(1, 1, 1), LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000));
            assertThat(rows.get(1)).containsExactly(false, Integer.MAX_VALUE, Long.MAX_VALUE, Double.NaN,
                    new BigDecimal("99999999999999999999999999999999999999"), new BigDecimal("9999999999999999999999999999.9999999999"),
                    longText, LocalDate.of(9999, 12, 31), LocalDateTime.of(2262, 4, 11, 23, 47, 16, 854_775_000));
            assertThat(rows.get(2)).containsOnlyNulls();
            // Decimals come back at the column's scale.
            assertThat(rows.get(3)).containsExactly(true, 0, 0L, -0.0, BigDecimal.ZERO, new BigDecimal("1.5000000000"),
                    "日本語 \uD83D\uDE00", LocalDate.EPOCH, LocalDateTime.of(1970, 1, 1, 0, 0));
        }
    }

    @Test
    void stringColumnKeepsValuesAroundNulls() {
        Table.Builder builder = Table.builder(4, "names").column("name", ColumnTypes.of(TypeKind.STRING));
        builder.row((Object) null).row("first").row((Object) null).row((Object) null).row("second").row((Object) null);
        try (Table table = builder.build(allocator)) {
            assertThat(rows(table)).extracting(row -> row.getFirst())
                    .containsExactly(null, "first", null, null, "second", null);
        }
    }

    @Test
    void int64ColumnTakesAnyIntegralNumber() {
        Table.Builder builder = Table.builder(5, "numbers")
                .column("l", ColumnTypes.of(TypeKind.INT64))
                .column("f", ColumnTypes.of(TypeKind.FLOAT64));
        builder.row(7, 3).row(8L, 2.5);
        try (Table table = builder.build(allocator)) {
            assertThat(rows(table)).containsExactly(List.of(7L, 3.0), List.of(8L, 2.5));
        }
    }

    @Test
    void valueOfTheWrongTypeIsRefusedNamingValueAndColumn() {
        assertWrongValue(ColumnTypes.of(TypeKind.INT32), "forty-two",
                "value forty-two (String) does not fit column 'c' of type Int(32, true)");
        assertWrongValue(ColumnTypes.of(TypeKind.INT32), 42L, "value 42 (Long) does not fit column 'c' of type Int(32, true)");
        assertWrongValue(ColumnTypes.of(TypeKind.BOOLEAN), 1, "value 1 (Integer) does not fit column 'c' of type Bool");
        assertWrongValue(ColumnTypes.of(TypeKind.INT64), "7", "value 7 (String) does not fit column 'c' of type Int(64, true)");
        assertWrongValue(ColumnTypes.of(TypeKind.FLOAT64), "1.5", "value 1.5 (String) does not fit column 'c'");
        assertWrongValue(ColumnTypes.of(TypeKind.STRING), 5, "value 5 (Integer) does not fit column 'c' of type Utf8");
        assertWrongValue(ColumnTypes.of(TypeKind.DATE), "2024-01-01", "value 2024-01-01 (String) does not fit column 'c' of type Date(DAY)");
        assertWrongValue(ColumnTypes.of(TypeKind.TIMESTAMP), LocalDate.of(2024, 1, 1),
                "value 2024-01-01 (LocalDate) does not fit column 'c' of type Timestamp(MICROSECOND, null)");
        assertWrongValue(ColumnTypes.decimal(15, 2), 1.5, "value 1.5 (Double) does not fit column 'c' of type Decimal(15, 2, 128)");
    }

    @Test
    void decimalThatNeedsRoundingOrMoreDigitsIsRefused() {
        assertWrongValue(ColumnTypes.decimal(15, 2), new BigDecimal("1.234"),
                "value 1.234 (BigDecimal) does not fit column 'c' of type Decimal(15, 2, 128)");
        assertWrongValue(ColumnTypes.decimal(5, 2), new BigDecimal("12345.6"),
                "value 12345.6 (BigDecimal) does not fit column 'c' of type Decimal(5, 2, 128)");
    }

    @Test
    void dateOutsideTheDayRangeIsRefused() {
        assertWrongValue(ColumnTypes.of(TypeKind.DATE), LocalDate.MAX, "does not fit column 'c' of type Date(DAY)");
    }

    @Test
    void refusesRowsOfTheWrongWidthAndDuplicateColumns() {
        Table.Builder builder = Table.builder(6, "pairs")
                .column("a", ColumnTypes.of(TypeKind.INT32))
                .column("b", ColumnTypes.of(TypeKind.INT32));
        assertThatThrownBy(() -> builder.row(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("table 'pairs' has 2 columns, the row has 1 values");
        assertThatThrownBy(() -> builder.column("a", ColumnTypes.of(TypeKind.STRING)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("table 'pairs' already has a column 'a'");
    }

    @Test
    void refusesColumnsWithoutTypeOrWithAnImpossibleDecimal() {
        Table.Builder builder = Table.builder(7, "bad");
        assertThatThrownBy(() -> builder.column("x", DataType.getDefaultInstance()))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PLAN))
                .hasMessage("column 'x': the type is not specified");
        assertThatThrownBy(() -> builder.column("y", ColumnTypes.decimal(39, 2)))
                .isInstanceOf(MppException.class)
                .hasMessage("column 'y': decimal(39, 2) is out of range: precision must be 1..38 and scale 0..precision");
        assertThatThrownBy(() -> builder.column("z", ColumnTypes.decimal(10, 11)))
                .isInstanceOf(MppException.class)
                .hasMessageContaining("decimal(10, 11) is out of range");
    }

    @Test
    void unknownColumnIsRefused() {
        try (Table table = TestingTables.orders(allocator, 1)) {
            assertThat(table.column("price")).contains(new ColumnSchema("price", ColumnTypes.decimal(15, 2)));
            assertThat(table.column("nope")).isEmpty();
            assertThat(table.info().columnIndex("nope")).isEqualTo(-1);
        }
    }

    @Test
    void closingTheTableFreesItsMemory() {
        Table table = TestingTables.orders(allocator, 1000);
        assertThat(allocator.getAllocatedMemory()).isPositive();
        table.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    private void assertWrongValue(DataType type, Object value, String message) {
        Table.Builder builder = Table.builder(8, "t").column("c", type).row((Object) null).row(value);
        assertThatThrownBy(() -> builder.build(allocator))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
        // A failed build leaves nothing allocated.
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    private static org.apache.arrow.vector.types.pojo.Field field(Table table, String name) {
        return Tables.arrowSchema(table.columns()).findField(name);
    }

    /** Everything a snapshot at the newest timestamp sees, in stored order. */
    static List<List<Object>> rows(Table table) {
        List<List<Object>> rows = new ArrayList<>();
        for (Region region : table.regions()) {
            for (ScanPiece piece : region.snapshot(Long.MAX_VALUE, List.of())) {
                for (int i = 0; i < piece.rowCount(); i++) {
                    List<Object> values = new ArrayList<>();
                    for (int column = 0; column < table.columns().size(); column++) {
                        values.add(ArrowValues.get(piece.data().getVector(column), piece.row(i)));
                    }
                    rows.add(values);
                }
            }
        }
        return rows;
    }
}
