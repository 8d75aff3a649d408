package io.mppnode.exec.expr;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * Reads values from UTF-8 text, for cast from string. Leading and trailing ASCII whitespace is
 * ignored. Accepted:
 * <ul>
 *   <li>integers and decimals: a decimal number, {@code [+-]digits[.digits][e[+-]digits]} (or
 *       {@code .digits}), rounded half away from zero to the target scale ({@code '12.5'} is 13
 *       as an integer); a value outside the target's range is {@link #OUT_OF_RANGE};
 *   <li>float64: the same, and {@code nan}, {@code inf}, {@code infinity} with an optional
 *       sign, in any case;
 *   <li>boolean: {@code true t yes y 1} and {@code false f no n 0}, in any case;
 *   <li>date: {@code [+-]Y-M-D} (a year of one to nine digits, month and day of one or two),
 *       optionally followed by a time as for a timestamp, which is checked and dropped;
 *   <li>timestamp: a date, optionally followed by {@code ' '} or {@code 'T'} and
 *       {@code H:MM[:SS[.fraction]]}; fraction digits past the sixth are dropped (truncated,
 *       as DuckDB).
 * </ul>
 * Anything else is {@link #INVALID} (hexadecimal, digit separators, time zones). One parser per
 * evaluation: it keeps the last value in its fields, so it is not thread-safe.
 */
final class TextParser {
    static final int OK = 0;
    static final int INVALID = 1;
    static final int OUT_OF_RANGE = 2;
    private static final String[] TRUE_WORDS = {"true", "t", "yes", "y", "1"};
    private static final String[] FALSE_WORDS = {"false", "f", "no", "n", "0"};

    /** The last integer, day number or microseconds parsed. */
    long longValue;
    double doubleValue;
    /** The last decimal parsed, as its unscaled value at the requested scale. */
    BigInteger unscaledValue;
    boolean booleanValue;

    private int start;
    private int end;

    /** An integer in {@code [min, max]} into {@link #longValue}. */
    int parseInteger(byte[] text, int length, long min, long max) {
        trim(text, length);
        int position = start;
        boolean negative = false;
        if (position < end && (text[position] == '+' || text[position] == '-')) {
            negative = text[position] == '-';
            position++;
        }
        int digits = end - position;
        if (digits > 0 && digits <= 18 && allDigits(text, position, end)) {
            long value = 0;
            for (int i = position; i < end; i++) {
                value = value * 10 + (text[i] - '0');
            }
            value = negative ? -value : value;
            if (value < min || value > max) {
                return OUT_OF_RANGE;
            }
            longValue = value;
            return OK;
        }
        int status = parseDecimal(text, length, 0, 19);
        if (status != OK) {
            return status;
        }
        if (unscaledValue.bitLength() > 63 || unscaledValue.longValue() < min || unscaledValue.longValue() > max) {
            return OUT_OF_RANGE;
        }
        longValue = unscaledValue.longValue();
        return OK;
    }

    /** A decimal number rounded HALF_UP to {@code scale}, with at most {@code precision} digits, into {@link #unscaledValue}. */
    int parseDecimal(byte[] text, int length, int scale, int precision) {
        trim(text, length);
        if (!isDecimalNumber(text, start, end)) {
            return INVALID;
        }
        BigDecimal value;
        try {
            value = new BigDecimal(new String(text, start, end - start, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return OUT_OF_RANGE; // an exponent beyond an int
        }
        if (value.signum() == 0) {
            unscaledValue = BigInteger.ZERO;
            return OK;
        }
        // Digits before the point; checked before rescaling so that '1e999999999' costs nothing.
        long integerDigits = (long) value.precision() - value.scale();
        if (integerDigits > precision - scale) {
            return OUT_OF_RANGE;
        }
        if (integerDigits < -scale - 1) {
            unscaledValue = BigInteger.ZERO; // below half a unit of the last place
            return OK;
        }
        BigInteger unscaled = value.setScale(scale, RoundingMode.HALF_UP).unscaledValue();
        if (!Decimal128.fits(unscaled, precision)) {
            return OUT_OF_RANGE;
        }
        unscaledValue = unscaled;
        return OK;
    }

    /** A float64 into {@link #doubleValue}; out-of-range magnitudes become infinities or zeros, as IEEE reading does. */
    int parseDouble(byte[] text, int length) {
        trim(text, length);
        int position = start;
        boolean negative = false;
        if (position < end && (text[position] == '+' || text[position] == '-')) {
            negative = text[position] == '-';
            position++;
        }
        if (matchesIgnoringCase(text, position, end, "nan")) {
            doubleValue = Double.NaN;
            return OK;
        }
        if (matchesIgnoringCase(text, position, end, "inf") || matchesIgnoringCase(text, position, end, "infinity")) {
            doubleValue = negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            return OK;
        }
        if (!isDecimalNumber(text, start, end)) {
            return INVALID;
        }
        doubleValue = Double.parseDouble(new String(text, start, end - start, StandardCharsets.US_ASCII));
        return OK;
    }

    int parseBoolean(byte[] text, int length) {
        trim(text, length);
        for (String word : TRUE_WORDS) {
            if (matchesIgnoringCase(text, start, end, word)) {
                booleanValue = true;
                return OK;
            }
        }
        for (String word : FALSE_WORDS) {
            if (matchesIgnoringCase(text, start, end, word)) {
                booleanValue = false;
                return OK;
            }
        }
        return INVALID;
    }

    /** A date (a time after it is checked and dropped) into {@link #longValue} as days; must fit an int. */
    int parseDate(byte[] text, int length) {
        int status = parseDateTime(text, length);
        if (status != OK) {
            return status;
        }
        longValue = Math.floorDiv(longValue, CivilCalendar.MICROS_PER_DAY);
        return longValue == (int) longValue ? OK : OUT_OF_RANGE;
    }

    /** A timestamp into {@link #longValue} as microseconds since 1970-01-01 00:00. */
    int parseTimestamp(byte[] text, int length) {
        return parseDateTime(text, length);
    }

    private int parseDateTime(byte[] text, int length) {
        trim(text, length);
        int position = start;
        boolean negative = false;
        if (position < end && (text[position] == '+' || text[position] == '-')) {
            negative = text[position] == '-';
            position++;
        }
        int yearEnd = digitsEnd(text, position, 9);
        if (yearEnd == position || yearEnd >= end || text[yearEnd] != '-') {
            return INVALID;
        }
        long year = number(text, position, yearEnd);
        year = negative ? -year : year;
        position = yearEnd + 1;
        int monthEnd = digitsEnd(text, position, 2);
        if (monthEnd == position || monthEnd >= end || text[monthEnd] != '-') {
            return INVALID;
        }
        int month = (int) number(text, position, monthEnd);
        position = monthEnd + 1;
        int dayEnd = digitsEnd(text, position, 2);
        if (dayEnd == position) {
            return INVALID;
        }
        int day = (int) number(text, position, dayEnd);
        if (month < 1 || month > 12 || day < 1 || day > CivilCalendar.lengthOfMonth(year, month)) {
            return INVALID;
        }
        position = dayEnd;
        long timeOfDay = 0;
        if (position < end) {
            if (text[position] != ' ' && text[position] != 'T') {
                return INVALID;
            }
            position++;
            int hourEnd = digitsEnd(text, position, 2);
            if (hourEnd == position || hourEnd >= end || text[hourEnd] != ':') {
                return INVALID;
            }
            long hour = number(text, position, hourEnd);
            position = hourEnd + 1;
            int minuteEnd = digitsEnd(text, position, 2);
            if (minuteEnd != position + 2) {
                return INVALID;
            }
            long minute = number(text, position, minuteEnd);
            position = minuteEnd;
            long second = 0;
            long micros = 0;
            if (position < end) {
                if (text[position] != ':') {
                    return INVALID;
                }
                int secondEnd = digitsEnd(text, position + 1, 2);
                if (secondEnd != position + 3) {
                    return INVALID;
                }
                second = number(text, position + 1, secondEnd);
                position = secondEnd;
                if (position < end) {
                    if (text[position] != '.') {
                        return INVALID;
                    }
                    int fractionEnd = digitsEnd(text, position + 1, 9);
                    if (fractionEnd == position + 1 || fractionEnd != end) {
                        return INVALID;
                    }
                    for (int i = position + 1; i < position + 7; i++) {
                        micros = micros * 10 + (i < fractionEnd ? text[i] - '0' : 0);
                    }
                    position = fractionEnd;
                }
            }
            if (hour > 23 || minute > 59 || second > 59) {
                return INVALID;
            }
            timeOfDay = ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros;
        }
        long days = CivilCalendar.days(year, month, day);
        long dayMicros = days * CivilCalendar.MICROS_PER_DAY;
        if (Math.multiplyHigh(days, CivilCalendar.MICROS_PER_DAY) != dayMicros >> 63) {
            return OUT_OF_RANGE;
        }
        long micros = dayMicros + timeOfDay;
        if (((dayMicros ^ micros) & (timeOfDay ^ micros)) < 0) {
            return OUT_OF_RANGE;
        }
        longValue = micros;
        return OK;
    }

    private void trim(byte[] text, int length) {
        start = 0;
        end = length;
        while (start < end && isSpace(text[start])) {
            start++;
        }
        while (end > start && isSpace(text[end - 1])) {
            end--;
        }
    }

    private static boolean isSpace(byte character) {
        return character == ' ' || character == '\t' || character == '\n' || character == '\r' || character == '\f';
    }

    private static boolean allDigits(byte[] text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text[i] < '0' || text[i] > '9') {
                return false;
            }
        }
        return true;
    }

    /** The end of the run of at most {@code max} digits starting at {@code from} (before {@link #end}). */
    private int digitsEnd(byte[] text, int from, int max) {
        int position = from;
        while (position < end && position - from < max && text[position] >= '0' && text[position] <= '9') {
            position++;
        }
        return position;
    }

    private static long number(byte[] text, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (text[i] - '0');
        }
        return value;
    }

    /** {@code [+-](digits[.digits*] | .digits)([eE][+-]digits)?} exactly, over {@code [from, to)}. */
    private static boolean isDecimalNumber(byte[] text, int from, int to) {
        int position = from;
        if (position < to && (text[position] == '+' || text[position] == '-')) {
            position++;
        }
        int integerStart = position;
        while (position < to && text[position] >= '0' && text[position] <= '9') {
            position++;
        }
        boolean integerDigits = position > integerStart;
        boolean fractionDigits = false;
        if (position < to && text[position] == '.') {
            position++;
            int fractionStart = position;
            while (position < to && text[position] >= '0' && text[position] <= '9') {
                position++;
            }
            fractionDigits = position > fractionStart;
        }
        if (!integerDigits && !fractionDigits) {
            return false;
        }
        if (position < to && (text[position] == 'e' || text[position] == 'E')) {
            position++;
            if (position < to && (text[position] == '+' || text[position] == '-')) {
                position++;
            }
            int exponentStart = position;
            while (position < to && text[position] >= '0' && text[position] <= '9') {
                position++;
            }
            if (position == exponentStart) {
                return false;
            }
        }
        return position == to;
    }

    private static boolean matchesIgnoringCase(byte[] text, int from, int to, String word) {
        if (to - from != word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            int character = text[from + i];
            if (character >= 'A' && character <= 'Z') {
                character += 'a' - 'A';
            }
            if (character != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
