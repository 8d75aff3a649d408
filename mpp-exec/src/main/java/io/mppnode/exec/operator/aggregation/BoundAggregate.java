package io.mppnode.exec.operator.aggregation;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.AggregationMode;
import java.util.List;

/**
 * One aggregate function of an Aggregation, type-checked ({@link Aggregations#bind}): its kind,
 * the mode it runs in, its compiled arguments, and the output columns it makes (two for a
 * partial avg, its sum and its count; one otherwise).
 */
public record BoundAggregate(AggregateKind kind, AggregationMode mode, List<VectorExpr> args, List<ColumnSchema> outputs) {
    public BoundAggregate {
        requireNonNull(kind, "kind is null");
        requireNonNull(mode, "mode is null");
        args = List.copyOf(args);
        outputs = List.copyOf(outputs);
    }
}
