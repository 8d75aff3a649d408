package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A table's definition: its id, its name and its columns (each nullable). Rows also carry an int64 handle. */
public record TableInfo(long id, String name, List<ColumnSchema> columns) {
    public TableInfo {
        requireNonNull(name, "name is null");
        columns = List.copyOf(columns);
        if (id <= 0) {
            throw new IllegalArgumentException("table id must be positive: " + id);
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("table " + id + " has an empty name");
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("table '" + name + "' has no columns");
        }
        Set<String> seen = new HashSet<>();
        for (ColumnSchema column : columns) {
            ColumnTypes.check(column.type(), "table '" + name + "', column '" + column.name() + "'");
            if (!seen.add(column.name())) {
                throw new IllegalArgumentException("table '" + name + "' has two columns named '" + column.name() + "'");
            }
        }
    }

    public Optional<ColumnSchema> column(String columnName) {
        return columns.stream().filter(column -> column.name().equals(columnName)).findFirst();
    }

    public int columnIndex(String columnName) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(columnName)) {
                return i;
            }
        }
        return -1;
    }
}
