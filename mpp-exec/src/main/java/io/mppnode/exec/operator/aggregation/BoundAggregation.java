package io.mppnode.exec.operator.aggregation;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.storage.ColumnSchema;
import java.util.List;

/**
 * An Aggregation executor, type-checked ({@link Aggregations#bind}): the group-by keys (names
 * and compiled expressions), the aggregates, and the output columns: the keys, then each
 * aggregate's outputs, in plan order.
 */
public record BoundAggregation(List<String> groupNames, List<VectorExpr> groupBy, List<BoundAggregate> aggregates,
        List<ColumnSchema> columns) {
    public BoundAggregation {
        groupNames = List.copyOf(groupNames);
        groupBy = List.copyOf(groupBy);
        aggregates = List.copyOf(aggregates);
        columns = List.copyOf(columns);
        if (groupNames.size() != groupBy.size()) {
            throw new IllegalArgumentException(groupNames.size() + " names for " + groupBy.size() + " group-by keys");
        }
    }
}
