package io.mppnode.exec.tpch;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import io.trino.tpch.GenerateUtils;
import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchEntity;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The eight TPC-H tables as this node stores them: fixed table ids, the standard column types
 * (keys int64, money and quantities decimal(15,2), dates, strings, int32 counts), and the way
 * generated rows become handles.
 *
 * <p>Handles: the generator numbers the rows of its base entity from 1 (nation and region from 0; a lineitem carries its
 * order's number, a partsupp row its part's). A row's handle is {@code rowNumber * fanOut +
 * ordinal}, where {@code ordinal} counts the rows of one base entity from 0, so that generator
 * part {@code p} of {@code n} fills exactly the handle range {@link #handleRange}.
 */
public enum TpchTable {
    NATION(101, io.trino.tpch.TpchTable.NATION, 1, 25),
    REGION(102, io.trino.tpch.TpchTable.REGION, 1, 5),
    PART(103, io.trino.tpch.TpchTable.PART, 1, 200_000),
    SUPPLIER(104, io.trino.tpch.TpchTable.SUPPLIER, 1, 10_000),
    PARTSUPP(105, io.trino.tpch.TpchTable.PART_SUPPLIER, 4, 200_000),
    CUSTOMER(106, io.trino.tpch.TpchTable.CUSTOMER, 1, 150_000),
    ORDERS(107, io.trino.tpch.TpchTable.ORDERS, 1, 1_500_000),
    LINEITEM(108, io.trino.tpch.TpchTable.LINE_ITEM, 8, 1_500_000);

    /** The type of every money and quantity column. */
    public static final DataType MONEY = ColumnTypes.decimal(15, 2);

    private final long id;
    private final io.trino.tpch.TpchTable<?> generator;
    private final int fanOut;
    private final int baseRowsPerScaleFactor;
    private final List<ColumnSchema> columns;

    TpchTable(long id, io.trino.tpch.TpchTable<?> generator, int fanOut, int baseRowsPerScaleFactor) {
        this.id = id;
        this.generator = generator;
        this.fanOut = fanOut;
        this.baseRowsPerScaleFactor = baseRowsPerScaleFactor;
        List<ColumnSchema> list = new ArrayList<>();
        for (TpchColumn<?> column : generator.getColumns()) {
            list.add(new ColumnSchema(column.getColumnName(), typeOf(column)));
        }
        this.columns = List.copyOf(list);
    }

    public long id() {
        return id;
    }

    /** The table's name: lineitem, orders, ... */
    public String tableName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public List<ColumnSchema> columns() {
        return columns;
    }

    public TableInfo info() {
        return new TableInfo(id, tableName(), columns);
    }

    io.trino.tpch.TpchTable<?> generator() {
        return generator;
    }

    /** Handles per base row: 8 for lineitem (line numbers of an order), 4 for partsupp, else 1. */
    public int fanOut() {
        return fanOut;
    }

    /** Rows of the base entity (orders for lineitem, parts for partsupp) at a scale factor; nation and region do not scale. */
    public long baseRows(double scaleFactor) {
        if (!scales()) {
            return baseRowsPerScaleFactor;
        }
        return GenerateUtils.calculateRowCount(baseRowsPerScaleFactor, scaleFactor, 1, 1);
    }

    /**
     * The handles generator part {@code part} of {@code parts} fills: {@code [start, end)}. The
     * parts of one scale factor tile {@code [fanOut, (baseRows + 1) * fanOut)}.
     */
    public long[] handleRange(double scaleFactor, int part, int parts) {
        checkPart(part, parts);
        if (!scales()) {
            if (parts != 1) {
                throw new IllegalArgumentException(tableName() + " is generated in one part, not " + parts);
            }
            return new long[] {0, (long) baseRowsPerScaleFactor * fanOut}; // numbered from 0, as their keys
        }
        long start = GenerateUtils.calculateStartIndex(baseRowsPerScaleFactor, scaleFactor, part, parts);
        long count = GenerateUtils.calculateRowCount(baseRowsPerScaleFactor, scaleFactor, part, parts);
        return new long[] {(start + 1) * fanOut, (start + count + 1) * fanOut};
    }

    /** How many parts the table can be cut into at a scale factor: nation and region one, others one per base row at most. */
    public int maxParts(double scaleFactor) {
        return scales() ? (int) Math.max(1, Math.min(Integer.MAX_VALUE, baseRows(scaleFactor))) : 1;
    }

    /** Whether the table's size follows the scale factor (all but nation and region). */
    public boolean scales() {
        return this != NATION && this != REGION;
    }

    static void checkPart(int part, int parts) {
        if (parts < 1 || part < 1 || part > parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts + ": parts count from 1");
        }
    }

    public static Optional<TpchTable> byName(String name) {
        for (TpchTable table : values()) {
            if (table.tableName().equals(name)) {
                return Optional.of(table);
            }
        }
        return Optional.empty();
    }

    public static Optional<TpchTable> byId(long id) {
        for (TpchTable table : values()) {
            if (table.id == id) {
                return Optional.of(table);
            }
        }
        return Optional.empty();
    }

    private static DataType typeOf(TpchColumn<? extends TpchEntity> column) {
        return switch (column.getType().getBase()) {
            case IDENTIFIER -> ColumnTypes.of(TypeKind.INT64);
            case INTEGER -> ColumnTypes.of(TypeKind.INT32);
            case DATE -> ColumnTypes.of(TypeKind.DATE);
            case DOUBLE -> ColumnTypes.decimal(15, 2); // MONEY (enum constants initialize before static fields)
            case VARCHAR -> ColumnTypes.of(TypeKind.STRING);
        };
    }
}
