package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Type-checks an {@link Expr} against an executor's input columns and resolves it into a
 * {@link BoundExpr}. Every refusal is an {@link MppException} (INVALID_PLAN, or UNKNOWN_COLUMN)
 * whose message starts with {@code executor '<id>': } and names the function and the problem.
 *
 * <p>Typing rules (the README's "Plans" section repeats them for plan writers):
 * <ul>
 *   <li><b>Numeric types</b> are INT32, INT64, DECIMAL and FLOAT64. Two of them meet in the
 *       {@link #commonType common type}: the same type stays; INT32 with INT64 is INT64; an
 *       integer with a DECIMAL is a DECIMAL (INT32 counts as decimal(10, 0), INT64 as
 *       decimal(19, 0)); anything with FLOAT64 is FLOAT64. Two decimals meet in scale
 *       {@code s = max(s1, s2)} and precision {@code min(38, max(p1 - s1, p2 - s2) + s)}.
 *       DATE with TIMESTAMP is TIMESTAMP. Other pairs have no common type.
 *   <li><b>Comparison</b> (eq, ne, lt, le, gt, ge; two arguments) takes two values with a
 *       common type, or two strings, or two booleans; it gives BOOLEAN. Strings compare by
 *       their UTF-8 bytes.
 *   <li><b>Arithmetic</b> (two numeric arguments) computes in their common type, except for
 *       decimals: plus and minus give scale {@code max(s1, s2)} and precision
 *       {@code min(38, max(p1 - s1, p2 - s2) + max(s1, s2) + 1)}; multiply gives scale
 *       {@code s1 + s2} and precision {@code min(38, p1 + p2 + 1)} (refused when the scale
 *       exceeds 38); modulo gives the common decimal type. <b>divide</b> of integers or
 *       decimals gives a DECIMAL of scale {@code min(38, s1 + 4)} and precision
 *       {@code min(38, p1 - s1 + s2 + scale)} (as MySQL and TiFlash; integers count as above),
 *       and of FLOAT64 gives FLOAT64. negate keeps its argument's type. Overflow of an integer
 *       or a decimal's precision is an error at run time, never a wrapped value; division or
 *       modulo by zero gives NULL.
 *   <li><b>Logic</b>: and, or (two or more BOOLEAN), not (one BOOLEAN), with SQL's
 *       three-valued logic; BOOLEAN.
 *   <li><b>in</b>(x, v1, ...): x and every v have a common type (or are all strings / all
 *       booleans); BOOLEAN, NULL when x is NULL or no v matches and some v is NULL.
 *   <li><b>like</b>(s, pattern [, escape]): STRING arguments; the escape (default {@code \})
 *       must be a one-character string literal; BOOLEAN.
 *   <li><b>case</b>(when1, then1, ..., [else]): conditions BOOLEAN, the results have a common
 *       type (or are all of one non-numeric type), which the call gives; an odd argument count
 *       means the last is the else value (else NULL).
 *   <li><b>cast</b>(x) to {@code FunctionCall.type}: between numeric types, BOOLEAN to and
 *       from INT32 and INT64, DATE to and from TIMESTAMP, anything to STRING and STRING to
 *       anything (text that does not parse is an error at run time).
 *   <li><b>is_null</b>, <b>is_not_null</b>(x of any type): BOOLEAN. <b>coalesce</b>(one or
 *       more with a common type): that type.
 *   <li><b>substring</b>(s, start [, length]): STRING and integers, 1-based, counting
 *       characters; STRING. <b>concat</b>(one or more STRING): STRING, NULL if any is.
 *   <li><b>year</b>, <b>month</b>, <b>day</b>(DATE or TIMESTAMP): INT32.
 *   <li><b>date_add</b>, <b>date_sub</b>(d, n, unit): d a DATE or TIMESTAMP, n an integer,
 *       unit a string literal: {@code day}, {@code week}, {@code month} or {@code year}, and
 *       for a TIMESTAMP also {@code hour}, {@code minute}, {@code second},
 *       {@code microsecond}; the type of d. Months and years that land past a month's end
 *       clamp to its last day (2024-01-31 + 1 month = 2024-02-29).
 * </ul>
 * A NULL literal has the type its {@code Literal.type} names. Stateless and thread-safe.
 */
public final class ExprBinder {
    private static final DataType BOOLEAN = ColumnTypes.of(TypeKind.BOOLEAN);
    private static final DataType INT32 = ColumnTypes.of(TypeKind.INT32);
    private static final DataType STRING = ColumnTypes.of(TypeKind.STRING);
    private static final int DIVISION_SCALE_INCREMENT = 4;
    private static final Set<String> DATE_UNITS = Set.of("day", "week", "month", "year");
    private static final Set<String> TIME_UNITS = Set.of("hour", "minute", "second", "microsecond");

    private final String executorId;
    private final List<ColumnSchema> input;

    /**
     * @param executorId named in every error
     * @param input the executor's input columns, whose positions column references resolve to
     */
    public ExprBinder(String executorId, List<ColumnSchema> input) {
        this.executorId = requireNonNull(executorId, "executorId is null");
        this.input = List.copyOf(input);
    }

    public BoundExpr bind(Expr expr) {
        return switch (expr.getKindCase()) {
            case COLUMN -> column(expr.getColumn().getName());
            case LITERAL -> literal(expr.getLiteral());
            case CALL -> call(expr.getCall());
            case KIND_NOT_SET -> throw invalid("an expression has no kind (column, literal or call)");
        };
    }

    /** Binds an expression that must be BOOLEAN (a condition); {@code what} names it in the error. */
    public BoundExpr bindCondition(Expr expr, String what) {
        BoundExpr bound = bind(expr);
        if (bound.type().getKind() != TypeKind.BOOLEAN) {
            throw invalid(what + " must be boolean, found " + ColumnTypes.describe(bound.type()));
        }
        return bound;
    }

    private BoundExpr column(String name) {
        for (int i = 0; i < input.size(); i++) {
            if (input.get(i).name().equals(name)) {
                return new BoundExpr.Column(i, name, input.get(i).type());
            }
        }
        throw new MppException(ErrorCode.UNKNOWN_COLUMN, "executor '" + executorId + "': column '" + name
                + "' is not a column of its input " + input.stream().map(ColumnSchema::name).toList());
    }

    // ----- literals -----

    private BoundExpr literal(Literal literal) {
        DataType type = literal.getType();
        ColumnTypes.check(type, "executor '" + executorId + "', literal");
        if (literal.getIsNull()) {
            return new BoundExpr.Constant(null, type);
        }
        String what = "a " + ColumnTypes.describe(type) + " literal";
        Object value = switch (type.getKind()) {
            case BOOLEAN -> {
                expectValue(literal, Literal.ValueCase.BOOL_VALUE, what);
                yield literal.getBoolValue();
            }
            case INT32 -> {
                expectValue(literal, Literal.ValueCase.INT64_VALUE, what);
                long number = literal.getInt64Value();
                if (number != (int) number) {
                    throw invalid(what + " is out of range: " + number);
                }
                yield (int) number;
            }
            case INT64 -> {
                expectValue(literal, Literal.ValueCase.INT64_VALUE, what);
                yield literal.getInt64Value();
            }
            case FLOAT64 -> {
                expectValue(literal, Literal.ValueCase.FLOAT64_VALUE, what);
                yield literal.getFloat64Value();
            }
            case DECIMAL -> decimalLiteral(literal, type, what);
            case STRING -> {
                expectValue(literal, Literal.ValueCase.STRING_VALUE, what);
                yield literal.getStringValue();
            }
            case DATE -> dateLiteral(literal, what);
            case TIMESTAMP -> timestampLiteral(literal, what);
            default -> throw new IllegalStateException("checked above: " + type);
        };
        return new BoundExpr.Constant(value, type);
    }

    private BigDecimal decimalLiteral(Literal literal, DataType type, String what) {
        expectValue(literal, Literal.ValueCase.STRING_VALUE, what);
        BigDecimal value;
        try {
            value = new BigDecimal(literal.getStringValue().trim());
        } catch (NumberFormatException e) {
            throw invalid(what + " is not a number: '" + literal.getStringValue() + "'");
        }
        BigDecimal scaled;
        try {
            scaled = value.setScale(type.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw invalid(what + " has more than " + type.getScale() + " decimal places: " + literal.getStringValue());
        }
        if (scaled.precision() > type.getPrecision() && scaled.signum() != 0) {
            throw invalid(what + " does not fit its precision: " + literal.getStringValue());
        }
        return scaled;
    }

    private Integer dateLiteral(Literal literal, String what) {
        long days;
        if (literal.getValueCase() == Literal.ValueCase.STRING_VALUE) {
            try {
                days = LocalDate.parse(literal.getStringValue()).toEpochDay();
            } catch (DateTimeParseException e) {
                throw invalid(what + " is not a date (YYYY-MM-DD): '" + literal.getStringValue() + "'");
            }
        } else {
            expectValue(literal, Literal.ValueCase.INT64_VALUE, what + " (days, or text YYYY-MM-DD)");
            days = literal.getInt64Value();
        }
        if (days != (int) days) {
            throw invalid(what + " is out of range: " + days + " days");
        }
        return (int) days;
    }

    private Long timestampLiteral(Literal literal, String what) {
        if (literal.getValueCase() == Literal.ValueCase.STRING_VALUE) {
            try {
                LocalDateTime time = LocalDateTime.parse(literal.getStringValue());
                return ChronoUnit.MICROS.between(LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC), time);
            } catch (DateTimeParseException | ArithmeticException e) {
                throw invalid(what + " is not a timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]): '" + literal.getStringValue() + "'");
            }
        }
        expectValue(literal, Literal.ValueCase.INT64_VALUE, what + " (microseconds, or text YYYY-MM-DDTHH:MM:SS)");
        return literal.getInt64Value();
    }

    private void expectValue(Literal literal, Literal.ValueCase expected, String what) {
        if (literal.getValueCase() != expected) {
            throw invalid(what + " needs " + expected.name().toLowerCase(Locale.ROOT) + ", found "
                    + (literal.getValueCase() == Literal.ValueCase.VALUE_NOT_SET ? "no value"
                            : literal.getValueCase().name().toLowerCase(Locale.ROOT)));
        }
    }

    // ----- calls -----

    private BoundExpr call(FunctionCall call) {
        Function function = Function.byName(call.getName()).orElseThrow(() -> invalid("unknown function '" + call.getName()
                + "' (known: " + Function.names() + ")"));
        List<BoundExpr> args = new ArrayList<>(call.getArgsCount());
        for (Expr arg : call.getArgsList()) {
            args.add(bind(arg));
        }
        DataType type = switch (function) {
            case EQ, NE, LT, LE, GT, GE -> {
                arity(function, args, 2, 2);
                comparable(function, args.get(0).type(), args.get(1).type());
                yield BOOLEAN;
            }
            case PLUS, MINUS, MULTIPLY, DIVIDE, MODULO -> {
                arity(function, args, 2, 2);
                yield arithmetic(function, args.get(0).type(), args.get(1).type());
            }
            case NEGATE -> {
                arity(function, args, 1, 1);
                if (!isNumeric(args.get(0).type())) {
                    throw mismatch(function, args, "a number");
                }
                yield args.get(0).type();
            }
            case AND, OR -> {
                arity(function, args, 2, Integer.MAX_VALUE);
                expectAll(function, args, TypeKind.BOOLEAN);
                yield BOOLEAN;
            }
            case NOT -> {
                arity(function, args, 1, 1);
                expectAll(function, args, TypeKind.BOOLEAN);
                yield BOOLEAN;
            }
            case IN -> {
                arity(function, args, 2, Integer.MAX_VALUE);
                for (int i = 1; i < args.size(); i++) {
                    comparable(function, args.get(0).type(), args.get(i).type());
                }
                yield BOOLEAN;
            }
            case LIKE -> {
                arity(function, args, 2, 3);
                expectAll(function, args, TypeKind.STRING);
                if (args.size() == 3 && !(args.get(2) instanceof BoundExpr.Constant escape
                        && escape.value() instanceof String text && text.codePointCount(0, text.length()) == 1)) {
                    throw invalid("like: the escape must be a one-character string literal");
                }
                yield BOOLEAN;
            }
            case CASE -> caseType(args);
            case CAST -> {
                arity(function, args, 1, 1);
                ColumnTypes.check(call.getType(), "executor '" + executorId + "', cast");
                if (!castable(args.get(0).type(), call.getType())) {
                    throw invalid("cannot cast " + ColumnTypes.describe(args.get(0).type()) + " to "
                            + ColumnTypes.describe(call.getType()));
                }
                yield call.getType();
            }
            case IS_NULL, IS_NOT_NULL -> {
                arity(function, args, 1, 1);
                yield BOOLEAN;
            }
            case COALESCE -> {
                arity(function, args, 1, Integer.MAX_VALUE);
                yield sharedType(function, args);
            }
            case SUBSTRING -> {
                arity(function, args, 2, 3);
                if (args.get(0).type().getKind() != TypeKind.STRING || !args.subList(1, args.size()).stream().allMatch(arg -> isInteger(arg.type()))) {
                    throw mismatch(function, args, "(string, integer [, integer])");
                }
                yield STRING;
            }
            case CONCAT -> {
                arity(function, args, 1, Integer.MAX_VALUE);
                expectAll(function, args, TypeKind.STRING);
                yield STRING;
            }
            case YEAR, MONTH, DAY -> {
                arity(function, args, 1, 1);
                if (!isTemporal(args.get(0).type())) {
                    throw mismatch(function, args, "a date or timestamp");
                }
                yield INT32;
            }
            case DATE_ADD, DATE_SUB -> {
                arity(function, args, 3, 3);
                DataType target = args.get(0).type();
                if (!isTemporal(target) || !isInteger(args.get(1).type()) || args.get(2).type().getKind() != TypeKind.STRING) {
                    throw mismatch(function, args, "(date or timestamp, integer, unit)");
                }
                if (!(args.get(2) instanceof BoundExpr.Constant unit && unit.value() instanceof String name
                        && (DATE_UNITS.contains(name) || target.getKind() == TypeKind.TIMESTAMP && TIME_UNITS.contains(name)))) {
                    throw invalid(function.wireName() + ": the unit must be a string literal, one of "
                            + (target.getKind() == TypeKind.TIMESTAMP ? "day, week, month, year, hour, minute, second, microsecond"
                                    : "day, week, month, year") + " for a " + ColumnTypes.describe(target));
                }
                yield target;
            }
        };
        return new BoundExpr.Call(function, args, type);
    }

    private DataType arithmetic(Function function, DataType left, DataType right) {
        if (!isNumeric(left) || !isNumeric(right)) {
            throw invalid(function.wireName() + "(" + ColumnTypes.describe(left) + ", " + ColumnTypes.describe(right)
                    + "): arithmetic takes numbers");
        }
        if (left.getKind() == TypeKind.FLOAT64 || right.getKind() == TypeKind.FLOAT64) {
            return ColumnTypes.of(TypeKind.FLOAT64);
        }
        boolean decimal = left.getKind() == TypeKind.DECIMAL || right.getKind() == TypeKind.DECIMAL;
        if (!decimal && function != Function.DIVIDE) {
            return commonType(left, right);
        }
        DataType a = asDecimal(left);
        DataType b = asDecimal(right);
        int p1 = a.getPrecision();
        int s1 = a.getScale();
        int p2 = b.getPrecision();
        int s2 = b.getScale();
        return switch (function) {
            case PLUS, MINUS -> {
                int scale = Math.max(s1, s2);
                yield decimal(Math.max(p1 - s1, p2 - s2) + scale + 1, scale);
            }
            case MULTIPLY -> {
                if (s1 + s2 > ColumnTypes.MAX_DECIMAL_PRECISION) {
                    throw invalid("multiply(" + ColumnTypes.describe(left) + ", " + ColumnTypes.describe(right)
                            + "): the product's scale " + (s1 + s2) + " is above " + ColumnTypes.MAX_DECIMAL_PRECISION);
                }
                yield decimal(p1 + p2 + 1, s1 + s2);
            }
            case DIVIDE -> {
                int scale = Math.min(ColumnTypes.MAX_DECIMAL_PRECISION, s1 + DIVISION_SCALE_INCREMENT);
                yield decimal(p1 - s1 + s2 + scale, scale);
            }
            case MODULO -> commonType(a, b);
            default -> throw new IllegalStateException("not arithmetic: " + function);
        };
    }

    /** A decimal type with the precision capped at 38 (and at least the scale). */
    private static DataType decimal(int precision, int scale) {
        return ColumnTypes.decimal(Math.max(scale, Math.min(ColumnTypes.MAX_DECIMAL_PRECISION, precision)), scale);
    }

    private DataType caseType(List<BoundExpr> args) {
        arity(Function.CASE, args, 2, Integer.MAX_VALUE);
        List<BoundExpr> results = new ArrayList<>();
        for (int i = 0; i + 1 < args.size(); i += 2) {
            if (args.get(i).type().getKind() != TypeKind.BOOLEAN) {
                throw invalid("case: condition " + (i / 2 + 1) + " must be boolean, found " + ColumnTypes.describe(args.get(i).type()));
            }
            results.add(args.get(i + 1));
        }
        if (args.size() % 2 == 1) {
            results.add(args.getLast());
        }
        return sharedType(Function.CASE, results);
    }

    /** The one type every argument converts to: their common type, or their type when all share a non-numeric one. */
    private DataType sharedType(Function function, List<BoundExpr> args) {
        DataType shared = args.getFirst().type();
        for (BoundExpr arg : args.subList(1, args.size())) {
            DataType next = commonTypeOrNull(shared, arg.type());
            if (next == null) {
                throw invalid(function.wireName() + ": " + ColumnTypes.describe(shared) + " and " + ColumnTypes.describe(arg.type())
                        + " have no common type");
            }
            shared = next;
        }
        return shared;
    }

    private void comparable(Function function, DataType left, DataType right) {
        if (commonTypeOrNull(left, right) == null) {
            throw invalid(function.wireName() + "(" + ColumnTypes.describe(left) + ", " + ColumnTypes.describe(right)
                    + "): the arguments cannot be compared");
        }
    }

    /** The common type of two types (see the class comment). @throws MppException when they have none */
    public DataType commonType(DataType left, DataType right) {
        DataType common = commonTypeOrNull(left, right);
        if (common == null) {
            throw invalid(ColumnTypes.describe(left) + " and " + ColumnTypes.describe(right) + " have no common type");
        }
        return common;
    }

    private static DataType commonTypeOrNull(DataType left, DataType right) {
        if (isNumeric(left) && isNumeric(right)) {
            if (left.getKind() == TypeKind.FLOAT64 || right.getKind() == TypeKind.FLOAT64) {
                return ColumnTypes.of(TypeKind.FLOAT64);
            }
            if (left.getKind() == TypeKind.DECIMAL || right.getKind() == TypeKind.DECIMAL) {
                DataType a = asDecimal(left);
                DataType b = asDecimal(right);
                int scale = Math.max(a.getScale(), b.getScale());
                return decimal(Math.max(a.getPrecision() - a.getScale(), b.getPrecision() - b.getScale()) + scale, scale);
            }
            return left.getKind() == TypeKind.INT64 || right.getKind() == TypeKind.INT64 ? ColumnTypes.of(TypeKind.INT64) : INT32;
        }
        if (isTemporal(left) && isTemporal(right)) {
            return left.getKind() == right.getKind() ? left : ColumnTypes.of(TypeKind.TIMESTAMP);
        }
        return left.getKind() == right.getKind() ? left : null;
    }

    private static boolean castable(DataType from, DataType to) {
        if (from.getKind() == to.getKind() || from.getKind() == TypeKind.STRING || to.getKind() == TypeKind.STRING) {
            return true;
        }
        if (isNumeric(from) && isNumeric(to) || isTemporal(from) && isTemporal(to)) {
            return true;
        }
        return from.getKind() == TypeKind.BOOLEAN && isInteger(to) || isInteger(from) && to.getKind() == TypeKind.BOOLEAN;
    }

    private static DataType asDecimal(DataType type) {
        return switch (type.getKind()) {
            case INT32 -> ColumnTypes.decimal(10, 0);
            case INT64 -> ColumnTypes.decimal(19, 0);
            case DECIMAL -> type;
            default -> throw new IllegalArgumentException("not an exact number: " + type);
        };
    }

    private static boolean isInteger(DataType type) {
        return type.getKind() == TypeKind.INT32 || type.getKind() == TypeKind.INT64;
    }

    private static boolean isNumeric(DataType type) {
        return isInteger(type) || type.getKind() == TypeKind.DECIMAL || type.getKind() == TypeKind.FLOAT64;
    }

    private static boolean isTemporal(DataType type) {
        return type.getKind() == TypeKind.DATE || type.getKind() == TypeKind.TIMESTAMP;
    }

    private void arity(Function function, List<BoundExpr> args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            String expected = min == max ? String.valueOf(min) : max == Integer.MAX_VALUE ? "at least " + min : min + " to " + max;
            throw invalid(function.wireName() + " takes " + expected + (min == 1 && max == 1 ? " argument" : " arguments")
                    + ", found " + args.size());
        }
    }

    private void expectAll(Function function, List<BoundExpr> args, TypeKind kind) {
        if (!args.stream().allMatch(arg -> arg.type().getKind() == kind)) {
            throw mismatch(function, args, kind.name().toLowerCase(Locale.ROOT) + " arguments");
        }
    }

    private MppException mismatch(Function function, List<BoundExpr> args, String expected) {
        return invalid(function.wireName() + "(" + String.join(", ", args.stream().map(arg -> ColumnTypes.describe(arg.type())).toList())
                + "): expects " + expected);
    }

    private MppException invalid(String problem) {
        return new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': " + problem);
    }
}
