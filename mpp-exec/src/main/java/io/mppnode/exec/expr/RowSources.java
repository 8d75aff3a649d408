package io.mppnode.exec.expr;

import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * Where each row of a {@code case} or {@code coalesce} result comes from: one of the evaluated
 * branches ({@link SelectedValues}, all of the result's type) and a position in it, or nowhere
 * (NULL). The result is assembled in one pass in row order (which string vectors need). Owns
 * the branches it was given, and closes them.
 */
final class RowSources implements AutoCloseable {
    private final List<SelectedValues> sources = new ArrayList<>();
    private final int[] source;
    private final int[] position;

    RowSources(int rows) {
        source = new int[rows];
        position = new int[rows];
        Arrays.fill(source, -1);
    }

    /** Takes ownership of {@code values}; returns its number for {@link #take}. */
    int add(SelectedValues values) {
        sources.add(values);
        return sources.size() - 1;
    }

    /** Row {@code row}'s value is at {@code position} of source {@code index}. */
    void take(int row, int index, int position) {
        this.source[row] = index;
        this.position[row] = position;
    }

    /** The result, a new vector of {@code type} from {@code allocator}, owned by the caller. */
    FieldVector assemble(DataType type, BufferAllocator allocator, int rows) {
        FieldVector out = type.getKind() == TypeKind.STRING ? Vectors.newStringVector(allocator, rows, 8L * rows)
                : Vectors.newVector(type, allocator, rows);
        try {
            FieldVector[] vectors = sources.stream().map(SelectedValues::vector).toArray(FieldVector[]::new);
            for (int row = 0; row < rows; row++) {
                if (source[row] >= 0) {
                    out.copyFromSafe(position[row], row, vectors[source[row]]);
                }
            }
            if (out instanceof VarCharVector strings) {
                strings.setValueCount(rows);
            }
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (SelectedValues values : sources) {
            try {
                values.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
