package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code like(s, pattern [, escape])} ({@link LikePattern}; the escape defaults to {@code \}, as
 * MySQL's). A literal pattern is compiled once, with the expression; a pattern that comes from
 * the data is compiled per row, reusing the last row's when the text repeats. NULL when s or
 * the pattern is. A literal pattern that ends with its escape is refused at compile time
 * (INVALID_PLAN); such a pattern in the data is a DATA_ERROR.
 */
final class LikeExpr implements VectorExpr {
    private static final int DEFAULT_ESCAPE = '\\';

    private final VectorExpr text;
    private final VectorExpr pattern;
    private final int escape;
    /** The compiled literal pattern; null when the pattern is not a literal, or is NULL ({@link #nullPattern}). */
    private final LikePattern compiled;
    private final boolean nullPattern;
    private final String executorId;

    private LikeExpr(VectorExpr text, VectorExpr pattern, int escape, LikePattern compiled, boolean nullPattern, String executorId) {
        this.text = requireNonNull(text, "text is null");
        this.pattern = requireNonNull(pattern, "pattern is null");
        this.escape = escape;
        this.compiled = compiled;
        this.nullPattern = nullPattern;
        this.executorId = requireNonNull(executorId, "executorId is null");
    }

    /** @param args the compiled arguments of {@code call} */
    static LikeExpr of(BoundExpr.Call call, List<VectorExpr> args, String executorId) {
        int escape = call.args().size() > 2 ? ((String) ((BoundExpr.Constant) call.args().get(2)).value()).codePointAt(0) : DEFAULT_ESCAPE;
        LikePattern compiled = null;
        boolean nullPattern = false;
        if (call.args().get(1) instanceof BoundExpr.Constant literal) {
            nullPattern = literal.isNull();
            if (!nullPattern) {
                try {
                    compiled = LikePattern.compile((String) literal.value(), escape);
                } catch (LikePattern.MalformedPatternException e) {
                    throw new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': like: " + e.getMessage());
                }
            }
        }
        return new LikeExpr(args.get(0), args.get(1), escape, compiled, nullPattern, executorId);
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.BOOLEAN);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        if (nullPattern) {
            return Vectors.newVector(type(), allocator, batch.getRowCount());
        }
        if (compiled != null) {
            return Vectors.compute(List.of(text), type(), batch, allocator, (values, out, rows) -> {
                VarCharVector strings = (VarCharVector) values[0];
                BitVector result = (BitVector) out;
                Vectors.ByteScratch scratch = new Vectors.ByteScratch();
                for (int row = 0; row < rows; row++) {
                    if (!strings.isNull(row)) {
                        result.set(row, compiled.matches(scratch.load(strings, row), scratch.length()) ? 1 : 0);
                    }
                }
            });
        }
        return Vectors.compute(List.of(text, pattern), type(), batch, allocator, (values, out, rows) -> {
            VarCharVector strings = (VarCharVector) values[0];
            VarCharVector patterns = (VarCharVector) values[1];
            BitVector result = (BitVector) out;
            Vectors.ByteScratch scratch = new Vectors.ByteScratch();
            Vectors.ByteScratch patternScratch = new Vectors.ByteScratch();
            byte[] lastPattern = null;
            LikePattern matcher = null;
            for (int row = 0; row < rows; row++) {
                if (strings.isNull(row) || patterns.isNull(row)) {
                    continue;
                }
                byte[] patternBytes = patternScratch.load(patterns, row);
                int patternLength = patternScratch.length();
                if (lastPattern == null || !Arrays.equals(lastPattern, 0, lastPattern.length, patternBytes, 0, patternLength)) {
                    lastPattern = Arrays.copyOf(patternBytes, patternLength);
                    try {
                        matcher = LikePattern.compile(new String(lastPattern, StandardCharsets.UTF_8), escape);
                    } catch (LikePattern.MalformedPatternException e) {
                        throw Vectors.dataError(executorId, "like: " + e.getMessage());
                    }
                }
                result.set(row, matcher.matches(scratch.load(strings, row), scratch.length()) ? 1 : 0);
            }
        });
    }
}
