package io.mppnode.server.binlog;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.binlog.Value;
import io.mppnode.proto.plan.DataType;
import java.math.BigDecimal;
import java.math.RoundingMode;
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
 * Typed binlog values ({@link Value}) against the columns they are written to: the check that
 * the kind matches the column's type (done when the entity is written, so that a bad value is
 * refused before it reaches the log), and the write into an Arrow vector (done at commit).
 */
final class RowValues {
    private RowValues() {}

    /** Null when {@code value} fits {@code column}; else what is wrong with it. */
    static String problem(ColumnSchema column, Value value) {
        DataType type = column.type();
        boolean fits = switch (value.getKindCase()) {
            case KIND_NOT_SET -> true;
            case BOOL_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.BOOLEAN;
            case INT32_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.INT32;
            case INT64_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.INT64;
            case FLOAT64_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.FLOAT64;
            case DECIMAL_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.DECIMAL;
            case STRING_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.STRING;
            case DATE_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.DATE;
            case TIMESTAMP_VALUE -> type.getKind() == io.mppnode.proto.plan.TypeKind.TIMESTAMP;
        };
        if (!fits) {
            return "column '" + column.name() + "' is " + ColumnTypes.describe(type) + ", the value is a "
                    + value.getKindCase().name().toLowerCase(java.util.Locale.ROOT).replace("_value", "");
        }
        if (value.getKindCase() == Value.KindCase.DECIMAL_VALUE) {
            try {
                decimal(value.getDecimalValue(), type);
            } catch (IllegalArgumentException e) {
                return "column '" + column.name() + "' (" + ColumnTypes.describe(type) + "): " + e.getMessage();
            }
        }
        return null;
    }

    /** Writes a value that {@link #problem} accepted into row {@code row} of the vector, growing it as needed. */
    static void set(FieldVector vector, int row, Value value) {
        if (value.getKindCase() == Value.KindCase.KIND_NOT_SET) {
            vector.setNull(row);
            return;
        }
        switch (vector) {
            case BitVector v -> v.setSafe(row, value.getBoolValue() ? 1 : 0);
            case IntVector v -> v.setSafe(row, value.getInt32Value());
            case BigIntVector v -> v.setSafe(row, value.getInt64Value());
            case Float8Vector v -> v.setSafe(row, value.getFloat64Value());
            case DecimalVector v -> v.setSafe(row, decimal(value.getDecimalValue(), ColumnTypes.decimal(v.getPrecision(), v.getScale())));
            case VarCharVector v -> {
                // UTF-8 bytes straight from the message, without decoding them to a String.
                var bytes = value.getStringValueBytes().asReadOnlyByteBuffer();
                v.setSafe(row, bytes, bytes.position(), bytes.remaining());
            }
            case DateDayVector v -> v.setSafe(row, value.getDateValue());
            case TimeStampMicroVector v -> v.setSafe(row, value.getTimestampValue());
            default -> throw new IllegalStateException("no binlog value for a vector of " + vector.getField().getType());
        }
    }

    /** Row {@code row} of a vector of one of our types as a binlog value (for writers that hold Arrow data). */
    static Value value(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return Value.getDefaultInstance();
        }
        Value.Builder value = Value.newBuilder();
        switch (vector) {
            case BitVector v -> value.setBoolValue(v.get(row) != 0);
            case IntVector v -> value.setInt32Value(v.get(row));
            case BigIntVector v -> value.setInt64Value(v.get(row));
            case Float8Vector v -> value.setFloat64Value(v.get(row));
            case DecimalVector v -> value.setDecimalValue(v.getObject(row).toPlainString());
            case VarCharVector v -> value.setStringValueBytes(com.google.protobuf.UnsafeByteOperations.unsafeWrap(v.get(row)));
            case DateDayVector v -> value.setDateValue(v.get(row));
            case TimeStampMicroVector v -> value.setTimestampValue(v.get(row));
            default -> throw new IllegalArgumentException("no binlog value for a vector of " + vector.getField().getType());
        }
        return value.build();
    }

    private static BigDecimal decimal(String text, DataType type) {
        BigDecimal parsed;
        try {
            parsed = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a decimal number");
        }
        BigDecimal scaled;
        try {
            scaled = parsed.setScale(type.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' has more than " + type.getScale() + " digits after the point");
        }
        if (scaled.precision() > type.getPrecision()) {
            throw new IllegalArgumentException("'" + text + "' has more than " + type.getPrecision() + " digits");
        }
        return scaled;
    }
}
