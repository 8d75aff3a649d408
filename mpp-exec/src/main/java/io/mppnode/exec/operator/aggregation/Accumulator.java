package io.mppnode.exec.operator.aggregation;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.hash.GroupByHash;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * The per-group state of one aggregate function, in arrays indexed by group id. The operator
 * grows every accumulator's arrays together ({@link #resize}) and accounts them; an
 * accumulator accounts whatever else it holds (strings, distinct sets) itself. Each
 * implementation reads its argument vectors with one loop per batch and type.
 */
abstract class Accumulator implements AutoCloseable {
    final String executorId;

    Accumulator(String executorId) {
        this.executorId = executorId;
    }

    /** Heap bytes per group of the arrays {@link #resize} grows. */
    abstract int bytesPerGroup();

    /** Grows the arrays to hold {@code capacity} groups; new groups start empty. */
    abstract void resize(int capacity);

    /** Adds rows {@code [0, rows)}: row i belongs to group {@code groups[i]}. */
    abstract void add(int[] groups, int rows, FieldVector[] args);

    /**
     * Writes groups {@code [from, from + count)} into rows {@code [0, count)} of
     * {@code outputs} (one per output column, allocated for {@code count} rows, all NULL).
     */
    abstract void write(int from, int count, FieldVector[] outputs);

    @Override
    public void close() {}

    MppException overflow(String what, DataType type) {
        return new MppException(ErrorCode.DATA_ERROR, "executor '" + executorId + "': " + what + " overflows "
                + ColumnTypes.describe(type));
    }

    static Accumulator create(String executorId, BoundAggregate aggregate, HeapMemory heap, BufferAllocator allocator) {
        List<DataType> argTypes = aggregate.args().stream().map(arg -> arg.type()).toList();
        DataType output = aggregate.outputs().getFirst().type();
        AggregationMode mode = aggregate.mode();
        return switch (aggregate.kind()) {
            case COUNT -> new Count(executorId, argTypes.isEmpty(), mode == AggregationMode.FINAL);
            case COUNT_DISTINCT -> new CountDistinct(executorId, argTypes, allocator);
            case SUM -> sum(executorId, output);
            case AVG -> new Average(executorId, sum(executorId, mode == AggregationMode.PARTIAL ? output
                    : Aggregations.avgSumType("", argTypes.getFirst())), mode, output);
            case MIN, MAX -> minMax(executorId, output, aggregate.kind() == io.mppnode.proto.plan.AggregateKind.MAX, heap);
            default -> throw new IllegalStateException("not a bound aggregate: " + aggregate.kind());
        };
    }

    private static Accumulator sum(String executorId, DataType sumType) {
        return switch (sumType.getKind()) {
            case INT64 -> new LongSum(executorId, sumType);
            case FLOAT64 -> new DoubleSum(executorId);
            case DECIMAL -> new DecimalSum(executorId, sumType);
            default -> throw new IllegalStateException("no sum in " + sumType);
        };
    }

    private static Accumulator minMax(String executorId, DataType type, boolean max, HeapMemory heap) {
        return switch (type.getKind()) {
            case BOOLEAN, INT32, INT64, DATE, TIMESTAMP -> new LongMinMax(executorId, type, max);
            case FLOAT64 -> new DoubleMinMax(executorId, max);
            case DECIMAL -> new DecimalMinMax(executorId, max);
            case STRING -> new StringMinMax(executorId, max, heap);
            default -> throw new IllegalStateException("no min/max of " + type);
        };
    }

    /** A value as a long: INT32, INT64, DATE, TIMESTAMP (BOOLEAN as 0/1). */
    static long longAt(FieldVector vector, ArrowBuf data, int width, int row) {
        return switch (width) {
            case 4 -> data.getInt((long) row << 2);
            case 8 -> data.getLong((long) row << 3);
            default -> ((BitVector) vector).get(row);
        };
    }

    static int widthOf(FieldVector vector) {
        return switch (vector) {
            case IntVector ignored -> 4;
            case DateDayVector ignored -> 4;
            case BigIntVector ignored -> 8;
            case TimeStampMicroVector ignored -> 8;
            case BitVector ignored -> 1;
            default -> throw new IllegalStateException("not an integer vector: " + vector.getField());
        };
    }

    // ----- count -----

    /** count(*), count(x), and in FINAL mode the sum of partial counts; 0 when nothing was counted. */
    static final class Count extends Accumulator {
        private final boolean rows;
        private final boolean merge;
        private long[] counts = new long[0];

        Count(String executorId, boolean rows, boolean merge) {
            super(executorId);
            this.rows = rows;
            this.merge = merge;
        }

        @Override
        int bytesPerGroup() {
            return Long.BYTES;
        }

        @Override
        void resize(int capacity) {
            counts = Arrays.copyOf(counts, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            long[] counts = this.counts;
            if (this.rows) {
                for (int i = 0; i < rows; i++) {
                    counts[groups[i]]++;
                }
                return;
            }
            FieldVector arg = args[0];
            if (merge) {
                BigIntVector partial = (BigIntVector) arg;
                for (int i = 0; i < rows; i++) {
                    if (!partial.isNull(i)) {
                        counts[groups[i]] += partial.get(i);
                    }
                }
            } else if (arg.getNullCount() == 0) {
                for (int i = 0; i < rows; i++) {
                    counts[groups[i]]++;
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    if (!arg.isNull(i)) {
                        counts[groups[i]]++;
                    }
                }
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            BigIntVector out = (BigIntVector) outputs[0];
            for (int i = 0; i < count; i++) {
                out.set(i, counts[from + i]);
            }
        }
    }

    /** count_distinct(x, ...): a set of (group, values) pairs; a pair seen for the first time counts, unless a value is NULL. */
    static final class CountDistinct extends Accumulator {
        private final GroupByHash pairs;
        private final BufferAllocator allocator;
        private long[] counts = new long[0];
        private int[] pairIds = new int[0];

        CountDistinct(String executorId, List<DataType> argTypes, BufferAllocator allocator) {
            super(executorId);
            List<DataType> keyTypes = new ArrayList<>();
            keyTypes.add(ColumnTypes.of(TypeKind.INT32));
            keyTypes.addAll(argTypes);
            this.pairs = new GroupByHash(keyTypes, allocator);
            this.allocator = allocator;
        }

        @Override
        int bytesPerGroup() {
            return Long.BYTES;
        }

        @Override
        void resize(int capacity) {
            counts = Arrays.copyOf(counts, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            try (IntVector groupIds = new IntVector("group", allocator)) {
                groupIds.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    groupIds.set(i, groups[i]);
                }
                groupIds.setValueCount(rows);
                FieldVector[] keys = new FieldVector[args.length + 1];
                keys[0] = groupIds;
                System.arraycopy(args, 0, keys, 1, args.length);
                if (pairIds.length < rows) {
                    pairIds = new int[rows];
                }
                int next = pairs.groupCount();
                pairs.putAll(keys, rows, pairIds);
                for (int i = 0; i < rows; i++) {
                    if (pairIds[i] == next) {
                        next++;
                        if (!anyNull(args, i)) {
                            counts[groups[i]]++;
                        }
                    }
                }
            }
        }

        private static boolean anyNull(FieldVector[] args, int row) {
            for (FieldVector arg : args) {
                if (arg.isNull(row)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            BigIntVector out = (BigIntVector) outputs[0];
            for (int i = 0; i < count; i++) {
                out.set(i, counts[from + i]);
            }
        }

        @Override
        public void close() {
            pairs.close();
        }
    }

    // ----- sums -----

    /** sum of INT32/INT64 into INT64; overflow is an error. */
    static final class LongSum extends Accumulator {
        private final DataType type;
        private long[] sums = new long[0];
        private boolean[] seen = new boolean[0];

        LongSum(String executorId, DataType type) {
            super(executorId);
            this.type = type;
        }

        @Override
        int bytesPerGroup() {
            return Long.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            sums = Arrays.copyOf(sums, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            FieldVector arg = args[0];
            ArrowBuf data = arg.getDataBuffer();
            int width = widthOf(arg);
            boolean nulls = arg.getNullCount() > 0;
            long[] sums = this.sums;
            try {
                for (int i = 0; i < rows; i++) {
                    if (nulls && arg.isNull(i)) {
                        continue;
                    }
                    int group = groups[i];
                    sums[group] = Math.addExact(sums[group], width == 4 ? data.getInt((long) i << 2) : data.getLong((long) i << 3));
                    seen[group] = true;
                }
            } catch (ArithmeticException e) {
                throw overflow("sum", type);
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            BigIntVector out = (BigIntVector) outputs[0];
            for (int i = 0; i < count; i++) {
                if (seen[from + i]) {
                    out.set(i, sums[from + i]);
                }
            }
        }

        long sum(int group) {
            return sums[group];
        }
    }

    static final class DoubleSum extends Accumulator {
        private double[] sums = new double[0];
        private boolean[] seen = new boolean[0];

        DoubleSum(String executorId) {
            super(executorId);
        }

        @Override
        int bytesPerGroup() {
            return Double.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            sums = Arrays.copyOf(sums, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            Float8Vector arg = (Float8Vector) args[0];
            ArrowBuf data = arg.getDataBuffer();
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                int group = groups[i];
                sums[group] += data.getDouble((long) i << 3);
                seen[group] = true;
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            Float8Vector out = (Float8Vector) outputs[0];
            for (int i = 0; i < count; i++) {
                if (seen[from + i]) {
                    out.set(i, sums[from + i]);
                }
            }
        }

        boolean seen(int group) {
            return seen[group];
        }

        double sum(int group) {
            return sums[group];
        }
    }

    /** Exact sums of decimals (or integers, as scale 0) in 128 bits, written as decimal(38, s); beyond 38 digits is an error. */
    static final class DecimalSum extends Accumulator {
        private final DataType type;
        private long[] highs = new long[0];
        private long[] lows = new long[0];
        private boolean[] seen = new boolean[0];

        DecimalSum(String executorId, DataType type) {
            super(executorId);
            this.type = type;
        }

        @Override
        int bytesPerGroup() {
            return 2 * Long.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            highs = Arrays.copyOf(highs, capacity);
            lows = Arrays.copyOf(lows, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            FieldVector arg = args[0];
            ArrowBuf data = arg.getDataBuffer();
            boolean nulls = arg.getNullCount() > 0;
            int width = arg instanceof DecimalVector ? 16 : widthOf(arg);
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                long low;
                long high;
                if (width == 16) {
                    low = Int128.low(data, i);
                    high = Int128.high(data, i);
                } else {
                    low = width == 4 ? data.getInt((long) i << 2) : data.getLong((long) i << 3);
                    high = low >> 63;
                }
                int group = groups[i];
                long sumLow = lows[group] + low;
                long carry = Long.compareUnsigned(sumLow, low) < 0 ? 1 : 0;
                long oldHigh = highs[group];
                long sumHigh = oldHigh + high + carry;
                // Signed overflow of the 128-bit sum: both operands of one sign, the result of the other.
                if (((oldHigh ^ sumHigh) & (high ^ sumHigh)) < 0) {
                    throw overflow("sum", type);
                }
                lows[group] = sumLow;
                highs[group] = sumHigh;
                seen[group] = true;
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            DecimalVector out = (DecimalVector) outputs[0];
            for (int i = 0; i < count; i++) {
                int group = from + i;
                if (seen[group]) {
                    if (!Int128.fitsDecimal38(highs[group], lows[group])) {
                        throw overflow("sum", type);
                    }
                    Int128.write(out, i, highs[group], lows[group]);
                }
            }
        }

        boolean seen(int group) {
            return seen[group];
        }

        BigDecimal sum(int group) {
            return Int128.toBigDecimal(highs[group], lows[group], type.getScale());
        }
    }

    /** avg: a sum and a count; PARTIAL writes both, COMPLETE and FINAL their quotient. */
    static final class Average extends Accumulator {
        private final Accumulator sum;
        private final AggregationMode mode;
        private final DataType output;
        private long[] counts = new long[0];

        Average(String executorId, Accumulator sum, AggregationMode mode, DataType output) {
            super(executorId);
            this.sum = sum;
            this.mode = mode;
            this.output = output;
        }

        @Override
        int bytesPerGroup() {
            return sum.bytesPerGroup() + Long.BYTES;
        }

        @Override
        void resize(int capacity) {
            sum.resize(capacity);
            counts = Arrays.copyOf(counts, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            sum.add(groups, rows, args);
            if (mode == AggregationMode.FINAL) {
                BigIntVector partial = (BigIntVector) args[1];
                for (int i = 0; i < rows; i++) {
                    if (!partial.isNull(i)) {
                        counts[groups[i]] += partial.get(i);
                    }
                }
                return;
            }
            FieldVector arg = args[0];
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (!nulls || !arg.isNull(i)) {
                    counts[groups[i]]++;
                }
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            if (mode == AggregationMode.PARTIAL) {
                sum.write(from, count, new FieldVector[] {outputs[0]});
                BigIntVector out = (BigIntVector) outputs[1];
                for (int i = 0; i < count; i++) {
                    out.set(i, counts[from + i]);
                }
                return;
            }
            for (int i = 0; i < count; i++) {
                int group = from + i;
                long n = counts[group];
                if (n == 0) {
                    continue;
                }
                switch (sum) {
                    case DoubleSum doubles -> ((Float8Vector) outputs[0]).set(i, doubles.sum(group) / n);
                    case DecimalSum decimals -> {
                        BigDecimal average = decimals.sum(group).divide(BigDecimal.valueOf(n), output.getScale(), RoundingMode.HALF_UP);
                        if (average.precision() > output.getPrecision()) {
                            throw overflow("avg", output);
                        }
                        ((DecimalVector) outputs[0]).set(i, average);
                    }
                    default -> throw new IllegalStateException("no average over " + sum);
                }
            }
        }
    }

    // ----- min and max -----

    static final class LongMinMax extends Accumulator {
        private final DataType type;
        private final boolean max;
        private long[] values = new long[0];
        private boolean[] seen = new boolean[0];

        LongMinMax(String executorId, DataType type, boolean max) {
            super(executorId);
            this.type = type;
            this.max = max;
        }

        @Override
        int bytesPerGroup() {
            return Long.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            values = Arrays.copyOf(values, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            FieldVector arg = args[0];
            ArrowBuf data = arg.getDataBuffer();
            int width = widthOf(arg);
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                long value = longAt(arg, data, width, i);
                int group = groups[i];
                if (!seen[group] || (max ? value > values[group] : value < values[group])) {
                    values[group] = value;
                    seen[group] = true;
                }
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            FieldVector out = outputs[0];
            for (int i = 0; i < count; i++) {
                int group = from + i;
                if (!seen[group]) {
                    continue;
                }
                long value = values[group];
                switch (type.getKind()) {
                    case BOOLEAN -> ((BitVector) out).set(i, (int) value);
                    case INT32 -> ((IntVector) out).set(i, (int) value);
                    case DATE -> ((DateDayVector) out).set(i, (int) value);
                    case INT64 -> ((BigIntVector) out).set(i, value);
                    case TIMESTAMP -> ((TimeStampMicroVector) out).set(i, value);
                    default -> throw new IllegalStateException("not a long type: " + type);
                }
            }
        }
    }

    /** min/max of FLOAT64 in Double.compare's order: NaN above every number. */
    static final class DoubleMinMax extends Accumulator {
        private final boolean max;
        private double[] values = new double[0];
        private boolean[] seen = new boolean[0];

        DoubleMinMax(String executorId, boolean max) {
            super(executorId);
            this.max = max;
        }

        @Override
        int bytesPerGroup() {
            return Double.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            values = Arrays.copyOf(values, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            Float8Vector arg = (Float8Vector) args[0];
            ArrowBuf data = arg.getDataBuffer();
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                double value = data.getDouble((long) i << 3);
                int group = groups[i];
                if (!seen[group]) {
                    values[group] = value;
                    seen[group] = true;
                } else {
                    int order = Double.compare(value, values[group]);
                    if (max ? order > 0 : order < 0) {
                        values[group] = value;
                    }
                }
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            Float8Vector out = (Float8Vector) outputs[0];
            for (int i = 0; i < count; i++) {
                if (seen[from + i]) {
                    out.set(i, values[from + i]);
                }
            }
        }
    }

    static final class DecimalMinMax extends Accumulator {
        private final boolean max;
        private long[] highs = new long[0];
        private long[] lows = new long[0];
        private boolean[] seen = new boolean[0];

        DecimalMinMax(String executorId, boolean max) {
            super(executorId);
            this.max = max;
        }

        @Override
        int bytesPerGroup() {
            return 2 * Long.BYTES + 1;
        }

        @Override
        void resize(int capacity) {
            highs = Arrays.copyOf(highs, capacity);
            lows = Arrays.copyOf(lows, capacity);
            seen = Arrays.copyOf(seen, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            DecimalVector arg = (DecimalVector) args[0];
            ArrowBuf data = arg.getDataBuffer();
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                long low = Int128.low(data, i);
                long high = Int128.high(data, i);
                int group = groups[i];
                int order = seen[group] ? Int128.compare(high, low, highs[group], lows[group]) : 0;
                if (!seen[group] || (max ? order > 0 : order < 0)) {
                    highs[group] = high;
                    lows[group] = low;
                    seen[group] = true;
                }
            }
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            DecimalVector out = (DecimalVector) outputs[0];
            for (int i = 0; i < count; i++) {
                int group = from + i;
                if (seen[group]) {
                    Int128.write(out, i, highs[group], lows[group]);
                }
            }
        }
    }

    /** min/max of strings by their UTF-8 bytes; the values live on the heap, accounted as they change. */
    static final class StringMinMax extends Accumulator {
        private static final int ARRAY_OVERHEAD = 16;
        private final boolean max;
        private final HeapMemory heap;
        private byte[][] values = new byte[0][];

        StringMinMax(String executorId, boolean max, HeapMemory heap) {
            super(executorId);
            this.max = max;
            this.heap = heap;
        }

        @Override
        int bytesPerGroup() {
            return 8;
        }

        @Override
        void resize(int capacity) {
            values = Arrays.copyOf(values, capacity);
        }

        @Override
        void add(int[] groups, int rows, FieldVector[] args) {
            VarCharVector arg = (VarCharVector) args[0];
            ArrowBuf offsets = arg.getOffsetBuffer();
            ArrowBuf data = arg.getDataBuffer();
            boolean nulls = arg.getNullCount() > 0;
            for (int i = 0; i < rows; i++) {
                if (nulls && arg.isNull(i)) {
                    continue;
                }
                int start = offsets.getInt((long) i << 2);
                int end = offsets.getInt((long) (i + 1) << 2);
                int group = groups[i];
                byte[] current = values[group];
                if (current == null || better(data, start, end, current)) {
                    byte[] value = new byte[end - start];
                    heap.reserve(value.length + ARRAY_OVERHEAD);
                    data.getBytes(start, value);
                    if (current != null) {
                        heap.release(current.length + ARRAY_OVERHEAD);
                    }
                    values[group] = value;
                }
            }
        }

        private boolean better(ArrowBuf data, int start, int end, byte[] current) {
            int length = end - start;
            int common = Math.min(length, current.length);
            int order = 0;
            for (int k = 0; k < common && order == 0; k++) {
                order = Integer.compare(data.getByte(start + k) & 0xff, current[k] & 0xff);
            }
            if (order == 0) {
                order = Integer.compare(length, current.length);
            }
            return max ? order > 0 : order < 0;
        }

        @Override
        void write(int from, int count, FieldVector[] outputs) {
            VarCharVector out = (VarCharVector) outputs[0];
            for (int i = 0; i < count; i++) {
                byte[] value = values[from + i];
                if (value != null) {
                    out.setSafe(i, value);
                }
            }
        }
    }
}
