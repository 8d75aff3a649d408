package io.mppnode.server.sample;

import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A small built-in table for the quick start and for trying a node by hand: table id 1,
 * {@code sample_orders}, one column of every type, with a NULL in each column.
 */
public final class SampleTables {
    public static final long SAMPLE_ORDERS_ID = 1;
    public static final String SAMPLE_ORDERS = "sample_orders";

    private SampleTables() {}

    public static Table sampleOrders(BufferAllocator allocator) {
        return Table.builder(SAMPLE_ORDERS_ID, SAMPLE_ORDERS)
                .column("order_id", ColumnTypes.of(TypeKind.INT64))
                .column("customer", ColumnTypes.of(TypeKind.STRING))
                .column("quantity", ColumnTypes.of(TypeKind.INT32))
                .column("price", ColumnTypes.decimal(12, 2))
                .column("discount", ColumnTypes.of(TypeKind.FLOAT64))
                .column("shipped", ColumnTypes.of(TypeKind.BOOLEAN))
                .column("order_date", ColumnTypes.of(TypeKind.DATE))
                .column("updated_at", ColumnTypes.of(TypeKind.TIMESTAMP))
                .row(1L, "Customer#000000001", 17, new BigDecimal("21168.23"), 0.04, true, LocalDate.of(1996, 1, 2), LocalDateTime.of(1996, 1, 2, 10, 30))
                .row(2L, "Customer#000000002", 36, new BigDecimal("45983.16"), 0.09, true, LocalDate.of(1996, 12, 1), LocalDateTime.of(1996, 12, 1, 8, 0, 5))
                .row(3L, "Customer#000000003", 8, new BigDecimal("13309.60"), 0.10, false, LocalDate.of(1993, 10, 14), LocalDateTime.of(1993, 10, 14, 23, 59, 59))
                .row(4L, "Kunde#Ä-ß-東京", 28, new BigDecimal("28955.64"), 0.09, false, LocalDate.of(1995, 10, 11), LocalDateTime.of(1995, 10, 11, 12, 0))
                .row(5L, null, 24, null, null, null, null, null)
                .build(allocator);
    }

    /**
     * The sample query: a TableScan of {@code sample_orders} reading the given columns, under a
     * pass-through ExchangeSender whose receivers the coordinator fills in.
     */
    public static Executor scanAndSend(List<String> columns) {
        return Executor.newBuilder()
                .setExecutorId("exchange_sender_1")
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                .addChildren(Executor.newBuilder()
                        .setExecutorId("table_scan_0")
                        .setTableScan(TableScan.newBuilder().setTableId(SAMPLE_ORDERS_ID).addAllColumns(columns)))
                .build();
    }

    public static void load(Catalog catalog, BufferAllocator allocator) {
        catalog.add(sampleOrders(allocator));
    }
}
