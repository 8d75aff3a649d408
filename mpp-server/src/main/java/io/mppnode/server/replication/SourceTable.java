package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An upstream MySQL/MariaDB table: its database, name, columns in ordinal order (the order of
 * row images in the binlog) and its primary key.
 *
 * @param primaryKey indexes into {@code columns} of the primary key's columns, in key order;
 *     empty when the table has none
 */
public record SourceTable(String database, String name, List<SourceColumn> columns, List<Integer> primaryKey) {
    public SourceTable {
        requireNonNull(database, "database is null");
        requireNonNull(name, "name is null");
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        for (int index : primaryKey) {
            if (index < 0 || index >= columns.size()) {
                throw new IllegalArgumentException("primary key column index " + index + " is out of range for "
                        + database + "." + name + " with " + columns.size() + " columns");
            }
        }
    }

    /** {@code database.name}, as messages name the table. */
    public String qualifiedName() {
        return database + "." + name;
    }
}
