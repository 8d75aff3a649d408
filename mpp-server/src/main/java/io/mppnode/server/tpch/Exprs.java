package io.mppnode.server.tpch;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.SortKey;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Static helpers that spell plan expressions the way SQL reads: {@code col("l_shipdate")},
 * {@code le(col("l_shipdate"), date("1998-09-02"))}, {@code mul(col("l_extendedprice"),
 * minus(int32(1), col("l_discount")))}. Function names are those of the README's "Plans"
 * section; typing follows {@code io.mppnode.exec.expr.ExprBinder}.
 */
public final class Exprs {
    private Exprs() {}

    // ----- columns and literals -----

    public static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    public static Expr int32(int value) {
        return literal(Literal.newBuilder().setType(ColumnTypes.of(TypeKind.INT32)).setInt64Value(value));
    }

    public static Expr int64(long value) {
        return literal(Literal.newBuilder().setType(ColumnTypes.of(TypeKind.INT64)).setInt64Value(value));
    }

    /** A decimal literal typed by its text: {@code "0.06"} is decimal(3, 2), {@code "100.00"} decimal(5, 2). */
    public static Expr decimal(String text) {
        BigDecimal value = new BigDecimal(text);
        int scale = Math.max(0, value.scale());
        int precision = Math.max(Math.max(1, value.precision()), scale + 1);
        return literal(Literal.newBuilder().setType(ColumnTypes.decimal(precision, scale)).setStringValue(text));
    }

    public static Expr str(String value) {
        return literal(Literal.newBuilder().setType(ColumnTypes.of(TypeKind.STRING)).setStringValue(value));
    }

    /** A DATE literal, {@code YYYY-MM-DD}. */
    public static Expr date(String isoDate) {
        return date(LocalDate.parse(isoDate));
    }

    public static Expr date(LocalDate date) {
        return literal(Literal.newBuilder().setType(ColumnTypes.of(TypeKind.DATE)).setStringValue(date.toString()));
    }

    /** SQL's {@code DATE 'd' - INTERVAL 'n' DAY}, computed here. */
    public static LocalDate minusDays(String isoDate, int days) {
        return LocalDate.parse(isoDate).minusDays(days);
    }

    /** SQL's {@code DATE 'd' + INTERVAL 'n' MONTH}, computed here. */
    public static LocalDate plusMonths(String isoDate, int months) {
        return LocalDate.parse(isoDate).plusMonths(months);
    }

    /** SQL's {@code DATE 'd' + INTERVAL 'n' YEAR}, computed here. */
    public static LocalDate plusYears(String isoDate, int years) {
        return LocalDate.parse(isoDate).plusYears(years);
    }

    private static Expr literal(Literal.Builder literal) {
        return Expr.newBuilder().setLiteral(literal).build();
    }

    // ----- function calls -----

    public static Expr call(String function, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(function).addAllArgs(Arrays.asList(args))).build();
    }

    public static Expr eq(Expr left, Expr right) {
        return call("eq", left, right);
    }

    public static Expr ne(Expr left, Expr right) {
        return call("ne", left, right);
    }

    public static Expr lt(Expr left, Expr right) {
        return call("lt", left, right);
    }

    public static Expr le(Expr left, Expr right) {
        return call("le", left, right);
    }

    public static Expr gt(Expr left, Expr right) {
        return call("gt", left, right);
    }

    public static Expr ge(Expr left, Expr right) {
        return call("ge", left, right);
    }

    /** {@code x BETWEEN low AND high}: {@code x >= low AND x <= high}. */
    public static Expr between(Expr x, Expr low, Expr high) {
        return and(ge(x, low), le(x, high));
    }

    public static Expr and(Expr... conditions) {
        return call("and", conditions);
    }

    public static Expr or(Expr... conditions) {
        return call("or", conditions);
    }

    public static Expr not(Expr condition) {
        return call("not", condition);
    }

    public static Expr plus(Expr left, Expr right) {
        return call("plus", left, right);
    }

    public static Expr minus(Expr left, Expr right) {
        return call("minus", left, right);
    }

    public static Expr mul(Expr left, Expr right) {
        return call("multiply", left, right);
    }

    public static Expr div(Expr left, Expr right) {
        return call("divide", left, right);
    }

    public static Expr like(Expr value, String pattern) {
        return call("like", value, str(pattern));
    }

    public static Expr notLike(Expr value, String pattern) {
        return not(like(value, pattern));
    }

    /** {@code x IN (v1, v2, ...)}. */
    public static Expr in(Expr x, Expr... values) {
        Expr[] args = new Expr[values.length + 1];
        args[0] = x;
        System.arraycopy(values, 0, args, 1, values.length);
        return call("in", args);
    }

    /** {@code x IN ('a', 'b', ...)}. */
    public static Expr in(Expr x, String... values) {
        return in(x, Arrays.stream(values).map(Exprs::str).toArray(Expr[]::new));
    }

    /** {@code x IN (1, 2, ...)} with INT32 literals. */
    public static Expr in(Expr x, int... values) {
        return in(x, Arrays.stream(values).mapToObj(Exprs::int32).toArray(Expr[]::new));
    }

    /** {@code CASE WHEN c1 THEN r1 [WHEN c2 THEN r2 ...] [ELSE e] END}: when/then pairs, then an optional else. */
    public static Expr caseWhen(Expr... whenThenElse) {
        return call("case", whenThenElse);
    }

    /** {@code extract(YEAR FROM d)}: INT32. */
    public static Expr year(Expr date) {
        return call("year", date);
    }

    public static Expr substring(Expr value, int start, int length) {
        return call("substring", value, int64(start), int64(length));
    }

    public static Expr cast(Expr value, DataType type) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName("cast").addArgs(value).setType(type)).build();
    }

    // ----- named expressions and sort keys -----

    /** An output column {@code name} computed by {@code expr} ({@code expr AS name}). */
    public static NamedExpr as(String name, Expr expr) {
        return NamedExpr.newBuilder().setName(name).setExpr(expr).build();
    }

    /**
     * A list of named expressions: each item is a column name (kept as it is) or a
     * {@link NamedExpr} from {@link #as}. Used for projections and group-by keys.
     */
    public static List<NamedExpr> named(Object... items) {
        List<NamedExpr> list = new ArrayList<>();
        for (Object item : items) {
            switch (item) {
                case String name -> list.add(as(name, col(name)));
                case NamedExpr named -> list.add(named);
                default -> throw new IllegalArgumentException("expected a column name or a NamedExpr, got " + item);
            }
        }
        return List.copyOf(list);
    }

    /** Group-by keys: column names or {@link #as} expressions. */
    public static List<NamedExpr> group(Object... keys) {
        return named(keys);
    }

    /** No group-by key: one output row. */
    public static List<NamedExpr> noGroup() {
        return List.of();
    }

    public static SortKey asc(String column) {
        return SortKey.newBuilder().setExpr(col(column)).build();
    }

    public static SortKey desc(String column) {
        return SortKey.newBuilder().setExpr(col(column)).setDescending(true).build();
    }
}
