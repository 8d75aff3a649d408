package io.mppnode.server.tpch;

import static io.mppnode.server.tpch.Exprs.col;

import io.mppnode.proto.plan.AggregateFunction;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.Expr;
import java.util.Arrays;
import java.util.List;

/**
 * One aggregate of a query, {@code kind(args) AS name}, written once and turned into the
 * function of each aggregation mode: COMPLETE and PARTIAL take {@code args}; FINAL takes the
 * partial state columns (see {@code io.mppnode.exec.operator.aggregation.Aggregations}):
 * {@code sum(name)}, {@code count(name)}, {@code min(name)}, {@code max(name)} and
 * {@code avg(name_sum, name_count)}, each again named {@code name}.
 */
public record Agg(AggregateKind kind, String name, List<Expr> args) {
    public Agg {
        args = List.copyOf(args);
    }

    public static Agg sum(String name, Expr arg) {
        return new Agg(AggregateKind.SUM, name, List.of(arg));
    }

    public static Agg avg(String name, Expr arg) {
        return new Agg(AggregateKind.AVG, name, List.of(arg));
    }

    public static Agg min(String name, Expr arg) {
        return new Agg(AggregateKind.MIN, name, List.of(arg));
    }

    public static Agg max(String name, Expr arg) {
        return new Agg(AggregateKind.MAX, name, List.of(arg));
    }

    /** {@code count(*)}. */
    public static Agg count(String name) {
        return new Agg(AggregateKind.COUNT, name, List.of());
    }

    /** {@code count(arg)}: the rows where arg is not NULL. */
    public static Agg count(String name, Expr arg) {
        return new Agg(AggregateKind.COUNT, name, List.of(arg));
    }

    /** {@code count(DISTINCT args)}: COMPLETE mode only. */
    public static Agg countDistinct(String name, Expr... args) {
        return new Agg(AggregateKind.COUNT_DISTINCT, name, Arrays.asList(args));
    }

    /** The function for an aggregation in {@code mode}. */
    public AggregateFunction function(AggregationMode mode) {
        AggregateFunction.Builder function = AggregateFunction.newBuilder().setKind(kind).setName(name);
        if (mode != AggregationMode.FINAL) {
            return function.addAllArgs(args).build();
        }
        return switch (kind) {
            case SUM, COUNT, MIN, MAX -> function.addArgs(col(name)).build();
            case AVG -> function.addArgs(col(name + "_sum")).addArgs(col(name + "_count")).build();
            default -> throw new IllegalArgumentException(kind + " has no FINAL form; " + name
                    + " must be computed in COMPLETE mode after an exchange on its group keys");
        };
    }
}
