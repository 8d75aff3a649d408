package io.mppnode.exec.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.TypeKind;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExprBinderTest {
    private static final DataType I32 = ColumnTypes.of(TypeKind.INT32);
    private static final DataType I64 = ColumnTypes.of(TypeKind.INT64);
    private static final DataType F64 = ColumnTypes.of(TypeKind.FLOAT64);
    private static final DataType BOOL = ColumnTypes.of(TypeKind.BOOLEAN);
    private static final DataType STR = ColumnTypes.of(TypeKind.STRING);
    private static final DataType DATE = ColumnTypes.of(TypeKind.DATE);
    private static final DataType TS = ColumnTypes.of(TypeKind.TIMESTAMP);

    private final ExprBinder binder = new ExprBinder("selection_1", List.of(
            new ColumnSchema("i32", I32), new ColumnSchema("i64", I64), new ColumnSchema("f64", F64),
            new ColumnSchema("d15_2", ColumnTypes.decimal(15, 2)), new ColumnSchema("d38_10", ColumnTypes.decimal(38, 10)),
            new ColumnSchema("flag", BOOL), new ColumnSchema("name", STR), new ColumnSchema("day", DATE),
            new ColumnSchema("at", TS)));

    @Test
    void columnsResolveToTheirPositionAndType() {
        assertThat(binder.bind(col("name"))).isEqualTo(new BoundExpr.Column(6, "name", STR));
        assertThatThrownBy(() -> binder.bind(col("nope")))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_COLUMN))
                .hasMessageStartingWith("executor 'selection_1': column 'nope' is not a column of its input [i32, i64,");
    }

    @Test
    void literalsBecomeJavaValuesOfTheirType() {
        assertThat(constant(lit(I32).setInt64Value(-7))).isEqualTo(-7);
        assertThat(constant(lit(I64).setInt64Value(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
        assertThat(constant(lit(F64).setFloat64Value(0.5))).isEqualTo(0.5);
        assertThat(constant(lit(BOOL).setBoolValue(true))).isEqualTo(true);
        assertThat(constant(lit(STR).setStringValue("東京"))).isEqualTo("東京");
        assertThat(constant(lit(ColumnTypes.decimal(5, 2)).setStringValue("-12.3"))).isEqualTo(new BigDecimal("-12.30"));
        assertThat(constant(lit(DATE).setStringValue("1970-01-02"))).isEqualTo(1);
        assertThat(constant(lit(DATE).setInt64Value(-1))).isEqualTo(-1);
        assertThat(constant(lit(TS).setStringValue("1970-01-01T00:00:01.000002"))).isEqualTo(1_000_002L);
        BoundExpr nullLiteral = binder.bind(Expr.newBuilder().setLiteral(lit(ColumnTypes.decimal(9, 3)).setIsNull(true)).build());
        assertThat(nullLiteral).isEqualTo(new BoundExpr.Constant(null, ColumnTypes.decimal(9, 3)));
    }

    @Test
    void badLiteralsAreRefusedNamingTheProblem() {
        assertInvalid(litExpr(lit(I32).setInt64Value(1L << 40)), "a int32 literal is out of range: 1099511627776");
        assertInvalid(litExpr(lit(I64).setStringValue("1")), "a int64 literal needs int64_value, found string_value");
        assertInvalid(litExpr(lit(BOOL)), "a boolean literal needs bool_value, found no value");
        assertInvalid(litExpr(lit(ColumnTypes.decimal(5, 2)).setStringValue("1.234")), "has more than 2 decimal places: 1.234");
        assertInvalid(litExpr(lit(ColumnTypes.decimal(5, 2)).setStringValue("1234.5")), "does not fit its precision: 1234.5");
        assertInvalid(litExpr(lit(ColumnTypes.decimal(5, 2)).setStringValue("abc")), "is not a number: 'abc'");
        assertInvalid(litExpr(lit(DATE).setStringValue("1999-02-30")), "is not a date (YYYY-MM-DD): '1999-02-30'");
        assertInvalid(litExpr(lit(TS).setStringValue("noon")), "is not a timestamp");
        assertInvalid(litExpr(Literal.newBuilder().setInt64Value(1)), "the type is not specified");
        assertInvalid(litExpr(lit(ColumnTypes.decimal(40, 2)).setStringValue("1")), "decimal(40, 2) is out of range");
    }

    @Test
    void comparisonsGiveBooleanForComparableArguments() {
        for (String function : List.of("eq", "ne", "lt", "le", "gt", "ge")) {
            assertThat(type(call(function, col("i32"), col("d15_2")))).isEqualTo(BOOL);
        }
        assertThat(type(call("lt", col("day"), col("at")))).isEqualTo(BOOL);
        assertThat(type(call("eq", col("name"), litExpr(lit(STR).setStringValue("x"))))).isEqualTo(BOOL);
        assertInvalid(call("eq", col("name"), col("i32")), "eq(string, int32): the arguments cannot be compared");
        assertInvalid(call("lt", col("flag"), col("f64")), "lt(boolean, float64): the arguments cannot be compared");
        assertInvalid(call("eq", col("i32")), "eq takes 2 arguments, found 1");
    }

    @ParameterizedTest(name = "{0}({1}, {2}) -> {3}")
    @CsvSource(delimiter = ';', value = {
            "plus; i32; i32; int32",
            "plus; i32; i64; int64",
            "multiply; i64; f64; float64",
            "modulo; i64; i32; int64",
            "divide; i32; i32; decimal(14, 4)",
            "divide; i64; d15_2; decimal(25, 4)",
            "divide; d15_2; i32; decimal(19, 6)",
            "divide; f64; i32; float64",
            "plus; d15_2; d15_2; decimal(16, 2)",
            "minus; d15_2; i64; decimal(22, 2)",
            "plus; d38_10; d15_2; decimal(38, 10)",
            "multiply; d15_2; d15_2; decimal(31, 4)",
            "multiply; d38_10; i32; decimal(38, 10)",
            "modulo; d15_2; i32; decimal(15, 2)",
    })
    void arithmeticTypesFollowTheDocumentedRules(String function, String left, String right, String expected) {
        assertThat(ColumnTypes.describe(type(call(function, col(left), col(right))))).isEqualTo(expected);
    }

    @Test
    void arithmeticRefusesWhatIsNotANumber() {
        assertInvalid(call("plus", col("name"), col("i32")), "plus(string, int32): arithmetic takes numbers");
        assertInvalid(call("negate", col("day")), "negate(date): expects a number");
        Expr scale20 = call("multiply", col("d38_10"), col("d38_10"));
        assertThat(type(scale20)).isEqualTo(ColumnTypes.decimal(38, 20));
        assertInvalid(call("multiply", scale20, scale20), "the product's scale 40 is above 38");
        assertThat(type(call("negate", col("d15_2")))).isEqualTo(ColumnTypes.decimal(15, 2));
    }

    @Test
    void logicTakesBooleans() {
        assertThat(type(call("and", col("flag"), col("flag"), call("not", col("flag"))))).isEqualTo(BOOL);
        assertInvalid(call("or", col("flag")), "or takes at least 2 arguments, found 1");
        assertInvalid(call("and", col("flag"), col("i32")), "and(boolean, int32): expects boolean arguments");
        assertInvalid(call("not", col("flag"), col("flag")), "not takes 1 argument, found 2");
    }

    @Test
    void inLikeAndNullTests() {
        assertThat(type(call("in", col("i32"), intLit(1), col("d15_2")))).isEqualTo(BOOL);
        assertInvalid(call("in", col("i32"), strLit("1")), "in(int32, string): the arguments cannot be compared");
        assertThat(type(call("like", col("name"), strLit("a!%%"), strLit("!")))).isEqualTo(BOOL);
        assertInvalid(call("like", col("name"), strLit("a%"), strLit("!!")), "like: the escape must be a one-character string literal");
        assertInvalid(call("like", col("name"), strLit("a%"), col("name")), "like: the escape must be a one-character string literal");
        assertInvalid(call("like", col("i32"), strLit("a%")), "like(int32, string): expects string arguments");
        assertThat(type(call("is_null", col("at")))).isEqualTo(BOOL);
        assertThat(type(call("is_not_null", col("d38_10")))).isEqualTo(BOOL);
    }

    @Test
    void caseAndCoalesceGiveTheCommonTypeOfTheirResults() {
        assertThat(type(call("case", col("flag"), col("i32"), call("not", col("flag")), col("d15_2"), col("i64"))))
                .isEqualTo(ColumnTypes.decimal(21, 2));
        assertThat(type(call("case", col("flag"), col("name")))).isEqualTo(STR);
        assertThat(type(call("coalesce", col("day"), col("at")))).isEqualTo(TS);
        assertInvalid(call("case", col("i32"), col("name")), "case: condition 1 must be boolean, found int32");
        assertInvalid(call("case", col("flag"), col("name"), col("i32")), "case: string and int32 have no common type");
        assertInvalid(call("coalesce", col("flag"), col("i32")), "coalesce: boolean and int32 have no common type");
        assertInvalid(call("coalesce"), "coalesce takes at least 1 arguments, found 0");
    }

    @Test
    void castsBetweenTheAllowedTypes() {
        assertThat(type(cast(col("name"), DATE))).isEqualTo(DATE);
        assertThat(type(cast(col("d15_2"), F64))).isEqualTo(F64);
        assertThat(type(cast(col("flag"), I64))).isEqualTo(I64);
        assertThat(type(cast(col("at"), DATE))).isEqualTo(DATE);
        assertThat(type(cast(col("day"), STR))).isEqualTo(STR);
        assertInvalid(cast(col("day"), I32), "cannot cast date to int32");
        assertInvalid(cast(col("flag"), ColumnTypes.decimal(5, 0)), "cannot cast boolean to decimal(5, 0)");
        assertInvalid(cast(col("i32"), DataType.getDefaultInstance()), "cast: the type is not specified");
    }

    @Test
    void stringAndDateFunctions() {
        assertThat(type(call("substring", col("name"), intLit(2), col("i64")))).isEqualTo(STR);
        assertInvalid(call("substring", col("name"), col("f64")), "substring(string, float64): expects (string, integer [, integer])");
        assertThat(type(call("concat", col("name"), strLit("-"), col("name")))).isEqualTo(STR);
        assertInvalid(call("concat", col("name"), col("i32")), "concat(string, int32): expects string arguments");
        assertThat(type(call("year", col("day")))).isEqualTo(I32);
        assertThat(type(call("day", col("at")))).isEqualTo(I32);
        assertInvalid(call("month", col("name")), "month(string): expects a date or timestamp");
        assertThat(type(call("date_add", col("day"), intLit(3), strLit("month")))).isEqualTo(DATE);
        assertThat(type(call("date_sub", col("at"), col("i64"), strLit("second")))).isEqualTo(TS);
        assertInvalid(call("date_add", col("day"), intLit(3), strLit("hour")),
                "date_add: the unit must be a string literal, one of day, week, month, year for a date");
        assertInvalid(call("date_add", col("day"), intLit(3), col("name")), "date_add: the unit must be a string literal");
        assertInvalid(call("date_sub", col("day"), col("f64"), strLit("day")), "date_sub(date, float64, string): expects (date or timestamp, integer, unit)");
    }

    @Test
    void unknownFunctionsAndEmptyExpressionsAreRefused() {
        assertInvalid(call("sqrt", col("f64")), "unknown function 'sqrt' (known: eq, ne, lt,");
        assertInvalid(Expr.getDefaultInstance(), "an expression has no kind (column, literal or call)");
        // Errors deep in a tree still name the executor.
        assertInvalid(call("and", col("flag"), call("eq", col("i32"), call("plus", col("name"), intLit(1)))),
                "plus(string, int64): arithmetic takes numbers");
    }

    @Test
    void conditionsMustBeBoolean() {
        assertThat(binder.bindCondition(call("gt", col("i32"), intLit(0)), "condition 1").type()).isEqualTo(BOOL);
        assertThatThrownBy(() -> binder.bindCondition(col("i32"), "condition 2"))
                .hasMessage("executor 'selection_1': condition 2 must be boolean, found int32");
    }

    // ----- helpers -----

    private DataType type(Expr expr) {
        return binder.bind(expr).type();
    }

    private Object constant(Literal.Builder literal) {
        return ((BoundExpr.Constant) binder.bind(litExpr(literal))).value();
    }

    private void assertInvalid(Expr expr, String problem) {
        assertThatThrownBy(() -> binder.bind(expr))
                .isInstanceOfSatisfying(MppException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PLAN))
                .hasMessageStartingWith("executor 'selection_1'")
                .hasMessageContaining(problem);
    }

    private static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    private static Literal.Builder lit(DataType type) {
        return Literal.newBuilder().setType(type);
    }

    private static Expr litExpr(Literal.Builder literal) {
        return Expr.newBuilder().setLiteral(literal).build();
    }

    private static Expr intLit(long value) {
        return litExpr(lit(I64).setInt64Value(value));
    }

    private static Expr strLit(String value) {
        return litExpr(lit(STR).setStringValue(value));
    }

    private static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    private static Expr cast(Expr arg, DataType type) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName("cast").addArgs(arg).setType(type)).build();
    }
}
