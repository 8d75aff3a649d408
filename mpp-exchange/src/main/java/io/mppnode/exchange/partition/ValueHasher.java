package io.mppnode.exchange.partition;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The value hash of {@link PartitionHash} for one physical layout: each constant hashes every row
 * of a vector in one loop over its buffers, so the type is dispatched once per column and batch,
 * never per row. NULL rows are hashed as whatever their slot holds; the caller replaces them.
 */
enum ValueHasher {
    /** 1 bit per value; canonical form int64 0 or 1. */
    BOOLEAN {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8((data.getByte(row >>> 3) >>> (row & 7)) & 1);
            }
        }
    },
    INT8 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(data.getByte(row));
            }
        }
    },
    INT16 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(data.getShort((long) row << 1));
            }
        }
    },
    /** int32 and date (days): sign-extended to int64. */
    INT32 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(data.getInt((long) row << 2));
            }
        }
    },
    /** int64 and timestamp (microseconds). */
    INT64 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(data.getLong((long) row << 3));
            }
        }
    },
    FLOAT32 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(canonicalBits(data.getFloat((long) row << 2)));
            }
        }
    },
    FLOAT64 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = XxHash64.hash8(canonicalBits(data.getDouble((long) row << 3)));
            }
        }
    },
    /** The unscaled value, 128-bit two's complement, little-endian: Arrow's own layout. */
    DECIMAL128 {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf data = vector.getDataBuffer();
            for (int row = 0; row < rowCount; row++) {
                long index = (long) row << 4;
                hashes[row] = XxHash64.hash16(data.getLong(index), data.getLong(index + 8));
            }
        }
    },
    /** utf8 and binary: the bytes between two int32 offsets. */
    VARIABLE_WIDTH {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf offsets = vector.getOffsetBuffer();
            ArrowBuf data = vector.getDataBuffer();
            if (rowCount == 0) {
                return;
            }
            int start = offsets.getInt(0);
            for (int row = 0; row < rowCount; row++) {
                int end = offsets.getInt((long) (row + 1) * BaseVariableWidthVector.OFFSET_WIDTH);
                hashes[row] = XxHash64.hash(data, start, end - start);
                start = end;
            }
        }
    },
    /** large utf8 and large binary: the bytes between two int64 offsets. */
    LARGE_VARIABLE_WIDTH {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            ArrowBuf offsets = vector.getOffsetBuffer();
            ArrowBuf data = vector.getDataBuffer();
            if (rowCount == 0) {
                return;
            }
            long start = offsets.getLong(0);
            for (int row = 0; row < rowCount; row++) {
                long end = offsets.getLong((long) (row + 1) * BaseLargeVariableWidthVector.OFFSET_WIDTH);
                hashes[row] = XxHash64.hash(data, start, Math.toIntExact(end - start));
                start = end;
            }
        }
    },
    /** The Null type: every row is NULL, and there are no buffers to read. */
    ALWAYS_NULL {
        @Override
        void hash(FieldVector vector, int rowCount, long[] hashes) {
            // Nothing to read: PartitionHash writes the NULL hash for every row of a column whose
            // rows are all NULL.
        }
    };

    /** Writes the value hash of rows {@code [0, rowCount)} of {@code vector} into {@code hashes}. */
    abstract void hash(FieldVector vector, int rowCount, long[] hashes);

    /**
     * The IEEE 754 binary64 bits of a value with the two ambiguities removed: {@code x + 0.0} turns
     * -0.0 into +0.0 (and changes no other value), and {@link Double#doubleToLongBits} maps every
     * NaN to 0x7FF8000000000000. A float32 widens to float64 exactly first.
     */
    static long canonicalBits(double value) {
        return Double.doubleToLongBits(value + 0.0);
    }

    /** The hasher for a column type, or null when the partition hash does not define one. */
    static ValueHasher forType(ArrowType type) {
        return switch (type) {
            case ArrowType.Bool bool -> BOOLEAN;
            case ArrowType.Int integer when integer.getIsSigned() -> switch (integer.getBitWidth()) {
                case 8 -> INT8;
                case 16 -> INT16;
                case 32 -> INT32;
                case 64 -> INT64;
                default -> null;
            };
            case ArrowType.FloatingPoint floating -> switch (floating.getPrecision()) {
                case SINGLE -> FLOAT32;
                case DOUBLE -> FLOAT64;
                case HALF -> null;
            };
            case ArrowType.Decimal decimal when decimal.getBitWidth() == 128 -> DECIMAL128;
            case ArrowType.Utf8 utf8 -> VARIABLE_WIDTH;
            case ArrowType.Binary binary -> VARIABLE_WIDTH;
            case ArrowType.LargeUtf8 utf8 -> LARGE_VARIABLE_WIDTH;
            case ArrowType.LargeBinary binary -> LARGE_VARIABLE_WIDTH;
            case ArrowType.Date date when date.getUnit() == DateUnit.DAY -> INT32;
            case ArrowType.Timestamp timestamp when timestamp.getUnit() == TimeUnit.MICROSECOND -> INT64;
            case ArrowType.Null nullType -> ALWAYS_NULL;
            default -> null;
        };
    }
}
