package io.mppnode.exec.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CatalogTest {
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
    void findsTablesById() {
        try (Catalog catalog = new Catalog()) {
            Table orders = TestingTables.orders(allocator, 2);
            Table other = Table.builder(2, "other").column("x", ColumnTypes.of(TypeKind.INT32)).build(allocator);
            catalog.add(orders);
            catalog.add(other);

            assertThat(catalog.table(TestingTables.ORDERS_ID)).isSameAs(orders);
            assertThat(catalog.table(2)).isSameAs(other);
            assertThat(catalog.tables()).containsExactlyInAnyOrder(orders, other);
        }
    }

    @Test
    void unknownTableIdIsRefused() {
        try (Catalog catalog = new Catalog()) {
            assertThatThrownBy(() -> catalog.table(42))
                    .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
                    .hasMessage("unknown table id 42");
        }
    }

    @Test
    void duplicateTableIdIsRefusedAndTheFirstTableStays() {
        try (Catalog catalog = new Catalog();
                Table duplicate = Table.builder(TestingTables.ORDERS_ID, "orders_again")
                        .column("x", ColumnTypes.of(TypeKind.INT32))
                        .build(allocator)) {
            Table orders = TestingTables.orders(allocator, 1);
            catalog.add(orders);

            assertThatThrownBy(() -> catalog.add(duplicate))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("table id 1 is taken by 'orders'");
            assertThat(catalog.table(TestingTables.ORDERS_ID)).isSameAs(orders);
        }
    }

    @Test
    void closingTheCatalogClosesItsTables() {
        Catalog catalog = new Catalog();
        catalog.add(TestingTables.orders(allocator, 100));
        assertThat(allocator.getAllocatedMemory()).isPositive();

        catalog.close();

        assertThat(allocator.getAllocatedMemory()).isZero();
        assertThat(catalog.tables()).isEmpty();
    }
}
