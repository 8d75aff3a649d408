package io.mppnode.exec.expr;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * What the compiled expressions share: allocating result vectors, evaluating arguments so that
 * a failure frees what was already evaluated, reading integer vectors through a reader chosen
 * once per batch, and copying a string's bytes into a reusable scratch array.
 */
final class Vectors {
    private Vectors() {}

    /** Reads row values as longs; chosen once per batch so the row loop does no type dispatch. */
    @FunctionalInterface
    interface LongReader {
        long get(int row);
    }

    /** Computes a result vector from argument vectors; may throw, the caller frees everything then. */
    @FunctionalInterface
    interface Kernel {
        void compute(FieldVector[] args, FieldVector out, int rows);
    }

    /**
     * A vector of {@code rows} NULLs of {@code type}, from {@code allocator}, owned by the caller.
     * A string vector written row by row needs {@link #newStringVector} instead.
     */
    static FieldVector newVector(DataType type, BufferAllocator allocator, int rows) {
        FieldVector vector = ColumnTypes.toArrowField("", type).createVector(allocator);
        try {
            vector.setInitialCapacity(rows);
            vector.allocateNew();
            vector.setValueCount(rows);
        } catch (RuntimeException | Error e) {
            vector.close();
            throw e;
        }
        return vector;
    }

    /**
     * An empty string vector for {@code rows} values and about {@code bytes} bytes, owned by the
     * caller. Write rows in increasing order (a skipped row is NULL), with {@code setSafe}, and
     * finish with {@code setValueCount(rows)}.
     */
    static VarCharVector newStringVector(BufferAllocator allocator, int rows, long bytes) {
        VarCharVector vector = new VarCharVector("", allocator);
        try {
            vector.allocateNew(Math.max(bytes, 1), Math.max(rows, 1));
        } catch (RuntimeException | Error e) {
            vector.close();
            throw e;
        }
        return vector;
    }

    /** Evaluates every argument; on a failure closes what was evaluated. The vectors are the caller's. */
    static FieldVector[] evaluateAll(List<VectorExpr> args, VectorSchemaRoot batch, BufferAllocator allocator) {
        FieldVector[] values = new FieldVector[args.size()];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = args.get(i).evaluate(batch, allocator);
            }
        } catch (RuntimeException | Error e) {
            closeAll(values);
            throw e;
        }
        return values;
    }

    /**
     * Evaluates the arguments, allocates a result of {@code type} (NULL in every row) and runs
     * {@code kernel} over them. The argument vectors are freed before returning; the result is
     * the caller's, and is freed too when the kernel throws.
     */
    static FieldVector compute(List<VectorExpr> args, DataType type, VectorSchemaRoot batch, BufferAllocator allocator, Kernel kernel) {
        FieldVector[] values = evaluateAll(args, batch, allocator);
        try {
            int rows = batch.getRowCount();
            FieldVector out = type.getKind() == TypeKind.STRING
                    ? newStringVector(allocator, rows, estimatedBytes(values, rows)) : newVector(type, allocator, rows);
            try {
                kernel.compute(values, out, rows);
                if (out instanceof VarCharVector strings) {
                    strings.setValueCount(rows);
                }
                return out;
            } catch (RuntimeException | Error e) {
                out.close();
                throw e;
            }
        } finally {
            closeAll(values);
        }
    }

    /** A first guess for a string result's size: the bytes of the string arguments. */
    private static long estimatedBytes(FieldVector[] values, int rows) {
        long bytes = 0;
        for (FieldVector value : values) {
            if (value instanceof VarCharVector strings && rows > 0) {
                bytes += strings.getEndOffset(rows - 1) - strings.getStartOffset(0);
            }
        }
        return bytes == 0 ? 8L * rows : bytes;
    }

    static void closeAll(FieldVector... vectors) {
        for (FieldVector vector : vectors) {
            if (vector != null) {
                vector.close();
            }
        }
    }

    /** Integer-like values (int32, int64, date days, timestamp microseconds) as longs. */
    static LongReader longs(FieldVector vector) {
        return switch (vector) {
            case IntVector ints -> row -> ints.get(row);
            case BigIntVector longs -> row -> longs.get(row);
            case DateDayVector days -> row -> days.get(row);
            case TimeStampMicroVector micros -> row -> micros.get(row);
            default -> throw new IllegalStateException("not an integer vector: " + vector.getField());
        };
    }

    /** A growing byte array that string kernels copy a row's bytes into; one per evaluation, not shared. */
    static final class ByteScratch {
        private byte[] array = new byte[64];
        private int length;

        /** Copies row {@code row} of {@code strings} (not NULL) into {@link #array}; its size is {@link #length}. */
        byte[] load(VarCharVector strings, int row) {
            int start = strings.getStartOffset(row);
            length = strings.getEndOffset(row) - start;
            strings.getDataBuffer().getBytes(start, ensure(length), 0, length);
            return array;
        }

        /** The array, grown to hold at least {@code capacity} bytes (its content is kept). */
        byte[] ensure(int capacity) {
            if (capacity > array.length) {
                array = Arrays.copyOf(array, Math.max(capacity, array.length * 2));
            }
            return array;
        }

        /** The byte length of row {@code row} of {@code strings}. */
        static int length(VarCharVector strings, int row) {
            return strings.getEndOffset(row) - strings.getStartOffset(row);
        }

        byte[] array() {
            return array;
        }

        int length() {
            return length;
        }
    }

    /** The error for a value that cannot be computed, naming the executor. */
    static MppException dataError(String executorId, String problem) {
        return new MppException(ErrorCode.DATA_ERROR, "executor '" + executorId + "': " + problem);
    }
}
