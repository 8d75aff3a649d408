package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.DataType;

/** A column of a table: its name and type. */
public record ColumnSchema(String name, DataType type) {
    public ColumnSchema {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("column name is empty");
        }
    }
}
