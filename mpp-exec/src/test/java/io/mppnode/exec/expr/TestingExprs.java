package io.mppnode.exec.expr;

import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.FunctionCall;
import io.mppnode.proto.plan.Literal;
import io.mppnode.proto.plan.TypeKind;
import java.util.List;

/** Plan expressions for tests, written short: {@code call("plus", col("a"), int32(1))}. */
final class TestingExprs {
    private TestingExprs() {}

    static Expr col(String name) {
        return Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName(name)).build();
    }

    static Expr call(String name, Expr... args) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName(name).addAllArgs(List.of(args))).build();
    }

    static Expr and(Expr... args) {
        return call("and", args);
    }

    static Expr cast(Expr arg, DataType type) {
        return Expr.newBuilder().setCall(FunctionCall.newBuilder().setName("cast").addArgs(arg).setType(type)).build();
    }

    static Expr cast(Expr arg, TypeKind kind) {
        return cast(arg, ColumnTypes.of(kind));
    }

    static Expr literal(DataType type, Literal.Builder value) {
        return Expr.newBuilder().setLiteral(value.setType(type)).build();
    }

    static Expr int32(int value) {
        return literal(ColumnTypes.of(TypeKind.INT32), Literal.newBuilder().setInt64Value(value));
    }

    static Expr int64(long value) {
        return literal(ColumnTypes.of(TypeKind.INT64), Literal.newBuilder().setInt64Value(value));
    }

    static Expr float64(double value) {
        return literal(ColumnTypes.of(TypeKind.FLOAT64), Literal.newBuilder().setFloat64Value(value));
    }

    static Expr bool(boolean value) {
        return literal(ColumnTypes.of(TypeKind.BOOLEAN), Literal.newBuilder().setBoolValue(value));
    }

    static Expr string(String value) {
        return literal(ColumnTypes.of(TypeKind.STRING), Literal.newBuilder().setStringValue(value));
    }

    static Expr decimal(String value, int precision, int scale) {
        return literal(ColumnTypes.decimal(precision, scale), Literal.newBuilder().setStringValue(value));
    }

    static Expr date(String value) {
        return literal(ColumnTypes.of(TypeKind.DATE), Literal.newBuilder().setStringValue(value));
    }

    static Expr timestamp(String value) {
        return literal(ColumnTypes.of(TypeKind.TIMESTAMP), Literal.newBuilder().setStringValue(value));
    }

    static Expr nullLiteral(TypeKind kind) {
        return literal(ColumnTypes.of(kind), Literal.newBuilder().setIsNull(true));
    }

    static Expr nullLiteral(DataType type) {
        return literal(type, Literal.newBuilder().setIsNull(true));
    }
}
