package io.mppnode.exec.expr;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The fixed scalar function list of plan.proto's {@code FunctionCall}, by wire name. */
public enum Function {
    EQ("eq"), NE("ne"), LT("lt"), LE("le"), GT("gt"), GE("ge"),
    PLUS("plus"), MINUS("minus"), MULTIPLY("multiply"), DIVIDE("divide"), MODULO("modulo"), NEGATE("negate"),
    AND("and"), OR("or"), NOT("not"),
    IN("in"), LIKE("like"), CASE("case"), CAST("cast"), IS_NULL("is_null"), IS_NOT_NULL("is_not_null"), COALESCE("coalesce"),
    SUBSTRING("substring"), CONCAT("concat"),
    YEAR("year"), MONTH("month"), DAY("day"), DATE_ADD("date_add"), DATE_SUB("date_sub");

    private static final Map<String, Function> BY_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Function::wireName, function -> function));

    private final String wireName;

    Function(String wireName) {
        this.wireName = wireName;
    }

    /** The name in {@code FunctionCall.name}. */
    public String wireName() {
        return wireName;
    }

    public static Optional<Function> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** Every wire name, in declaration order (for error messages). */
    public static String names() {
        return Arrays.stream(values()).map(Function::wireName).collect(Collectors.joining(", "));
    }
}
