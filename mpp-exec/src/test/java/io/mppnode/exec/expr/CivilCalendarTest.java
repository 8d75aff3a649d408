package io.mppnode.exec.expr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The allocation-free calendar, date and timestamp text against java.time. */
class CivilCalendarTest {
    @Test
    void agreesWithJavaTimeOnEveryDayAnIntHolds() {
        Random random = new Random(3);
        LongStream days = LongStream.concat(LongStream.rangeClosed(-800_000, 3_000_000),
                LongStream.concat(random.longs(100_000, Integer.MIN_VALUE, Integer.MAX_VALUE + 1L),
                        LongStream.of(Integer.MIN_VALUE, Integer.MAX_VALUE, -106_751_992, 106_751_991)));
        days.forEach(day -> {
            LocalDate expected = LocalDate.ofEpochDay(day);
            long civil = CivilCalendar.civil(day);
            assertThat(CivilCalendar.year(civil)).isEqualTo(expected.getYear());
            assertThat(CivilCalendar.month(civil)).isEqualTo(expected.getMonthValue());
            assertThat(CivilCalendar.day(civil)).isEqualTo(expected.getDayOfMonth());
            assertThat(CivilCalendar.days(expected.getYear(), expected.getMonthValue(), expected.getDayOfMonth())).isEqualTo(day);
            if (expected.getDayOfMonth() == 1) {
                assertThat(CivilCalendar.lengthOfMonth(expected.getYear(), expected.getMonthValue()))
                        .isEqualTo(YearMonth.from(expected).lengthOfMonth());
            }
        });
    }

    @Test
    void datesAndTimestampsAsTextAndBack() {
        Random random = new Random(4);
        DateTimeFormatter timestamps = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");
        TextParser parser = new TextParser();
        for (int i = 0; i < 100_000; i++) {
            long micros = random.nextLong(-62_135_596_800_000_000L, 253_402_300_800_000_000L); // years 1 to 9999
            LocalDateTime time = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000,
                    ZoneOffset.UTC);
            String fraction = time.getNano() == 0 ? "" : ("." + String.format("%06d", time.getNano() / 1000)).replaceAll("0+$", "");
            String text = TextFormat.timestamp(micros);
            assertThat(text).isEqualTo(time.format(timestamps) + fraction);
            assertThat(TextFormat.date(Math.floorDiv(micros, 86_400_000_000L))).isEqualTo(time.toLocalDate().toString());
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            assertThat(parser.parseTimestamp(bytes, bytes.length)).isEqualTo(TextParser.OK);
            assertThat(parser.longValue).isEqualTo(micros);
        }
        assertThat(TextFormat.date(-719_529)).isEqualTo("-0001-12-31");
        assertThat(TextFormat.date(2_932_897)).isEqualTo("+10000-01-01");
    }

    @Test
    void doublesAsTheShortestTextThatReadsBack() {
        assertThat(TextFormat.float64(100.0)).isEqualTo("100.0");
        assertThat(TextFormat.float64(1e15)).isEqualTo("1000000000000000.0");
        assertThat(TextFormat.float64(1e16)).isEqualTo("1e+16");
        assertThat(TextFormat.float64(-1.5e20)).isEqualTo("-1.5e+20");
        assertThat(TextFormat.float64(1e-4)).isEqualTo("0.0001");
        assertThat(TextFormat.float64(1e-5)).isEqualTo("1e-05");
        assertThat(TextFormat.float64(1.0 / 3)).isEqualTo("0.3333333333333333");
        assertThat(TextFormat.float64(-0.0)).isEqualTo("-0.0");
        assertThat(TextFormat.float64(Double.MIN_VALUE)).isEqualTo("5e-324");
        assertThat(TextFormat.float64(Double.MAX_VALUE)).isEqualTo("1.7976931348623157e+308");
        assertThat(TextFormat.float64(Double.NaN)).isEqualTo("nan");
        assertThat(TextFormat.float64(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
        Random random = new Random(6);
        TextParser parser = new TextParser();
        for (int i = 0; i < 100_000; i++) {
            double value = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(value)) {
                continue;
            }
            byte[] text = TextFormat.float64(value).getBytes(StandardCharsets.US_ASCII);
            assertThat(parser.parseDouble(text, text.length)).isEqualTo(TextParser.OK);
            assertThat(parser.doubleValue).as(new String(text, StandardCharsets.US_ASCII)).isEqualTo(value);
        }
    }

    @Test
    void decimalsAsText() {
        assertThat(TextFormat.decimal(150, 2)).isEqualTo("1.50");
        assertThat(TextFormat.decimal(-5, 2)).isEqualTo("-0.05");
        assertThat(TextFormat.decimal(0, 3)).isEqualTo("0.000");
        assertThat(TextFormat.decimal(Long.MIN_VALUE, 3)).isEqualTo("-9223372036854775.808");
        assertThat(TextFormat.decimal(-42, 0)).isEqualTo("-42");
    }
}
