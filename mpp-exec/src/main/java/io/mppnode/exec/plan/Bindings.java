package io.mppnode.exec.plan;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.expr.BoundExpr;
import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.Function;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.SortOrder;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Join;
import io.mppnode.proto.plan.JoinType;
import io.mppnode.proto.plan.SortKey;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The expressions of Sort, TopN and Join executors, type-checked and compiled. The validator
 * calls these at dispatch, so every problem is refused there naming the executor; the planner
 * calls them again for each operator instance.
 */
public final class Bindings {
    private Bindings() {}

    /** Compiled sort keys and their orders. */
    public record SortKeys(List<VectorExpr> exprs, List<SortOrder> orders) {
        public SortKeys {
            exprs = List.copyOf(exprs);
            orders = List.copyOf(orders);
        }
    }

    /** Sort and TopN keys: at least one, any type; NULLS_DEFAULT is nulls first ascending, last descending. */
    public static SortKeys sortKeys(String executorId, List<SortKey> keys, List<ColumnSchema> input) {
        if (keys.isEmpty()) {
            throw invalid("executor '" + executorId + "': needs at least one order_by key");
        }
        ExprBinder binder = new ExprBinder(executorId, input);
        ExprCompiler compiler = new ExprCompiler(executorId);
        List<VectorExpr> exprs = new ArrayList<>();
        List<SortOrder> orders = new ArrayList<>();
        for (SortKey key : keys) {
            if (key.getNullsValue() < 0 || key.getNulls() == io.mppnode.proto.plan.NullOrder.UNRECOGNIZED) {
                throw invalid("executor '" + executorId + "': unknown null order " + key.getNullsValue());
            }
            exprs.add(compiler.compile(binder.bind(key.getExpr())));
            orders.add(SortOrder.fromPlan(key.getDescending(), key.getNulls()));
        }
        return new SortKeys(exprs, orders);
    }

    /**
     * A Join, bound: the keys of each side cast to their pair's common type, the other
     * conditions (ANDed, over the left columns then the right ones), and the output columns.
     */
    public record BoundJoin(List<VectorExpr> leftKeys, List<VectorExpr> rightKeys, VectorExpr otherCondition,
            List<ColumnSchema> joinedColumns, List<ColumnSchema> output) {
        public BoundJoin {
            leftKeys = List.copyOf(leftKeys);
            rightKeys = List.copyOf(rightKeys);
            joinedColumns = List.copyOf(joinedColumns);
            output = List.copyOf(output);
        }
    }

    /**
     * Checks a Join: a known type and build side; as many left keys (over the left child) as
     * right keys (over the right child), at least one, each pair with a common type (two
     * strings, two booleans, or numbers, dates and timestamps that meet; see ExprBinder); one
     * key for NULL_AWARE_ANTI_SEMI; column names unique across both sides (project to rename);
     * other conditions BOOLEAN over the joined columns. INNER, LEFT_OUTER and RIGHT_OUTER output
     * the left columns then the right ones; the semi and anti joins the left columns.
     */
    public static BoundJoin join(String executorId, Join join, List<ColumnSchema> left, List<ColumnSchema> right) {
        String where = "executor '" + executorId + "'";
        if (join.getType() == JoinType.UNRECOGNIZED || join.getBuildSide() == BuildSide.UNRECOGNIZED) {
            throw invalid(where + ": unknown join type or build side");
        }
        if (join.getLeftKeysCount() == 0 || join.getLeftKeysCount() != join.getRightKeysCount()) {
            throw invalid(where + ": a Join needs as many left keys as right keys, at least one; got "
                    + join.getLeftKeysCount() + " and " + join.getRightKeysCount());
        }
        if (join.getType() == JoinType.NULL_AWARE_ANTI_SEMI && join.getLeftKeysCount() != 1) {
            throw invalid(where + ": a NULL_AWARE_ANTI_SEMI join takes exactly one key, got " + join.getLeftKeysCount());
        }
        List<ColumnSchema> joined = new ArrayList<>(left);
        joined.addAll(right);
        Set<String> names = new HashSet<>();
        for (ColumnSchema column : joined) {
            if (!names.add(column.name())) {
                throw invalid(where + ": column '" + column.name() + "' comes from both sides of the join;"
                        + " a Projection below the join must rename one of them");
            }
        }
        ExprBinder leftBinder = new ExprBinder(executorId, left);
        ExprBinder rightBinder = new ExprBinder(executorId, right);
        ExprCompiler compiler = new ExprCompiler(executorId);
        List<VectorExpr> leftKeys = new ArrayList<>();
        List<VectorExpr> rightKeys = new ArrayList<>();
        for (int i = 0; i < join.getLeftKeysCount(); i++) {
            BoundExpr leftKey = leftBinder.bind(join.getLeftKeys(i));
            BoundExpr rightKey = rightBinder.bind(join.getRightKeys(i));
            DataType common = keyType(where, i, leftKey.type(), rightKey.type(), leftBinder);
            leftKeys.add(compiler.compile(castTo(leftKey, common)));
            rightKeys.add(compiler.compile(castTo(rightKey, common)));
        }
        VectorExpr other = null;
        if (join.getOtherConditionsCount() > 0) {
            ExprBinder joinedBinder = new ExprBinder(executorId, joined);
            List<BoundExpr> conditions = new ArrayList<>();
            for (int i = 0; i < join.getOtherConditionsCount(); i++) {
                conditions.add(joinedBinder.bindCondition(join.getOtherConditions(i), "other condition " + (i + 1)));
            }
            other = compiler.compile(conditions.size() == 1 ? conditions.getFirst()
                    : new BoundExpr.Call(Function.AND, conditions, ColumnTypes.of(TypeKind.BOOLEAN)));
        }
        List<ColumnSchema> output = switch (join.getType()) {
            case INNER, LEFT_OUTER, RIGHT_OUTER -> joined;
            default -> left;
        };
        return new BoundJoin(leftKeys, rightKeys, other, joined, output);
    }

    private static DataType keyType(String where, int index, DataType left, DataType right, ExprBinder binder) {
        if (left.equals(right)) {
            return left;
        }
        TypeKind a = left.getKind();
        TypeKind b = right.getKind();
        DataType common = null;
        if (a != TypeKind.STRING && b != TypeKind.STRING && a != TypeKind.BOOLEAN && b != TypeKind.BOOLEAN) {
            try {
                common = binder.commonType(left, right);
            } catch (MppException e) {
                common = null;
            }
        }
        if (common == null) {
            throw new MppException(ErrorCode.INVALID_PLAN, where + ": join key " + (index + 1) + " compares "
                    + ColumnTypes.describe(left) + " with " + ColumnTypes.describe(right) + ", which have no common type");
        }
        return common;
    }

    private static BoundExpr castTo(BoundExpr expr, DataType type) {
        return expr.type().equals(type) ? expr : new BoundExpr.Call(Function.CAST, List.of(expr), type);
    }

    private static MppException invalid(String message) {
        return new MppException(ErrorCode.INVALID_PLAN, message);
    }
}
