package io.mppnode.exec.expr;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;

/**
 * Values as text, for cast to string and for error messages. The formats are DuckDB's for
 * every value it prints the same way: booleans {@code true}/{@code false}; decimals with all
 * their scale's digits ({@code 1.50}); float64 in the shortest form that reads back as the same
 * double, in positional notation from 1e-4 up to below 1e16 and scientific outside
 * ({@code 1e+16}, {@code 1.5e-05}), with {@code nan}, {@code inf} and {@code -inf}; dates
 * {@code YYYY-MM-DD}; timestamps {@code YYYY-MM-DD HH:MM:SS} with the fraction of a second,
 * when there is one, without trailing zeros ({@code .12}). Years outside 0000..9999 follow ISO
 * 8601 ({@code +10000-01-01}, {@code -0001-12-31}) where DuckDB writes {@code 10000-01-01} and
 * {@code 0002-12-31 (BC)}.
 */
final class TextFormat {
    private TextFormat() {}

    static String decimal(long unscaled, int scale) {
        if (scale == 0) {
            return Long.toString(unscaled);
        }
        StringBuilder text = new StringBuilder(24);
        if (unscaled < 0) {
            text.append('-');
        }
        // Math.abs(Long.MIN_VALUE) stays negative: go through BigDecimal for that one value.
        if (unscaled == Long.MIN_VALUE) {
            return new BigDecimal(BigInteger.valueOf(unscaled), scale).toPlainString();
        }
        String digits = Long.toString(Math.abs(unscaled));
        if (digits.length() <= scale) {
            text.append("0.").repeat('0', scale - digits.length()).append(digits);
        } else {
            text.append(digits, 0, digits.length() - scale).append('.').append(digits, digits.length() - scale, digits.length());
        }
        return text.toString();
    }

    static String decimal(BigInteger unscaled, int scale) {
        return new BigDecimal(unscaled, scale).toPlainString();
    }

    static String float64(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == 0) {
            return Double.doubleToRawLongBits(value) < 0 ? "-0.0" : "0.0";
        }
        // Java's Double.toString gives the shortest digits that read back as the same double
        // (JDK 19+); only the layout differs from DuckDB's.
        String java = Double.toString(Math.abs(value));
        int exponentAt = java.indexOf('E');
        String mantissa = exponentAt < 0 ? java : java.substring(0, exponentAt);
        int exponent = exponentAt < 0 ? 0 : Integer.parseInt(java.substring(exponentAt + 1));
        int point = mantissa.indexOf('.');
        String digits = mantissa.substring(0, point) + mantissa.substring(point + 1);
        int pointAt = point + exponent; // digits before the decimal point
        int leading = 0;
        while (leading < digits.length() - 1 && digits.charAt(leading) == '0') {
            leading++;
        }
        digits = digits.substring(leading);
        pointAt -= leading;
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        digits = digits.substring(0, end);
        if (digits.length() == 2) {
            // Java never prints fewer than two digits; a subnormal such as Double.MIN_VALUE may
            // read back from one ("5e-324", where Java writes "4.9E-324"): take the nearer one.
            String single = singleDigit(Math.abs(value), digits, pointAt);
            if (single != null) {
                pointAt += single.length() - 1;
                digits = single.substring(0, 1);
            }
        }
        StringBuilder text = new StringBuilder(26);
        if (value < 0) {
            text.append('-');
        }
        int scientificExponent = pointAt - 1;
        if (scientificExponent < -4 || scientificExponent >= 16) {
            text.append(digits.charAt(0));
            if (digits.length() > 1) {
                text.append('.').append(digits, 1, digits.length());
            }
            text.append('e').append(scientificExponent < 0 ? '-' : '+');
            int magnitude = Math.abs(scientificExponent);
            if (magnitude < 10) {
                text.append('0');
            }
            return text.append(magnitude).toString();
        }
        if (pointAt <= 0) {
            text.append("0.").repeat('0', -pointAt).append(digits);
        } else if (pointAt >= digits.length()) {
            text.append(digits).repeat('0', pointAt - digits.length()).append(".0");
        } else {
            text.append(digits, 0, pointAt).append('.').append(digits, pointAt, digits.length());
        }
        return text.toString();
    }

    /**
     * The one-digit decimal, nearer first, that reads back as {@code magnitude}, whose two shortest
     * digits are {@code digits} with {@code pointAt} digits before the point; as its digit, or
     * {@code "10"} when it rounds up to the next power of ten; null when none does.
     */
    private static String singleDigit(double magnitude, String digits, int pointAt) {
        int first = digits.charAt(0) - '0';
        int second = digits.charAt(1) - '0';
        int[] candidates = second < 5 ? new int[] {first, first + 1} : new int[] {first + 1, first};
        for (int candidate : candidates) {
            // candidate * 10^(pointAt - 1): the digit stands where the first of the two stood.
            if (Double.parseDouble(candidate + "e" + (pointAt - 1)) == magnitude) {
                return Integer.toString(candidate);
            }
        }
        return null;
    }

    /** A day number as {@code YYYY-MM-DD}. */
    static String date(long days) {
        long civil = CivilCalendar.civil(days);
        long year = CivilCalendar.year(civil);
        if (year < 0 || year > 9999) {
            return LocalDate.of(Math.toIntExact(year), CivilCalendar.month(civil), CivilCalendar.day(civil)).toString();
        }
        StringBuilder text = new StringBuilder(10);
        appendPadded(text, year, 4);
        text.append('-');
        appendPadded(text, CivilCalendar.month(civil), 2);
        text.append('-');
        appendPadded(text, CivilCalendar.day(civil), 2);
        return text.toString();
    }

    /** Microseconds since the epoch as {@code YYYY-MM-DD HH:MM:SS[.ffffff]}, trailing zeros of the fraction dropped. */
    static String timestamp(long micros) {
        long days = CivilCalendar.daysOfMicros(micros);
        long timeOfDay = micros - days * CivilCalendar.MICROS_PER_DAY;
        StringBuilder text = new StringBuilder(26).append(date(days)).append(' ');
        long seconds = timeOfDay / 1_000_000;
        appendPadded(text, seconds / 3600, 2);
        text.append(':');
        appendPadded(text, seconds / 60 % 60, 2);
        text.append(':');
        appendPadded(text, seconds % 60, 2);
        long fraction = timeOfDay % 1_000_000;
        if (fraction != 0) {
            int digits = 6;
            while (fraction % 10 == 0) {
                fraction /= 10;
                digits--;
            }
            text.append('.');
            appendPadded(text, fraction, digits);
        }
        return text.toString();
    }

    private static void appendPadded(StringBuilder text, long value, int width) {
        String digits = Long.toString(value);
        text.repeat('0', width - digits.length()).append(digits);
    }

    /** A string for an error message: quoted, and cut after 64 characters. */
    static String quoted(String value) {
        return "'" + (value.length() > 64 ? value.substring(0, 64) + "..." : value) + "'";
    }
}
