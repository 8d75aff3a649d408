package io.mppnode.exec.expr;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Projection;
import io.mppnode.proto.plan.Selection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The expressions of Selection and Projection executors, bound and compiled: the validator
 * calls these at dispatch (so every type error, and every function not implemented yet, is
 * refused there, naming the executor) and the planner again to build the operators.
 */
public final class Expressions {
    private Expressions() {}

    /** A Selection's conditions: at least one, each BOOLEAN. */
    public static List<VectorExpr> conditions(String executorId, Selection selection, List<ColumnSchema> input) {
        if (selection.getConditionsCount() == 0) {
            throw new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': a Selection needs at least one condition");
        }
        ExprBinder binder = new ExprBinder(executorId, input);
        ExprCompiler compiler = new ExprCompiler(executorId);
        List<VectorExpr> conditions = new ArrayList<>();
        for (int i = 0; i < selection.getConditionsCount(); i++) {
            conditions.add(compiler.compile(binder.bindCondition(selection.getConditions(i), "condition " + (i + 1))));
        }
        return conditions;
    }

    /** A Projection's output: names, compiled expressions and the columns they make. */
    public record Projected(List<String> names, List<VectorExpr> exprs, List<ColumnSchema> columns) {}

    /** A Projection's expressions: at least one, each with a unique, non-empty name. */
    public static Projected projection(String executorId, Projection projection, List<ColumnSchema> input) {
        if (projection.getExprsCount() == 0) {
            throw new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': a Projection needs at least one expression");
        }
        ExprBinder binder = new ExprBinder(executorId, input);
        ExprCompiler compiler = new ExprCompiler(executorId);
        List<String> names = new ArrayList<>();
        List<VectorExpr> exprs = new ArrayList<>();
        List<ColumnSchema> columns = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (NamedExpr named : projection.getExprsList()) {
            if (named.getName().isEmpty()) {
                throw new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': expression " + (names.size() + 1)
                        + " has no output name");
            }
            if (!seen.add(named.getName())) {
                throw new MppException(ErrorCode.INVALID_PLAN, "executor '" + executorId + "': output column '" + named.getName()
                        + "' is named twice");
            }
            VectorExpr expr = compiler.compile(binder.bind(named.getExpr()));
            names.add(named.getName());
            exprs.add(expr);
            columns.add(new ColumnSchema(named.getName(), expr.type()));
        }
        return new Projected(names, exprs, columns);
    }
}
