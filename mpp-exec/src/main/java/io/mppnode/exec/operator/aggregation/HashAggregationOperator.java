package io.mppnode.exec.operator.aggregation;

import static java.util.Objects.requireNonNull;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.hash.GroupByHash;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Hash aggregation in any mode ({@link Aggregations} has the semantics): each input batch's
 * group-by keys go through a {@link GroupByHash} to group ids, then every aggregate adds the
 * batch's arguments to its per-group state in one loop; when the input ends, the groups come
 * out in order of first appearance, at most {@code batchRows} per batch. With no group-by key
 * there is exactly one group, so an empty input still gives one row.
 *
 * <p>All state (distinct keys, accumulator arrays, distinct sets, strings) is in or accounted
 * to the context's allocator, so a query's memory limit stops a runaway aggregation with
 * "memory limit exceeded" naming this executor. Input batches are closed once added; output
 * batches belong to the caller.
 */
public final class HashAggregationOperator implements Operator {
    private final OperatorContext context;
    private final BoundAggregation aggregation;
    private final int batchRows;
    private final BufferAllocator allocator;
    private final HeapMemory heap;
    private final GroupByHash hash;
    private final List<Accumulator> accumulators = new ArrayList<>();
    private final List<Field> keyFields;
    private final int bytesPerGroup;
    private int capacity;
    private int groupCount;
    private int[] groups = new int[0];
    private int emitted;
    private boolean finishing;
    private boolean closed;

    public HashAggregationOperator(OperatorContext context, BoundAggregation aggregation, int batchRows) {
        this.context = requireNonNull(context, "context is null");
        this.aggregation = requireNonNull(aggregation, "aggregation is null");
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        this.batchRows = batchRows;
        this.allocator = context.allocator();
        this.heap = new HeapMemory(allocator);
        this.keyFields = new ArrayList<>();
        for (int i = 0; i < aggregation.groupBy().size(); i++) {
            keyFields.add(ColumnTypes.toArrowField(aggregation.groupNames().get(i), aggregation.groupBy().get(i).type()));
        }
        GroupByHash created = null;
        try {
            if (!aggregation.groupBy().isEmpty()) {
                created = new GroupByHash(aggregation.groupBy().stream().map(VectorExpr::type).toList(), allocator);
            }
            for (BoundAggregate aggregate : aggregation.aggregates()) {
                accumulators.add(Accumulator.create(context.executorId(), aggregate, heap, allocator));
            }
        } catch (RuntimeException | Error e) {
            if (created != null) {
                created.close();
            }
            accumulators.forEach(Accumulator::close);
            heap.close();
            throw e;
        }
        this.hash = created;
        this.bytesPerGroup = accumulators.stream().mapToInt(Accumulator::bytesPerGroup).sum();
        if (hash == null) {
            ensureCapacity(1);
            groupCount = 1;
        }
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public boolean needsInput() {
        return !finishing && !closed;
    }

    @Override
    public void addInput(VectorSchemaRoot batch) {
        try (batch) {
            if (!needsInput()) {
                throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
            }
            int rows = batch.getRowCount();
            if (rows == 0) {
                return;
            }
            if (groups.length < rows) {
                heap.reserve((long) (rows - groups.length) * Integer.BYTES);
                groups = new int[rows];
            }
            if (hash != null) {
                FieldVector[] keys = evaluate(aggregation.groupBy(), batch);
                try {
                    hash.putAll(keys, rows, groups);
                } finally {
                    closeAll(keys);
                }
                groupCount = hash.groupCount();
                ensureCapacity(groupCount);
            }
            for (int i = 0; i < accumulators.size(); i++) {
                FieldVector[] args = evaluate(aggregation.aggregates().get(i).args(), batch);
                try {
                    accumulators.get(i).add(groups, rows, args);
                } finally {
                    closeAll(args);
                }
            }
        }
    }

    @Override
    public VectorSchemaRoot getOutput() {
        if (!finishing || closed || emitted >= groupCount) {
            return null;
        }
        int count = Math.min(batchRows, groupCount - emitted);
        List<FieldVector> columns = new ArrayList<>(aggregation.columns().size());
        try {
            if (hash != null) {
                columns.addAll(hash.keyValues(emitted, count, keyFields, allocator));
            }
            for (int i = 0; i < accumulators.size(); i++) {
                List<ColumnSchema> outputs = aggregation.aggregates().get(i).outputs();
                FieldVector[] vectors = new FieldVector[outputs.size()];
                for (int k = 0; k < outputs.size(); k++) {
                    vectors[k] = newVector(outputs.get(k), count);
                    columns.add(vectors[k]);
                }
                accumulators.get(i).write(emitted, count, vectors);
                for (FieldVector vector : vectors) {
                    vector.setValueCount(count);
                }
            }
        } catch (RuntimeException | Error e) {
            columns.forEach(FieldVector::close);
            throw e;
        }
        emitted += count;
        List<Field> fields = columns.stream().map(FieldVector::getField).toList();
        return new VectorSchemaRoot(fields, columns, count);
    }

    @Override
    public void finish() {
        finishing = true;
    }

    @Override
    public boolean isFinished() {
        return closed || (finishing && emitted >= groupCount);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (hash != null) {
            hash.close();
        }
        accumulators.forEach(Accumulator::close);
        groups = null;
        heap.close();
    }

    private void ensureCapacity(int needed) {
        if (needed <= capacity) {
            return;
        }
        int grown = Math.max(needed, Math.max(16, capacity * 2));
        heap.reserve((long) (grown - capacity) * bytesPerGroup);
        for (Accumulator accumulator : accumulators) {
            accumulator.resize(grown);
        }
        capacity = grown;
    }

    private FieldVector newVector(ColumnSchema column, int rows) {
        FieldVector vector = ColumnTypes.toArrowField(column.name(), column.type()).createVector(allocator);
        try {
            if (vector instanceof VarCharVector strings) {
                strings.allocateNew((long) rows * 16, rows);
            } else {
                vector.setInitialCapacity(rows);
                vector.allocateNew();
            }
        } catch (RuntimeException | Error e) {
            vector.close();
            throw e;
        }
        return vector;
    }

    private FieldVector[] evaluate(List<VectorExpr> exprs, VectorSchemaRoot batch) {
        FieldVector[] values = new FieldVector[exprs.size()];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = exprs.get(i).evaluate(batch, allocator);
            }
        } catch (RuntimeException | Error e) {
            closeAll(values);
            throw e;
        }
        return values;
    }

    private static void closeAll(FieldVector[] vectors) {
        for (FieldVector vector : vectors) {
            if (vector != null) {
                vector.close();
            }
        }
    }
}
