package io.mppnode.exec.type;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * The plan's types and the one Arrow type each maps to (DESIGN section 5). Every column is
 * nullable.
 */
public final class ColumnTypes {
    public static final int MAX_DECIMAL_PRECISION = 38;

    private ColumnTypes() {}

    public static DataType of(TypeKind kind) {
        return DataType.newBuilder().setKind(kind).build();
    }

    public static DataType decimal(int precision, int scale) {
        return DataType.newBuilder().setKind(TypeKind.DECIMAL).setPrecision(precision).setScale(scale).build();
    }

    /** @throws MppException when the type is unspecified or a decimal's precision or scale is out of range */
    public static void check(DataType type, String where) {
        switch (type.getKind()) {
            case BOOLEAN, INT32, INT64, FLOAT64, STRING, DATE, TIMESTAMP -> { }
            case DECIMAL -> {
                if (type.getPrecision() < 1 || type.getPrecision() > MAX_DECIMAL_PRECISION
                        || type.getScale() < 0 || type.getScale() > type.getPrecision()) {
                    throw new MppException(ErrorCode.INVALID_PLAN, where + ": decimal(" + type.getPrecision() + ", "
                            + type.getScale() + ") is out of range: precision must be 1.." + MAX_DECIMAL_PRECISION
                            + " and scale 0..precision");
                }
            }
            default -> throw new MppException(ErrorCode.INVALID_PLAN, where + ": the type is not specified");
        }
    }

    public static ArrowType toArrowType(DataType type) {
        return switch (type.getKind()) {
            case BOOLEAN -> ArrowType.Bool.INSTANCE;
            case INT32 -> new ArrowType.Int(32, true);
            case INT64 -> new ArrowType.Int(64, true);
            case FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case DECIMAL -> new ArrowType.Decimal(type.getPrecision(), type.getScale(), 128);
            case STRING -> ArrowType.Utf8.INSTANCE;
            case DATE -> new ArrowType.Date(DateUnit.DAY);
            case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
            default -> throw new IllegalArgumentException("no Arrow type for " + type.getKind());
        };
    }

    public static Field toArrowField(String name, DataType type) {
        return new Field(name, FieldType.nullable(toArrowType(type)), null);
    }

    /** A short SQL-like name: int64, decimal(15, 2), ... */
    public static String describe(DataType type) {
        return switch (type.getKind()) {
            case DECIMAL -> "decimal(" + type.getPrecision() + ", " + type.getScale() + ")";
            default -> type.getKind().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
