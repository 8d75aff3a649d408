package io.mppnode.exec.storage;

import io.mppnode.exec.type.ColumnTypes;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;

/** Small helpers over table definitions. */
public final class Tables {
    private Tables() {}

    /** The Arrow schema of columns, in order. */
    public static Schema arrowSchema(List<ColumnSchema> columns) {
        return new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
    }
}
