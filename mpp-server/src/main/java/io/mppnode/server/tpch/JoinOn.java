package io.mppnode.server.tpch;

import static io.mppnode.server.tpch.Exprs.col;

import io.mppnode.proto.plan.Expr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The condition of a join: equi keys (left column = right column, at least one) and other
 * conditions over the joined columns. {@code on("l_orderkey", "o_orderkey").and("l_suppkey",
 * "s_suppkey").where(ne(col("l2_suppkey"), col("l_suppkey")))}.
 */
public record JoinOn(List<Expr> leftKeys, List<Expr> rightKeys, List<Expr> others) {
    public JoinOn {
        leftKeys = List.copyOf(leftKeys);
        rightKeys = List.copyOf(rightKeys);
        others = List.copyOf(others);
    }

    /** {@code left = right}, a column of the left child and one of the right child. */
    public static JoinOn on(String left, String right) {
        return new JoinOn(List.of(col(left)), List.of(col(right)), List.of());
    }

    /** Another equi key. */
    public JoinOn and(String left, String right) {
        List<Expr> l = new ArrayList<>(leftKeys);
        List<Expr> r = new ArrayList<>(rightKeys);
        l.add(col(left));
        r.add(col(right));
        return new JoinOn(l, r, others);
    }

    /** Other conditions, over the left child's columns and the right child's. */
    public JoinOn where(Expr... conditions) {
        List<Expr> o = new ArrayList<>(others);
        o.addAll(Arrays.asList(conditions));
        return new JoinOn(leftKeys, rightKeys, o);
    }
}
