package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * {@code date_add(d, n, unit)} and {@code date_sub} (which adds {@code -n}): d a DATE or a
 * TIMESTAMP, giving the same type. day and week move by days; month and year move the calendar
 * month and keep the day of the month, clamped to the month's last day (2024-01-31 + 1 month =
 * 2024-02-29, 2024-02-29 + 1 year = 2025-02-28); a timestamp keeps its time of day. hour, minute,
 * second and microsecond (timestamps only) move by that much time. A result outside the type's
 * range (a DATE holds int32 days, about 5.8 million years either side of 1970; a TIMESTAMP int64
 * microseconds, about 292,000 years) is a DATA_ERROR naming the function, the value and the
 * amount. NULL when d or n is.
 */
record DateAddExpr(boolean subtract, DataType type, VectorExpr date, VectorExpr amount, Unit unit, String executorId)
        implements VectorExpr {
    enum Unit {
        DAY(1), WEEK(7), MONTH(0), YEAR(0), HOUR(3_600_000_000L), MINUTE(60_000_000L), SECOND(1_000_000L), MICROSECOND(1);

        /** Days (for day and week) or microseconds (for the time units) per unit. */
        private final long size;

        Unit(long size) {
            this.size = size;
        }

        static Unit of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Marks a result beyond the type's range inside the row loop. */
    private static final class Overflow extends Exception {
        private static final long serialVersionUID = 1L;
        private static final Overflow INSTANCE = new Overflow();

        private Overflow() {
            super(null, null, false, false);
        }
    }

    DateAddExpr {
        requireNonNull(type, "type is null");
        requireNonNull(date, "date is null");
        requireNonNull(amount, "amount is null");
        requireNonNull(unit, "unit is null");
        requireNonNull(executorId, "executorId is null");
    }

    /** @return a new vector from {@code allocator}, owned by the caller; nothing is left allocated when it throws */
    @Override
    public FieldVector evaluate(VectorSchemaRoot batch, BufferAllocator allocator) {
        return Vectors.compute(List.of(date, amount), type, batch, allocator, (values, out, rows) -> {
            FieldVector dates = values[0];
            FieldVector amounts = values[1];
            Vectors.LongReader value = Vectors.longs(dates);
            Vectors.LongReader count = Vectors.longs(amounts);
            DateDayVector days = out instanceof DateDayVector vector ? vector : null;
            TimeStampMicroVector micros = out instanceof TimeStampMicroVector vector ? vector : null;
            for (int row = 0; row < rows; row++) {
                if (dates.isNull(row) || amounts.isNull(row)) {
                    continue;
                }
                long start = value.get(row);
                long n = count.get(row);
                try {
                    long delta = subtract ? negate(n) : n;
                    if (days != null) {
                        long result = addToDays(start, delta);
                        if (result != (int) result) {
                            throw Overflow.INSTANCE;
                        }
                        days.set(row, (int) result);
                    } else {
                        micros.set(row, addToMicros(start, delta));
                    }
                } catch (Overflow e) {
                    throw Vectors.dataError(executorId, (subtract ? "date_sub" : "date_add") + " overflows " + ColumnTypes.describe(type)
                            + ": " + (days != null ? TextFormat.date(start) : TextFormat.timestamp(start)) + ", " + n + " " + unit.wireName());
                }
            }
        });
    }

    private long addToDays(long days, long n) throws Overflow {
        return switch (unit) {
            case DAY, WEEK -> add(days, multiply(n, unit.size));
            case MONTH -> addMonths(days, n);
            case YEAR -> addMonths(days, multiply(n, 12));
            default -> throw new IllegalStateException("not a date unit: " + unit);
        };
    }

    private long addToMicros(long micros, long n) throws Overflow {
        return switch (unit) {
            case HOUR, MINUTE, SECOND, MICROSECOND -> add(micros, multiply(n, unit.size));
            case DAY, WEEK, MONTH, YEAR -> {
                long days = CivilCalendar.daysOfMicros(micros);
                // Moved by whole days from the value itself, so the time of day stays and the
                // first and last day a timestamp holds work too.
                yield add(micros, multiply(addToDays(days, n) - days, CivilCalendar.MICROS_PER_DAY));
            }
        };
    }

    /** The day number {@code months} calendar months after {@code days}, the day of the month clamped. */
    private static long addMonths(long days, long months) throws Overflow {
        long civil = CivilCalendar.civil(days);
        long monthIndex = add(CivilCalendar.year(civil) * 12 + CivilCalendar.month(civil) - 1, months);
        long year = Math.floorDiv(monthIndex, 12);
        // Far beyond any date or timestamp: stop before the calendar arithmetic could overflow.
        if (Math.abs(year) > 10_000_000) {
            throw Overflow.INSTANCE;
        }
        int month = (int) Math.floorMod(monthIndex, 12) + 1;
        int day = Math.min(CivilCalendar.day(civil), CivilCalendar.lengthOfMonth(year, month));
        return CivilCalendar.days(year, month, day);
    }

    private static long add(long a, long b) throws Overflow {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            throw Overflow.INSTANCE;
        }
        return sum;
    }

    private static long multiply(long a, long b) throws Overflow {
        long product = a * b;
        if (Math.multiplyHigh(a, b) != product >> 63) {
            throw Overflow.INSTANCE;
        }
        return product;
    }

    private static long negate(long n) throws Overflow {
        if (n == Long.MIN_VALUE) {
            throw Overflow.INSTANCE;
        }
        return -n;
    }
}
