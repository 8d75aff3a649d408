package io.mppnode.exec.expr;

/**
 * The proleptic Gregorian calendar on day numbers (days since 1970-01-01), allocation-free for
 * the row loops: Howard Hinnant's {@code days_from_civil} / {@code civil_from_days}, exact for
 * every long day number a date or a timestamp can hold. A civil date comes back packed in one
 * long: {@code year << 9 | month << 5 | day}.
 */
final class CivilCalendar {
    static final long MICROS_PER_DAY = 86_400_000_000L;
    private static final long DAYS_PER_ERA = 146_097;
    private static final long EPOCH_SHIFT = 719_468; // days from 0000-03-01 to 1970-01-01

    private CivilCalendar() {}

    /** The civil date of a day number, packed (see the class comment). */
    static long civil(long days) {
        long z = days + EPOCH_SHIFT;
        long era = Math.floorDiv(z, DAYS_PER_ERA);
        long dayOfEra = z - era * DAYS_PER_ERA;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long shiftedMonth = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
        long month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        return year << 9 | month << 5 | day;
    }

    static long year(long packed) {
        return packed >> 9;
    }

    static int month(long packed) {
        return (int) (packed >> 5) & 15;
    }

    static int day(long packed) {
        return (int) packed & 31;
    }

    /** The day number of a valid civil date; {@code |year|} must stay below about 10^15. */
    static long days(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT;
    }

    static boolean isLeapYear(long year) {
        return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    static int lengthOfMonth(long year, int month) {
        return switch (month) {
            case 2 -> isLeapYear(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** The day number of a timestamp (microseconds since 1970-01-01 00:00). */
    static long daysOfMicros(long micros) {
        return Math.floorDiv(micros, MICROS_PER_DAY);
    }
}
