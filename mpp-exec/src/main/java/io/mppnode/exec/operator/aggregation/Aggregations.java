package io.mppnode.exec.operator.aggregation;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.AggregateFunction;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Type-checks an Aggregation executor against its input. The validator calls this at dispatch
 * and the planner again to build the operator. The rules (the README's "Plans" section repeats
 * them):
 * <ul>
 *   <li>Output columns: the group-by keys in order, then each aggregate's columns in order; every
 *       name non-empty and unique. With no group-by key the aggregation has exactly one output
 *       row, also for an empty input.
 *   <li><b>count</b>() counts rows, <b>count</b>(x) the rows where x is not NULL: INT64, never
 *       NULL. <b>count_distinct</b>(x, ...) counts distinct combinations with no NULL: INT64.
 *   <li><b>sum</b>(x): INT32 and INT64 sum into INT64 (overflow is an error), FLOAT64 into
 *       FLOAT64, decimal(p, s) into decimal(38, s) (overflow is an error). NULL when no row has
 *       a value.
 *   <li><b>avg</b>(x): FLOAT64 gives FLOAT64; integers and decimal(p, s) give the exact
 *       decimal(38, min(38, s + 4)) (integers have s = 0), rounded half up, as division does.
 *   <li><b>min</b>, <b>max</b>(x of any type): that type; strings by their UTF-8 bytes, NaN
 *       above every other FLOAT64.
 *   <li><b>Modes.</b> COMPLETE takes rows and gives the values above. PARTIAL takes rows and
 *       gives states: count as INT64, sum in the sum type, min and max in the argument's type,
 *       and avg as two columns {@code <name>_sum} (FLOAT64, or decimal(38, s) for integers and
 *       decimals) and {@code <name>_count} (INT64). FINAL takes those states: count(c) and sum(c)
 *       add them up (count's result is never NULL), min and max take theirs, avg(sum, count)
 *       divides. So a PARTIAL on each node, a hash exchange on the keys and a FINAL give what
 *       one COMPLETE gives. count_distinct runs only in COMPLETE mode: for two phases, run a
 *       COMPLETE aggregation grouping by the keys and the distinct column first, exchange on the
 *       keys, then count_distinct in COMPLETE mode.
 * </ul>
 */
public final class Aggregations {
    private static final DataType INT64 = ColumnTypes.of(TypeKind.INT64);
    private static final DataType FLOAT64 = ColumnTypes.of(TypeKind.FLOAT64);

    private Aggregations() {}

    public static BoundAggregation bind(String executorId, Aggregation aggregation, List<ColumnSchema> input) {
        String where = "executor '" + executorId + "'";
        if (aggregation.getGroupByCount() == 0 && aggregation.getAggregatesCount() == 0) {
            throw invalid(where + ": an Aggregation needs a group-by key or an aggregate function");
        }
        AggregationMode mode = aggregation.getMode();
        if (mode == AggregationMode.UNRECOGNIZED) {
            throw invalid(where + ": unknown aggregation mode " + aggregation.getModeValue());
        }
        ExprBinder binder = new ExprBinder(executorId, input);
        ExprCompiler compiler = new ExprCompiler(executorId);
        Set<String> names = new HashSet<>();
        List<String> groupNames = new ArrayList<>();
        List<VectorExpr> groupBy = new ArrayList<>();
        List<ColumnSchema> columns = new ArrayList<>();
        for (NamedExpr key : aggregation.getGroupByList()) {
            String name = name(where, key.getName(), "group-by key " + (groupNames.size() + 1), names);
            VectorExpr expr = compiler.compile(binder.bind(key.getExpr()));
            groupNames.add(name);
            groupBy.add(expr);
            columns.add(new ColumnSchema(name, expr.type()));
        }
        List<BoundAggregate> aggregates = new ArrayList<>();
        for (int i = 0; i < aggregation.getAggregatesCount(); i++) {
            AggregateFunction function = aggregation.getAggregates(i);
            String what = "aggregate " + (i + 1) + " (" + kindName(function.getKind()) + ")";
            List<VectorExpr> args = new ArrayList<>();
            for (Expr arg : function.getArgsList()) {
                args.add(compiler.compile(binder.bind(arg)));
            }
            List<DataType> types = resultTypes(where + ": " + what, function.getKind(), mode,
                    args.stream().map(VectorExpr::type).toList());
            List<ColumnSchema> outputs = new ArrayList<>();
            if (types.size() == 2) {
                String base = function.getName().isEmpty() ? "" : function.getName();
                outputs.add(new ColumnSchema(name(where, base.isEmpty() ? "" : base + "_sum", what, names), types.get(0)));
                outputs.add(new ColumnSchema(name(where, base.isEmpty() ? "" : base + "_count", what, names), types.get(1)));
            } else {
                outputs.add(new ColumnSchema(name(where, function.getName(), what, names), types.getFirst()));
            }
            aggregates.add(new BoundAggregate(function.getKind(), mode, args, outputs));
            columns.addAll(outputs);
        }
        return new BoundAggregation(groupNames, groupBy, aggregates, columns);
    }

    /** The output column types of one aggregate: two for a partial avg, else one. */
    static List<DataType> resultTypes(String where, AggregateKind kind, AggregationMode mode, List<DataType> args) {
        return switch (kind) {
            case COUNT -> {
                if (mode == AggregationMode.FINAL) {
                    arguments(where, args, 1, "the partial count column");
                    requireKind(where, args.getFirst(), "a partial count", TypeKind.INT64);
                } else if (args.size() > 1) {
                    throw invalid(where + ": takes no argument (count rows) or one, got " + args.size());
                }
                yield List.of(INT64);
            }
            case COUNT_DISTINCT -> {
                if (mode != AggregationMode.COMPLETE) {
                    throw invalid(where + ": count_distinct runs only in COMPLETE mode, not " + mode
                            + "; for two phases group by the distinct columns first (see the README, \"Plans\")");
                }
                if (args.isEmpty()) {
                    throw invalid(where + ": takes one or more arguments, got none");
                }
                yield List.of(INT64);
            }
            case SUM -> {
                arguments(where, args, 1, "one argument");
                yield List.of(sumType(where, args.getFirst()));
            }
            case AVG -> {
                if (mode == AggregationMode.FINAL) {
                    arguments(where, args, 2, "the partial sum and count columns");
                    DataType sum = args.get(0);
                    requireKind(where, sum, "a partial avg sum", TypeKind.FLOAT64, TypeKind.DECIMAL);
                    requireKind(where, args.get(1), "a partial avg count", TypeKind.INT64);
                    yield List.of(avgType(avgSumType(where, sum)));
                }
                arguments(where, args, 1, "one argument");
                DataType sum = avgSumType(where, args.getFirst());
                yield mode == AggregationMode.PARTIAL ? List.of(sum, INT64) : List.of(avgType(sum));
            }
            case MIN, MAX -> {
                arguments(where, args, 1, "one argument");
                yield List.of(args.getFirst());
            }
            default -> throw invalid(where + ": unknown aggregate function; the functions are count, count_distinct,"
                    + " sum, avg, min, max");
        };
    }

    static DataType sumType(String where, DataType arg) {
        return switch (arg.getKind()) {
            case INT32, INT64 -> INT64;
            case FLOAT64 -> FLOAT64;
            case DECIMAL -> ColumnTypes.decimal(ColumnTypes.MAX_DECIMAL_PRECISION, arg.getScale());
            default -> throw invalid(where + ": takes a number, got " + ColumnTypes.describe(arg));
        };
    }

    static DataType avgSumType(String where, DataType arg) {
        return switch (arg.getKind()) {
            case INT32, INT64 -> ColumnTypes.decimal(ColumnTypes.MAX_DECIMAL_PRECISION, 0);
            case FLOAT64 -> FLOAT64;
            case DECIMAL -> ColumnTypes.decimal(ColumnTypes.MAX_DECIMAL_PRECISION, arg.getScale());
            default -> throw invalid(where + ": takes a number, got " + ColumnTypes.describe(arg));
        };
    }

    static DataType avgType(DataType sum) {
        if (sum.getKind() == TypeKind.FLOAT64) {
            return FLOAT64;
        }
        return ColumnTypes.decimal(ColumnTypes.MAX_DECIMAL_PRECISION, Math.min(ColumnTypes.MAX_DECIMAL_PRECISION, sum.getScale() + 4));
    }

    static String kindName(AggregateKind kind) {
        return kind == AggregateKind.UNRECOGNIZED || kind == AggregateKind.AGGREGATE_KIND_UNSPECIFIED
                ? "unspecified" : kind.name().toLowerCase(Locale.ROOT);
    }

    private static void arguments(String where, List<DataType> args, int count, String what) {
        if (args.size() != count) {
            throw invalid(where + ": takes " + what + ", got " + args.size() + " argument" + (args.size() == 1 ? "" : "s"));
        }
    }

    private static void requireKind(String where, DataType type, String what, TypeKind... kinds) {
        for (TypeKind kind : kinds) {
            if (type.getKind() == kind) {
                return;
            }
        }
        throw invalid(where + ": " + what + " must be " + String.join(" or ",
                java.util.Arrays.stream(kinds).map(kind -> kind.name().toLowerCase(Locale.ROOT)).toList())
                + ", got " + ColumnTypes.describe(type));
    }

    private static String name(String where, String name, String what, Set<String> names) {
        if (name.isEmpty()) {
            throw invalid(where + ": " + what + " has no output name");
        }
        if (!names.add(name)) {
            throw invalid(where + ": output column '" + name + "' is named twice");
        }
        return name;
    }

    private static MppException invalid(String message) {
        return new MppException(ErrorCode.INVALID_PLAN, message);
    }
}
