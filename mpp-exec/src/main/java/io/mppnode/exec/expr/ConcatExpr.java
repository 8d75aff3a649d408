package io.mppnode.exec.expr;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code concat(s1, s2, ...)}: the strings one after the other; NULL when any is (as SQL's
 * {@code ||} and MySQL's concat; DuckDB's concat() skips NULLs instead).
 */
record ConcatExpr(List<VectorExpr> args) implements VectorExpr {
    ConcatExpr {
        args = List.copyOf(args);
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.STRING);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(args, type(), batch, allocator, (values, out, rows) -> {
            VarCharVector[] strings = new VarCharVector[values.length];
            for (int i = 0; i < values.length; i++) {
                strings[i] = (VarCharVector) values[i];
            }
            VarCharVector result = (VarCharVector) out;
            Vectors.ByteScratch scratch = new Vectors.ByteScratch();
            rows:
            for (int row = 0; row < rows; row++) {
                int size = 0;
                for (VarCharVector string : strings) {
                    if (string.isNull(row)) {
                        continue rows;
                    }
                    size += Vectors.ByteScratch.length(string, row);
                }
                byte[] bytes = scratch.ensure(size);
                int at = 0;
                for (VarCharVector string : strings) {
                    int start = string.getStartOffset(row);
                    int length = string.getEndOffset(row) - start;
                    string.getDataBuffer().getBytes(start, bytes, at, length);
                    at += length;
                }
                result.setSafe(row, bytes, 0, size);
            }
        });
    }
}
