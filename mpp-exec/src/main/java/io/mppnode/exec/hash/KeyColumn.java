package io.mppnode.exec.hash;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.ByteFunctionHelpers;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;

/**
 * One key column of a {@link GroupByHash}: the distinct values seen so far, stored by group id
 * in an Arrow vector of the key's type, and the equality of an input row with a stored value,
 * specialized per physical layout so the probe loop makes no type switch. Two NULLs are equal
 * (grouping semantics); floats compare by their canonical bits, so -0.0 equals 0.0 and every
 * NaN equals every NaN, matching the partition hash.
 */
abstract sealed class KeyColumn implements AutoCloseable {
    final FieldVector store;

    KeyColumn(FieldVector store) {
        this.store = store;
    }

    static KeyColumn create(DataType type, BufferAllocator allocator) {
        FieldVector store = ColumnTypes.toArrowField("key", type).createVector(allocator);
        try {
            store.allocateNew();
            return switch (type.getKind()) {
                case BOOLEAN -> new Bits(store);
                case INT32, DATE -> new Fixed4(store);
                case INT64, TIMESTAMP -> new Fixed8(store);
                case FLOAT64 -> new Float8(store);
                case DECIMAL -> new Fixed16(store);
                case STRING -> new Variable(store);
                default -> throw new IllegalArgumentException("no key column for " + type.getKind());
            };
        } catch (RuntimeException | Error e) {
            store.close();
            throw e;
        }
    }

    /** Whether row {@code row} of {@code input} equals the value of group {@code group}. */
    final boolean matches(FieldVector input, int row, int group) {
        boolean inputNull = input.isNull(row);
        boolean storedNull = store.isNull(group);
        if (inputNull || storedNull) {
            return inputNull && storedNull;
        }
        return valueEquals(input, row, group);
    }

    abstract boolean valueEquals(FieldVector input, int row, int group);

    /** Stores row {@code row} of {@code input} as the value of the next group, {@code group}. */
    final void append(FieldVector input, int row, int group) {
        store.copyFromSafe(row, group, input);
    }

    @Override
    public void close() {
        store.close();
    }

    static final class Bits extends KeyColumn {
        Bits(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            return ((BitVector) input).get(row) == ((BitVector) store).get(group);
        }
    }

    static final class Fixed4 extends KeyColumn {
        Fixed4(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            return input.getDataBuffer().getInt((long) row << 2) == store.getDataBuffer().getInt((long) group << 2);
        }
    }

    static final class Fixed8 extends KeyColumn {
        Fixed8(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            return input.getDataBuffer().getLong((long) row << 3) == store.getDataBuffer().getLong((long) group << 3);
        }
    }

    static final class Float8 extends KeyColumn {
        Float8(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            return canonicalBits(input.getDataBuffer().getDouble((long) row << 3))
                    == canonicalBits(store.getDataBuffer().getDouble((long) group << 3));
        }

        private static long canonicalBits(double value) {
            return value == 0.0 ? 0L : Double.doubleToLongBits(value); // doubleToLongBits folds every NaN
        }
    }

    static final class Fixed16 extends KeyColumn {
        Fixed16(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            ArrowBuf in = input.getDataBuffer();
            ArrowBuf stored = store.getDataBuffer();
            long a = (long) row << 4;
            long b = (long) group << 4;
            return in.getLong(a) == stored.getLong(b) && in.getLong(a + 8) == stored.getLong(b + 8);
        }
    }

    static final class Variable extends KeyColumn {
        Variable(FieldVector store) {
            super(store);
        }

        @Override
        boolean valueEquals(FieldVector input, int row, int group) {
            ArrowBuf inOffsets = input.getOffsetBuffer();
            ArrowBuf storedOffsets = store.getOffsetBuffer();
            int inStart = inOffsets.getInt((long) row * BaseVariableWidthVector.OFFSET_WIDTH);
            int inEnd = inOffsets.getInt((long) (row + 1) * BaseVariableWidthVector.OFFSET_WIDTH);
            int storedStart = storedOffsets.getInt((long) group * BaseVariableWidthVector.OFFSET_WIDTH);
            int storedEnd = storedOffsets.getInt((long) (group + 1) * BaseVariableWidthVector.OFFSET_WIDTH);
            if (inEnd - inStart != storedEnd - storedStart) {
                return false;
            }
            return ByteFunctionHelpers.equal(input.getDataBuffer(), inStart, inEnd,
                    store.getDataBuffer(), storedStart, storedEnd) == 1;
        }
    }
}
