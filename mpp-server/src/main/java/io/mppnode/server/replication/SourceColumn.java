package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

/**
 * A column of an upstream MySQL/MariaDB table as {@code information_schema.COLUMNS} describes it.
 *
 * @param name the column's name
 * @param dataType {@code DATA_TYPE} in lower case: {@code int}, {@code varchar}, {@code enum}, ...
 * @param columnType {@code COLUMN_TYPE} as the server spells it: {@code int(10) unsigned},
 *     {@code enum('a','b')}, {@code decimal(15,2)}, ...
 * @param unsigned whether {@code COLUMN_TYPE} says {@code unsigned} (or {@code zerofill}, which implies it)
 * @param numericPrecision {@code NUMERIC_PRECISION} (digits for DECIMAL, bits for BIT); 0 where it is NULL
 * @param numericScale {@code NUMERIC_SCALE}; 0 where it is NULL
 * @param datetimePrecision {@code DATETIME_PRECISION} (fractional second digits); 0 where it is NULL
 * @param charset {@code CHARACTER_SET_NAME} in lower case, or null for columns that have none
 *     (numbers, dates)
 * @param nullable {@code IS_NULLABLE = 'YES'}
 */
public record SourceColumn(
        String name,
        String dataType,
        String columnType,
        boolean unsigned,
        int numericPrecision,
        int numericScale,
        int datetimePrecision,
        String charset,
        boolean nullable) {
    public SourceColumn {
        requireNonNull(name, "name is null");
        requireNonNull(dataType, "dataType is null");
        requireNonNull(columnType, "columnType is null");
    }
}
