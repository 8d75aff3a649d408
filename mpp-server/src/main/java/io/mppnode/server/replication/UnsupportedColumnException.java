package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

/**
 * An upstream column whose type the node cannot hold (or cannot read exactly). Its message names
 * the column as {@code database.table.column}, the upstream type, why, and what to do.
 */
public final class UnsupportedColumnException extends RuntimeException {
    private final String table;
    private final String column;
    private final String columnType;

    /**
     * @param table the table as {@code database.table}
     * @param column the column's name
     * @param columnType the upstream {@code COLUMN_TYPE}
     * @param reason why the node cannot hold it
     */
    public UnsupportedColumnException(String table, String column, String columnType, String reason) {
        super("column " + table + "." + column + " has type " + columnType + ", which the node cannot replicate: "
                + reason + "; change the column type or leave the table out of replicate-tables");
        this.table = requireNonNull(table, "table is null");
        this.column = requireNonNull(column, "column is null");
        this.columnType = requireNonNull(columnType, "columnType is null");
    }

    public String table() {
        return table;
    }

    public String column() {
        return column;
    }

    public String columnType() {
        return columnType;
    }
}
