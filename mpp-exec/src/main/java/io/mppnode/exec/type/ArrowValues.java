package io.mppnode.exec.type;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
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
 * Java values in and out of the vectors of our types: Boolean, Integer, Long, Double,
 * BigDecimal, String, LocalDate, LocalDateTime (UTC, microsecond precision); null is SQL NULL.
 * For loading small tables and for reading results, not for the vectorized hot path.
 */
public final class ArrowValues {
    private static final LocalDateTime EPOCH = LocalDateTime.of(1970, 1, 1, 0, 0);

    private ArrowValues() {}

    /** Sets row {@code index} of the vector, growing it as needed. */
    public static void set(FieldVector vector, int index, Object value) {
        if (value == null) {
            vector.setNull(index);
            if (vector instanceof VarCharVector varChar) {
                varChar.fillEmpties(index + 1);
            }
            return;
        }
        try {
            switch (vector) {
                case BitVector v -> v.setSafe(index, ((Boolean) value) ? 1 : 0);
                case IntVector v -> v.setSafe(index, (Integer) value);
                case BigIntVector v -> v.setSafe(index, ((Number) value).longValue());
                case Float8Vector v -> v.setSafe(index, ((Number) value).doubleValue());
                case DecimalVector v -> v.setSafe(index, ((BigDecimal) value).setScale(v.getScale(), RoundingMode.UNNECESSARY));
                case VarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
                case DateDayVector v -> v.setSafe(index, Math.toIntExact(((LocalDate) value).toEpochDay()));
                case TimeStampMicroVector v -> v.setSafe(index, EPOCH.until((LocalDateTime) value, ChronoUnit.MICROS));
                default -> throw new IllegalArgumentException("unsupported vector " + vector.getClass().getSimpleName());
            }
        } catch (ClassCastException | ArithmeticException | UnsupportedOperationException e) {
            // UnsupportedOperationException: Arrow's refusal of a decimal with more digits than the column's precision.
            throw new IllegalArgumentException("value " + value + " (" + value.getClass().getSimpleName()
                    + ") does not fit column '" + vector.getName() + "' of type " + vector.getField().getType(), e);
        }
    }

    /** Every row of the batch as Java values, column order. The batch stays the caller's. */
    public static java.util.List<java.util.List<Object>> rows(org.apache.arrow.vector.VectorSchemaRoot batch) {
        java.util.List<java.util.List<Object>> rows = new java.util.ArrayList<>(batch.getRowCount());
        for (int row = 0; row < batch.getRowCount(); row++) {
            java.util.List<Object> values = new java.util.ArrayList<>(batch.getFieldVectors().size());
            for (FieldVector vector : batch.getFieldVectors()) {
                values.add(get(vector, row));
            }
            rows.add(values);
        }
        return rows;
    }

    /** Row {@code index} of the vector as a Java value. */
    public static Object get(FieldVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        return switch (vector) {
            case BitVector v -> v.get(index) != 0;
            case IntVector v -> v.get(index);
            case BigIntVector v -> v.get(index);
            case Float8Vector v -> v.get(index);
            case DecimalVector v -> v.getObject(index);
            case VarCharVector v -> new String(v.get(index), StandardCharsets.UTF_8);
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(index));
            case TimeStampMicroVector v -> LocalDateTime.ofEpochSecond(Math.floorDiv(v.get(index), 1_000_000L),
                    (int) Math.floorMod(v.get(index), 1_000_000L) * 1000, ZoneOffset.UTC);
            default -> vector.getObject(index);
        };
    }
}
