package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** year, month or day (of the month) of a DATE or a TIMESTAMP, as int32; proleptic Gregorian. */
record DatePartExpr(Function function, VectorExpr arg) implements VectorExpr {
    DatePartExpr {
        requireNonNull(function, "function is null");
        requireNonNull(arg, "arg is null");
    }

    @Override
    public DataType type() {
        return ColumnTypes.of(TypeKind.INT32);
    }

    /** @return a new vector from {@code allocator}, owned by the caller */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(List.of(arg), type(), batch, allocator, (values, out, rows) -> {
            FieldVector in = values[0];
            Vectors.LongReader reader = Vectors.longs(in);
            boolean micros = in instanceof TimeStampMicroVector;
            IntVector result = (IntVector) out;
            for (int row = 0; row < rows; row++) {
                if (in.isNull(row)) {
                    continue;
                }
                long value = reader.get(row);
                long civil = CivilCalendar.civil(micros ? CivilCalendar.daysOfMicros(value) : value);
                // A date's year is within +-5.9 million, a timestamp's within +-300,000: an int.
                result.set(row, switch (function) {
                    case YEAR -> (int) CivilCalendar.year(civil);
                    case MONTH -> CivilCalendar.month(civil);
                    case DAY -> CivilCalendar.day(civil);
                    default -> throw new IllegalStateException("not a date part: " + function);
                });
            }
        });
    }
}
