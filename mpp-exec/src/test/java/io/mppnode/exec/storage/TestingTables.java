package io.mppnode.exec.storage;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/** Small tables for tests, with one column of every type of the plan model. */
public final class TestingTables {
    public static final long ORDERS_ID = 1;
    public static final List<String> ORDERS_COLUMNS = List.of("order_id", "quantity", "price", "customer",
            "shipped", "ratio", "order_date", "updated_at");

    private TestingTables() {}

    /** A builder of table "orders" (id 1) with no rows: order_id int64, quantity int32, price decimal(15, 2), ... */
    public static Table.Builder ordersBuilder() {
        return Table.builder(ORDERS_ID, "orders")
                .column("order_id", ColumnTypes.of(TypeKind.INT64))
                .column("quantity", ColumnTypes.of(TypeKind.INT32))
                .column("price", ColumnTypes.decimal(15, 2))
                .column("customer", ColumnTypes.of(TypeKind.STRING))
                .column("shipped", ColumnTypes.of(TypeKind.BOOLEAN))
                .column("ratio", ColumnTypes.of(TypeKind.FLOAT64))
                .column("order_date", ColumnTypes.of(TypeKind.DATE))
                .column("updated_at", ColumnTypes.of(TypeKind.TIMESTAMP));
    }

    /** Row {@code i} of {@link #orders}: every fifth row has NULLs in every column but the id. */
    public static Object[] orderRow(int i) {
        if (i % 5 == 4) {
            return new Object[] {(long) i, null, null, null, null, null, null, null};
        }
        return new Object[] {
            (long) i,
            i % 100,
            new BigDecimal(i).add(new BigDecimal("0.99")),
            "customer #" + i + (i % 3 == 0 ? " — café" : ""),
            i % 2 == 0,
            i / 8.0,
            LocalDate.of(1998, 1, 1).plusDays(i),
            LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i).plusNanos(i % 1000 * 1000L),
        };
    }

    /** Table "orders" with rows 0 .. rows-1 as {@link #orderRow}. */
    public static Table orders(BufferAllocator allocator, int rows) {
        Table.Builder builder = ordersBuilder();
        for (int i = 0; i < rows; i++) {
            builder.row(orderRow(i));
        }
        return builder.build(allocator);
    }

    /** The expected rows 0 .. rows-1, restricted to the given columns, as lists. */
    public static List<List<Object>> expectedOrders(int from, int to, List<String> columns) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Object[] row = orderRow(i);
            rows.add(new ArrayList<>(columns.stream().map(column -> row[ORDERS_COLUMNS.indexOf(column)]).toList()));
        }
        return rows;
    }
}
