package io.mppnode.benchmarks;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.Expressions;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.operator.SelectionOperator;
import io.mppnode.exec.operator.SortOperator;
import io.mppnode.exec.operator.aggregation.Aggregations;
import io.mppnode.exec.operator.aggregation.BoundAggregation;
import io.mppnode.exec.operator.aggregation.HashAggregationOperator;
import io.mppnode.exec.plan.Bindings;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Projection;
import io.mppnode.proto.plan.Selection;
import io.mppnode.proto.plan.SortKey;
import java.math.BigDecimal;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A workload of one operator fed straight from the table: each batch of {@link LineitemData},
 * pruned to the columns the plan reads and sharing the stored buffers (so no scan cost is
 * counted, as DuckDB's own scan of its table is), goes into a new operator instance; every
 * output batch is reduced to a number and closed as soon as it comes out. The plan is bound and
 * compiled once, as the planner does at dispatch; each run builds the operator and its context
 * (child allocator) anew, as a task would.
 */
final class SingleInputWorkload implements OperatorWorkload {
    private static final String EXECUTOR = "benchmark";

    private final int[] columnIndexes;
    private final Function<OperatorContext, Operator> operators;
    private final ToDoubleFunction<VectorSchemaRoot> reduce;

    private SingleInputWorkload(List<String> columns, Function<OperatorContext, Operator> operators,
            ToDoubleFunction<VectorSchemaRoot> reduce) {
        this.columnIndexes = LineitemData.columnIndexes(columns);
        this.operators = requireNonNull(operators, "operators is null");
        this.reduce = requireNonNull(reduce, "reduce is null");
    }

    /**
     * A Selection over {@code columns}; the checksum is the number of rows that pass (DuckDB's
     * query: {@code SELECT count(*) ... WHERE} the same conditions).
     *
     * @throws io.mppnode.error.MppException when a condition does not compile (not supported yet)
     */
    static SingleInputWorkload selection(List<String> columns, List<Expr> conditions) {
        List<VectorExpr> compiled = Expressions.conditions(EXECUTOR, Selection.newBuilder().addAllConditions(conditions).build(),
                LineitemData.columns(columns));
        return new SingleInputWorkload(columns, context -> new SelectionOperator(context, compiled),
                VectorSchemaRoot::getRowCount);
    }

    /**
     * A Projection over {@code columns}; the checksum is the sum of every value it computes
     * (DuckDB's query sums the same expressions).
     *
     * @throws io.mppnode.error.MppException when an expression does not compile (not supported yet)
     */
    static SingleInputWorkload projection(List<String> columns, List<NamedExpr> exprs) {
        Expressions.Projected projected = Expressions.projection(EXECUTOR, Projection.newBuilder().addAllExprs(exprs).build(),
                LineitemData.columns(columns));
        return new SingleInputWorkload(columns, context -> new ProjectionOperator(context, projected.names(), projected.exprs()),
                SingleInputWorkload::sumNumbers);
    }

    /**
     * A HashAggregation over {@code columns}, emitting batches of {@value LineitemData#BATCH_ROWS}
     * groups; the checksum is the sum of every numeric value of its output, string keys left
     * out (DuckDB's query returns the same numbers, or sums them).
     */
    static SingleInputWorkload aggregation(List<String> columns, Aggregation aggregation) {
        List<ColumnSchema> input = LineitemData.columns(columns);
        BoundAggregation bound = Aggregations.bind(EXECUTOR, aggregation, input);
        return new SingleInputWorkload(columns, context -> new HashAggregationOperator(context, bound, LineitemData.BATCH_ROWS),
                SingleInputWorkload::sumNumbers);
    }

    /**
     * A Sort over {@code columns} by {@code keys}, emitting batches of
     * {@value LineitemData#BATCH_ROWS} sorted rows; the checksum is the sum of every numeric
     * value of its output, string columns left out (DuckDB's query sums the same columns of its
     * sorted rows). The keys are bound as the planner binds a Sort's.
     */
    static SingleInputWorkload sort(List<String> columns, List<SortKey> keys) {
        Bindings.SortKeys bound = Bindings.sortKeys(EXECUTOR, keys, LineitemData.columns(columns));
        return new SingleInputWorkload(columns,
                context -> new SortOperator(context, bound.exprs(), bound.orders(), LineitemData.BATCH_ROWS),
                SingleInputWorkload::sumNumbers);
    }

    @Override
    public double runOurs(LineitemData data, BufferAllocator parent) {
        double checksum = 0;
        // Closed in reverse: the operator, then its context, whose allocator fails on a leak.
        try (OperatorContext context = new OperatorContext(EXECUTOR, parent); Operator operator = operators.apply(context)) {
            for (int batch = 0; batch < data.batchCount(); batch++) {
                operator.addInput(data.share(batch, columnIndexes));
                checksum += drain(operator);
            }
            operator.finish();
            checksum += drain(operator);
            if (!operator.isFinished()) {
                throw new IllegalStateException("operator not finished after its last output");
            }
        }
        return checksum;
    }

    private double drain(Operator operator) {
        double sum = 0;
        for (VectorSchemaRoot next = operator.getOutput(); next != null; next = operator.getOutput()) {
            try (VectorSchemaRoot output = next) {
                sum += reduce.applyAsDouble(output);
            }
        }
        return sum;
    }

    /**
     * The sum of every non-NULL numeric value of the batch (int32, int64, float64, decimal);
     * other columns (string keys) are left out. Decimals are summed exactly as unscaled longs
     * and scaled once per column, which holds for this table's values (an overflow fails).
     */
    static double sumNumbers(VectorSchemaRoot batch) {
        double sum = 0;
        int rows = batch.getRowCount();
        for (FieldVector vector : batch.getFieldVectors()) {
            switch (vector) {
                case IntVector ints -> {
                    long total = 0;
                    for (int i = 0; i < rows; i++) {
                        if (!ints.isNull(i)) {
                            total += ints.get(i);
                        }
                    }
                    sum += total;
                }
                case BigIntVector longs -> {
                    long total = 0;
                    for (int i = 0; i < rows; i++) {
                        if (!longs.isNull(i)) {
                            total = Math.addExact(total, longs.get(i));
                        }
                    }
                    sum += total;
                }
                case Float8Vector doubles -> {
                    for (int i = 0; i < rows; i++) {
                        if (!doubles.isNull(i)) {
                            sum += doubles.get(i);
                        }
                    }
                }
                case DecimalVector decimals -> sum += decimalSum(decimals, rows);
                default -> { }
            }
        }
        return sum;
    }

    private static double decimalSum(DecimalVector decimals, int rows) {
        ArrowBuf values = decimals.getDataBuffer();
        long unscaled = 0;
        for (int i = 0; i < rows; i++) {
            if (decimals.isNull(i)) {
                continue;
            }
            long low = values.getLong((long) i * DecimalVector.TYPE_WIDTH);
            long high = values.getLong((long) i * DecimalVector.TYPE_WIDTH + Long.BYTES);
            if (high != low >> 63) {
                throw new ArithmeticException("decimal " + decimals.getObject(i) + " does not fit a long unscaled");
            }
            unscaled = Math.addExact(unscaled, low);
        }
        return BigDecimal.valueOf(unscaled, decimals.getScale()).doubleValue();
    }
}
