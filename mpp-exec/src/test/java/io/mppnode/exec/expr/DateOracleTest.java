package io.mppnode.exec.expr;

import static io.mppnode.exec.expr.DuckDbOracle.check;
import static io.mppnode.exec.expr.TestingExprs.call;
import static io.mppnode.exec.expr.TestingExprs.col;
import static io.mppnode.exec.expr.TestingExprs.date;
import static io.mppnode.exec.expr.TestingExprs.int32;
import static io.mppnode.exec.expr.TestingExprs.int64;
import static io.mppnode.exec.expr.TestingExprs.string;
import static io.mppnode.exec.expr.TestingExprs.timestamp;

import io.mppnode.exec.expr.DuckDbOracle.Check;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.TypeKind;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * year, month, day, date_add and date_sub against DuckDB (its {@code d + to_months(n)} and
 * friends), on dates and timestamps from year 5 to 9990 with the month ends that clamp
 * (January 31st, February 29th of leap years, centuries that are and are not leap years), days
 * before 1970 (negative day numbers and microseconds), and amounts of every sign.
 */
class DateOracleTest {
    private static final int ROWS = 2_500;
    private static final int BATCH_ROWS = 700;
    private static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", ColumnTypes.of(TypeKind.INT64)),
            new ColumnSchema("d", ColumnTypes.of(TypeKind.DATE)),
            new ColumnSchema("ts", ColumnTypes.of(TypeKind.TIMESTAMP)),
            new ColumnSchema("n", ColumnTypes.of(TypeKind.INT32)),
            new ColumnSchema("k", ColumnTypes.of(TypeKind.INT64)));
    private static final List<LocalDate> EDGE_DATES = List.of(LocalDate.of(2024, 1, 31), LocalDate.of(2024, 2, 29), LocalDate.of(2023, 2, 28),
            LocalDate.of(2000, 2, 29), LocalDate.of(1900, 2, 28), LocalDate.of(2100, 12, 31), LocalDate.of(1970, 1, 1), LocalDate.of(1969, 12, 31),
            LocalDate.of(5, 1, 31), LocalDate.of(9990, 12, 31), LocalDate.of(2024, 3, 31), LocalDate.of(2023, 12, 31));

    private static DuckDbOracle oracle;
    private BufferAllocator allocator;

    @BeforeAll
    static void loadBoth() throws SQLException {
        Random random = new Random(41);
        List<List<Object>> table = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            LocalDate day = random.nextInt(4) == 0 ? EDGE_DATES.get(random.nextInt(EDGE_DATES.size()))
                    : LocalDate.of(1900, 1, 1).plusDays(random.nextInt(80_000));
            LocalDate timestampDay = random.nextInt(4) == 0 ? EDGE_DATES.get(random.nextInt(EDGE_DATES.size()))
                    : LocalDate.of(1900, 1, 1).plusDays(random.nextInt(80_000));
            LocalDateTime time = timestampDay.atStartOfDay().plusNanos(random.nextLong(86_400_000_000L) * 1000);
            table.add(Arrays.asList(
                    id,
                    maybeNull(random, day),
                    maybeNull(random, random.nextInt(10) == 0 ? timestampDay.atTime(23, 59, 59, 999_999_000) : time),
                    maybeNull(random, random.nextInt(5) == 0 ? List.of(0, 1, -1, 12, -12, 48, -48).get(random.nextInt(7)) : random.nextInt(81) - 40),
                    maybeNull(random, (long) random.nextInt(2_000_001) - 1_000_000)));
        }
        oracle = new DuckDbOracle(COLUMNS, table, BATCH_ROWS);
    }

    @AfterAll
    static void closeDuckDb() throws SQLException {
        oracle.close();
    }

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails on a leak
    }

    @Test
    void yearMonthDayOfDatesAndTimestamps() throws Exception {
        oracle.assertSame(allocator, null, null,
                check(call("year", col("d")), "year(d)"),
                check(call("month", col("d")), "month(d)"),
                check(call("day", col("d")), "day(d)"),
                check(call("year", col("ts")), "year(ts)"),
                check(call("month", col("ts")), "month(ts)"),
                check(call("day", col("ts")), "day(ts)"),
                check(call("year", date("1969-12-31")), "year(DATE '1969-12-31')"));
    }

    @Test
    void dateAddAndSubOnDatesClampToTheMonthsEnd() throws Exception {
        List<Check> checks = new ArrayList<>();
        for (String unit : List.of("day", "week", "month", "year")) {
            checks.add(check(call("date_add", col("d"), col("n"), string(unit)), "d + to_" + unit + "s(n)"));
            checks.add(check(call("date_sub", col("d"), col("n"), string(unit)), "d - to_" + unit + "s(n)"));
        }
        checks.add(check(call("date_add", col("d"), col("k"), string("day")), "d + to_days(k)"));
        checks.add(check(call("date_add", date("2024-01-31"), col("n"), string("month")), "DATE '2024-01-31' + to_months(n)"));
        checks.add(check(call("date_sub", col("d"), int64(1), string("month")), "d - to_months(1)"));
        oracle.assertSame(allocator, null, null, checks.toArray(Check[]::new));
    }

    @Test
    void dateAddAndSubOnTimestampsKeepTheTimeOfDay() throws Exception {
        List<Check> checks = new ArrayList<>();
        for (String unit : List.of("day", "week", "month", "year", "hour", "minute", "second", "microsecond")) {
            checks.add(check(call("date_add", col("ts"), col("n"), string(unit)), "ts + to_" + unit + "s(n)"));
            checks.add(check(call("date_sub", col("ts"), col("n"), string(unit)), "ts - to_" + unit + "s(n)"));
        }
        checks.add(check(call("date_add", col("ts"), col("k"), string("second")), "ts + to_seconds(k)"));
        checks.add(check(call("date_add", timestamp("2024-01-31T23:59:59.999999"), col("n"), string("month")),
                "TIMESTAMP '2024-01-31 23:59:59.999999' + to_months(n)"));
        oracle.assertSame(allocator, null, null, checks.toArray(Check[]::new));
    }

    @Test
    void dateArithmeticFiltersRows() throws Exception {
        oracle.assertSame(allocator,
                call("and", call("eq", call("day", call("date_add", col("d"), int32(1), string("month"))), call("day", col("d"))),
                        call("ge", call("date_add", col("ts"), col("n"), string("day")), col("d"))),
                List.of(col("id"), call("year", call("date_sub", col("ts"), col("n"), string("hour")))),
                "SELECT id, CAST(year(ts - to_hours(n)) AS INTEGER) FROM t"
                        + " WHERE day(d + to_months(1)) = day(d) AND ts + to_days(n) >= d ORDER BY id");
    }

    private static Object maybeNull(Random random, Object value) {
        return random.nextInt(100) < 15 ? null : value;
    }
}
