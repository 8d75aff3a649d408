package io.mppnode.benchmarks;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.AggregateFunction;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.SortKey;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;

/** Terse builders of plan expressions, so that a benchmark's plan reads next to its SQL. */
final class PlanExprs {
    private PlanExprs() {}

    static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    static Expr call(String function, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(function).addAllArgs(List.of(args))).build();
    }

    static Expr int32(int value) {
        return literal(ColumnTypes.of(TypeKind.INT32), Literal.newBuilder().setInt64Value(value));
    }

    static Expr float64(double value) {
        return literal(ColumnTypes.of(TypeKind.FLOAT64), Literal.newBuilder().setFloat64Value(value));
    }

    /** A decimal literal of the given precision and scale, written as text ("0.05"). */
    static Expr decimal(String value, int precision, int scale) {
        return literal(ColumnTypes.decimal(precision, scale), Literal.newBuilder().setStringValue(value));
    }

    /** A date literal, YYYY-MM-DD. */
    static Expr date(String value) {
        return literal(ColumnTypes.of(TypeKind.DATE), Literal.newBuilder().setStringValue(value));
    }

    static NamedExpr named(String name, Expr expr) {
        return NamedExpr.newBuilder().setName(name).setExpr(expr).build();
    }

    static AggregateFunction aggregate(AggregateKind kind, String name, Expr... args) {
        return AggregateFunction.newBuilder().setKind(kind).setName(name).addAllArgs(List.of(args)).build();
    }

    /** A sort key in the given direction, NULLs where the plan's default puts them (there are none here). */
    static SortKey sortKey(Expr expr, boolean descending) {
        return SortKey.newBuilder().setExpr(expr).setDescending(descending).build();
    }

    private static Expr literal(DataType type, Literal.Builder value) {
        return Expr.newBuilder().setLiteral(value.setType(type)).build();
    }
}
