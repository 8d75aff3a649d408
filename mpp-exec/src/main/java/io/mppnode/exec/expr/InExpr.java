package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code in(x, v1, ...)}: true when x equals some v (compared as {@link RowOrder} compares the
 * pair), NULL when x is NULL or when no v matches and some v is NULL, else false. When every v
 * is a literal of one comparison domain with x (the usual case), the literals become a sorted
 * set once, at compile time, and each row is one binary search; otherwise every v is evaluated
 * and compared with x, one loop per v.
 */
final class InExpr implements VectorExpr {
    /** A row's state while the candidates are compared one by one (no match yet is 0). */
    private static final byte SAW_NULL = 1;
    private static final byte MATCHED = 2;

    private final VectorExpr value;
    private final List<VectorExpr> candidates;
    /** The literals as a set, or null when some candidate is not a literal. */
    private final ConstantSet constants;

    private InExpr(VectorExpr value, List<VectorExpr> candidates, ConstantSet constants) {
        this.value = requireNonNull(value, "value is null");
        this.candidates = List.copyOf(candidates);
        this.constants = constants;
    }

    /** @param args the compiled arguments of {@code call}, x first */
    static InExpr of(BoundExpr.Call call, List<VectorExpr> args) {
        VectorExpr value = args.getFirst();
        List<BoundExpr> bound = call.args().subList(1, call.args().size());
        return new InExpr(value, args.subList(1, args.size()), ConstantSet.of(value.type(), bound));
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.BOOLEAN);
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        if (constants != null) {
            return Vectors.compute(List.of(value), type(), batch, allocator,
                    (values, out, rows) -> constants.probe(values[0], (BitVector) out, rows));
        }
        List<VectorExpr> all = new ArrayList<>(candidates.size() + 1);
        all.add(value);
        all.addAll(candidates);
        return Vectors.compute(all, type(), batch, allocator, (values, out, rows) -> compareEach(values, (BitVector) out, rows));
    }

    private void compareEach(FieldVector[] values, BitVector out, int rows) {
        FieldVector x = values[0];
        byte[] state = new byte[rows];
        for (int i = 0; i < candidates.size(); i++) {
            FieldVector candidate = values[i + 1];
            RowOrder order = RowOrder.of(x, value.type(), candidate, candidates.get(i).type());
            for (int row = 0; row < rows; row++) {
                if (state[row] == MATCHED || x.isNull(row)) {
                    continue;
                }
                if (candidate.isNull(row)) {
                    state[row] = SAW_NULL;
                } else if (order.compare(row) == 0) {
                    state[row] = MATCHED;
                }
            }
        }
        for (int row = 0; row < rows; row++) {
            if (!x.isNull(row) && state[row] != SAW_NULL) {
                out.set(row, state[row] == MATCHED ? 1 : 0);
            }
        }
    }

    /** Literal candidates as a sorted set in x's comparison domain. */
    private abstract static class ConstantSet {
        /** Whether some literal is NULL (then a row that matches nothing is NULL, not false). */
        private final boolean anyNull;

        ConstantSet(boolean anyNull) {
            this.anyNull = anyNull;
        }

        /** The set for these candidates, or null when one is not a literal or they span several domains. */
        static ConstantSet of(DataType valueType, List<BoundExpr> candidates) {
            RowOrder.Domain domain = null;
            boolean dates = valueType.getKind() == TypeKind.DATE;
            boolean timestamps = valueType.getKind() == TypeKind.TIMESTAMP;
            for (BoundExpr candidate : candidates) {
                if (!(candidate instanceof BoundExpr.Constant)) {
                    return null;
                }
                RowOrder.Domain pairDomain = RowOrder.domain(valueType, candidate.type());
                if (domain != null && domain != pairDomain) {
                    return null;
                }
                domain = pairDomain;
                dates |= candidate.type().getKind() == TypeKind.DATE;
                timestamps |= candidate.type().getKind() == TypeKind.TIMESTAMP;
            }
            List<Object> literals = new ArrayList<>();
            boolean anyNull = false;
            for (BoundExpr candidate : candidates) {
                BoundExpr.Constant constant = (BoundExpr.Constant) candidate;
                if (constant.isNull()) {
                    anyNull = true;
                } else {
                    literals.add(constant.value());
                }
            }
            return switch (domain) {
                case LONG -> new LongSet(literals, anyNull, dates && timestamps);
                case DOUBLE -> new DoubleSet(literals, anyNull);
                case DECIMAL -> new DecimalSet(literals, anyNull, valueType.getKind() == TypeKind.DECIMAL ? valueType.getScale() : 0);
                case BYTES -> new BytesSet(literals, anyNull);
            };
        }

        /** Whether row {@code row} of {@code values} (not NULL) is in the set; the reader is chosen per batch by {@link #prepare}. */
        abstract Probe prepare(FieldVector values);

        @FunctionalInterface
        interface Probe {
            boolean contains(int row);
        }

        final void probe(FieldVector values, BitVector out, int rows) {
            Probe probe = prepare(values);
            for (int row = 0; row < rows; row++) {
                if (values.isNull(row)) {
                    continue;
                }
                if (probe.contains(row)) {
                    out.set(row, 1);
                } else if (!anyNull) {
                    out.set(row, 0);
                }
            }
        }
    }

    /** Integers, booleans, dates and timestamps; dates as their midnight when timestamps are in the comparison too. */
    private static final class LongSet extends ConstantSet {
        private final long[] keys;
        private final boolean datesAsMicros;

        LongSet(List<Object> literals, boolean anyNull, boolean datesAsMicros) {
            super(anyNull);
            this.datesAsMicros = datesAsMicros;
            this.keys = literals.stream().mapToLong(literal -> switch (literal) {
                case Boolean bool -> bool ? 1 : 0;
                case Integer days when datesAsMicros -> RowOrder.midnight(days); // only dates are Integers with timestamps around
                case Integer number -> number;
                case Long number -> number;
                default -> throw new IllegalStateException("not an integer-like literal: " + literal);
            }).sorted().distinct().toArray();
        }

        @Override
        Probe prepare(FieldVector values) {
            Vectors.LongReader reader = RowOrder.longs(values, datesAsMicros);
            return row -> Arrays.binarySearch(keys, reader.get(row)) >= 0;
        }
    }

    private static final class DoubleSet extends ConstantSet {
        private final double[] keys;

        DoubleSet(List<Object> literals, boolean anyNull) {
            super(anyNull);
            // + 0.0 turns -0.0 into 0.0, so the two meet; Arrays' search takes NaN as equal to NaN.
            this.keys = literals.stream().mapToDouble(literal -> ((Number) literal).doubleValue() + 0.0).sorted().distinct().toArray();
        }

        @Override
        Probe prepare(FieldVector values) {
            RowOrder.DoubleReader reader = RowOrder.doubles(values);
            return row -> Arrays.binarySearch(keys, reader.get(row) + 0.0) >= 0;
        }
    }

    /** Exact numbers, as unscaled values at x's scale; a literal with more decimals than x has can never match. */
    private static final class DecimalSet extends ConstantSet {
        private final long[] keys;
        private final Set<BigInteger> wideKeys = new HashSet<>();

        DecimalSet(List<Object> literals, boolean anyNull, int scale) {
            super(anyNull);
            List<Long> narrow = new ArrayList<>();
            for (Object literal : literals) {
                BigDecimal number = switch (literal) {
                    case BigDecimal decimal -> decimal;
                    case Integer integer -> BigDecimal.valueOf(integer);
                    case Long integer -> BigDecimal.valueOf(integer);
                    default -> throw new IllegalStateException("not an exact literal: " + literal);
                };
                BigInteger unscaled;
                try {
                    unscaled = number.setScale(scale, RoundingMode.UNNECESSARY).unscaledValue();
                } catch (ArithmeticException e) {
                    continue;
                }
                if (unscaled.bitLength() <= 63) {
                    narrow.add(unscaled.longValue());
                } else {
                    wideKeys.add(unscaled);
                }
            }
            this.keys = narrow.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        }

        @Override
        Probe prepare(FieldVector values) {
            if (!(values instanceof DecimalVector decimals)) {
                Vectors.LongReader reader = Vectors.longs(values);
                return row -> Arrays.binarySearch(keys, reader.get(row)) >= 0;
            }
            ArrowBuf data = decimals.getDataBuffer();
            return row -> {
                long low = Decimal128.low(data, row);
                long high = Decimal128.high(data, row);
                return Decimal128.isLong(low, high) ? Arrays.binarySearch(keys, low) >= 0
                        : wideKeys.contains(Decimal128.toBigInteger(low, high));
            };
        }
    }

    /** Strings by their UTF-8 bytes. */
    private static final class BytesSet extends ConstantSet {
        private final byte[][] keys;

        BytesSet(List<Object> literals, boolean anyNull) {
            super(anyNull);
            this.keys = literals.stream().map(literal -> ((String) literal).getBytes(StandardCharsets.UTF_8))
                    .sorted(Arrays::compareUnsigned).toArray(byte[][]::new);
        }

        @Override
        Probe prepare(FieldVector values) {
            VarCharVector strings = (VarCharVector) values;
            Vectors.ByteScratch scratch = new Vectors.ByteScratch();
            return row -> {
                byte[] bytes = scratch.load(strings, row);
                int length = scratch.length();
                int low = 0;
                int high = keys.length - 1;
                while (low <= high) {
                    int middle = (low + high) >>> 1;
                    int order = Arrays.compareUnsigned(keys[middle], 0, keys[middle].length, bytes, 0, length);
                    if (order == 0) {
                        return true;
                    }
                    if (order < 0) {
                        low = middle + 1;
                    } else {
                        high = middle - 1;
                    }
                }
                return false;
            };
        }
    }
}
