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
 * {@code substring(s, start [, length])}, counting characters (code points), with DuckDB's
 * semantics, which are the SQL standard's for a start of 1 or more and for 0: characters are
 * numbered from 1, a start of 0 is the position just before the first character (so
 * {@code substring('hello', 0, 2)} is {@code 'h'}), and a negative start counts from the end
 * ({@code substring('hello', -2)} is {@code 'lo'}). A negative length takes the characters
 * before the start instead of after it ({@code substring('hello', 4, -2)} is {@code 'el'}).
 * Whatever falls outside the string is dropped, so the result may be empty; no argument value is
 * an error (DuckDB refuses lengths beyond 2^32). NULL when any argument is.
 */
record SubstringExpr(List<VectorExpr> args) implements VectorExpr {
    SubstringExpr {
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
            VarCharVector strings = (VarCharVector) values[0];
            FieldVector starts = values[1];
            FieldVector lengths = values.length > 2 ? values[2] : null;
            Vectors.LongReader start = Vectors.longs(starts);
            Vectors.LongReader length = lengths == null ? row -> Long.MAX_VALUE : Vectors.longs(lengths);
            VarCharVector result = (VarCharVector) out;
            Vectors.ByteScratch scratch = new Vectors.ByteScratch();
            for (int row = 0; row < rows; row++) {
                if (strings.isNull(row) || starts.isNull(row) || lengths != null && lengths.isNull(row)) {
                    continue;
                }
                byte[] bytes = scratch.load(strings, row);
                int size = scratch.length();
                int characters = countCharacters(bytes, size);
                // Character positions, 0-based, as [from, to) before clamping to the string.
                long offset = start.get(row);
                long from = offset > 0 ? offset - 1 : offset < 0 ? characters + offset : -1;
                long count = length.get(row);
                long to;
                if (count >= 0) {
                    to = saturatedAdd(from, count);
                } else {
                    to = from;
                    from = saturatedAdd(from, count);
                }
                from = Math.clamp(from, 0, characters);
                to = Math.clamp(to, 0, characters);
                if (from >= to) {
                    result.setSafe(row, bytes, 0, 0);
                    continue;
                }
                int fromByte = characters == size ? (int) from : byteOffset(bytes, 0, 0, (int) from);
                int toByte = characters == size ? (int) to : byteOffset(bytes, fromByte, (int) from, (int) to);
                result.setSafe(row, bytes, fromByte, toByte - fromByte);
            }
        });
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
    }

    /** Code points in UTF-8: every byte that is not a continuation byte starts one. */
    static int countCharacters(byte[] bytes, int size) {
        int characters = 0;
        for (int i = 0; i < size; i++) {
            if ((bytes[i] & 0xC0) != 0x80) {
                characters++;
            }
        }
        return characters;
    }

    /** The byte offset of character {@code target}, walking from byte {@code at}, the start of character {@code character}. */
    private static int byteOffset(byte[] bytes, int at, int character, int target) {
        while (character < target) {
            at += LikePattern.characterLength(bytes[at]);
            character++;
        }
        return at;
    }
}
