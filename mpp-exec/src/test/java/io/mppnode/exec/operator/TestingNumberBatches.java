package io.mppnode.exec.operator;

import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** Batches of two columns, n int64 and s string ("row n", NULL where n % 7 == 3), for operator tests. */
final class TestingNumberBatches {
    static final Schema SCHEMA = new Schema(List.of(
            ColumnTypes.toArrowField("n", ColumnTypes.of(TypeKind.INT64)),
            ColumnTypes.toArrowField("s", ColumnTypes.of(TypeKind.STRING))));

    static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("n", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("s", ColumnTypes.of(TypeKind.STRING)));

    private TestingNumberBatches() {}

    /** A compiled reference to column n or s. */
    static VectorExpr key(String column) {
        Expr expr = Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(column)).build();
        return new ExprCompiler("test").compile(new ExprBinder("test", COLUMNS).bind(expr));
    }

    /** A batch of the rows for {@code values}, in {@code allocator}; the caller owns it. */
    static VectorSchemaRoot batch(BufferAllocator allocator, List<Long> values) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator);
        try {
            batch.getVector(0).allocateNew();
            batch.getVector(1).allocateNew();
            for (int row = 0; row < values.size(); row++) {
                Long value = values.get(row);
                ArrowValues.set(batch.getVector(0), row, value);
                ArrowValues.set(batch.getVector(1), row, value == null || value % 7 == 3 ? null : "row " + value);
            }
            batch.getVector(0).setValueCount(values.size());
            batch.getVector(1).setValueCount(values.size());
            batch.setRowCount(values.size());
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        return batch;
    }

    /** A batch of n = first .. first + count - 1. */
    static VectorSchemaRoot range(BufferAllocator allocator, long first, int count) {
        return batch(allocator, range(first, count));
    }

    static List<Long> range(long first, int count) {
        List<Long> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(first + i);
        }
        return values;
    }

    /** The rows {@link #batch} makes for {@code values}, as Java values. */
    static List<List<Object>> rows(List<Long> values) {
        List<List<Object>> rows = new ArrayList<>();
        for (Long value : values) {
            rows.add(java.util.Arrays.asList(value, value == null || value % 7 == 3 ? null : "row " + value));
        }
        return rows;
    }
}
