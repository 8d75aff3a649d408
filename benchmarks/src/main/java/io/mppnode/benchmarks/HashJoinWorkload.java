package io.mppnode.benchmarks;

import static io.mppnode.benchmarks.PlanExprs.col;
import static java.util.Objects.requireNonNull;

import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.join.HashBuildOperator;
import io.mppnode.exec.operator.join.JoinBridge;
import io.mppnode.exec.operator.join.LookupJoinOperator;
import io.mppnode.exec.plan.Bindings;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.Join;
import io.mppnode.proto.plan.JoinType;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Our side of the hash join benchmarks: {@code lineitem JOIN orders ON l_orderkey = o_orderkey},
 * INNER, {@link OrdersData} (the right child, 1,048,576 rows, unique keys) as the build side and
 * {@link LineitemData} pruned to {@code l_orderkey, l_quantity} as the probe side, so that each
 * probe row finds exactly one build row. Wired as the planner wires a join with one build and
 * one probe instance: a {@link HashBuildOperator} and a {@link LookupJoinOperator} sharing one
 * {@link JoinBridge} and one {@link OperatorContext} (the build holds a {@code share()}d
 * reference, each probe a {@code retain()}ed one); the join is bound once, as the planner does
 * at dispatch. Both sides are fed the stored batches zero-copy, as in {@link SingleInputWorkload}.
 *
 * <p>The output, {@code l_orderkey, l_quantity, o_orderkey, o_custkey}, comes in batches of
 * {@value LineitemData#BATCH_ROWS} rows, each reduced to the sum of its values and closed at
 * once; the checksum is the total (DuckDB's query sums the same four columns of the join).
 */
final class HashJoinWorkload implements OperatorWorkload {
    private static final String EXECUTOR = "hash_join";
    private static final List<String> PROBE_COLUMNS = List.of("l_orderkey", "l_quantity");
    private static final Join JOIN = Join.newBuilder().setType(JoinType.INNER).setBuildSide(BuildSide.BUILD_RIGHT)
            .addLeftKeys(col("l_orderkey")).addRightKeys(col("o_orderkey")).build();

    private final OrdersData orders;
    private final int[] probeColumnIndexes = LineitemData.columnIndexes(PROBE_COLUMNS);
    private final Schema buildSchema = arrowSchema(OrdersData.COLUMNS);
    private final Schema probeSchema = arrowSchema(LineitemData.columns(PROBE_COLUMNS));
    private final Bindings.BoundJoin bound = Bindings.join(EXECUTOR, JOIN, LineitemData.columns(PROBE_COLUMNS), OrdersData.COLUMNS);

    /** @param orders the build side's rows, which stay the caller's */
    HashJoinWorkload(OrdersData orders) {
        this.orders = requireNonNull(orders, "orders is null");
    }

    /** Builds the table from every row of {@code orders}, then probes it with every batch of {@code data}. */
    @Override
    public double runOurs(LineitemData data, BufferAllocator parent) {
        try (BuiltJoin join = build(parent, 1)) {
            return join.probe(data);
        }
    }

    /**
     * Builds the table and lets it go again: the build half alone (feeding every batch of
     * {@code orders} to the build operator and finishing it, which builds and publishes the
     * table), then freeing it. Returns the number of build rows.
     */
    long buildOnly(BufferAllocator parent) {
        try (BuiltJoin join = build(parent, 1)) {
            return join.buildRows;
        }
    }

    /**
     * Builds the table from every row of {@code orders}, in a new join context (a child allocator
     * of {@code parent}), and returns the join with its table published, ready for up to
     * {@code probes} probes, one after the other. The caller closes it.
     */
    BuiltJoin build(BufferAllocator parent, int probes) {
        return new BuiltJoin(parent, probes);
    }

    /**
     * A join whose table is built and published: {@link #probe} streams a probe side through it,
     * as many times as declared. {@link #close()} closes the build operator, then the bridge
     * (which frees the table), then gives back the build's context reference, the last one, which
     * closes the join's allocator and fails on a leak. Not thread-safe.
     */
    final class BuiltJoin implements AutoCloseable {
        private final JoinBridge bridge;
        /** The build's reference to the join context (the probes take theirs from it). */
        private final OperatorContext context;
        private final HashBuildOperator build;
        private long buildRows;

        private BuiltJoin(BufferAllocator parent, int probes) {
            bridge = new JoinBridge(1, probes, buildSchema, probeSchema);
            OperatorContext created = new OperatorContext(EXECUTOR, parent);
            HashBuildOperator operator;
            try {
                context = created.share();
                try {
                    operator = new HashBuildOperator(context, bound.rightKeys(), bridge);
                } catch (RuntimeException | Error e) {
                    context.close();
                    throw e;
                }
            } catch (RuntimeException | Error e) {
                bridge.close();
                throw e;
            } finally {
                created.close(); // the build's reference keeps the context open
            }
            build = operator;
            try {
                for (int batch = 0; batch < orders.batchCount(); batch++) {
                    VectorSchemaRoot input = orders.share(batch);
                    buildRows += input.getRowCount();
                    build.addInput(input);
                }
                build.finish(); // the only build instance: builds the table and publishes it
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /**
         * Streams every batch of {@code data} (pruned to the probe columns, zero-copy) through a
         * new probe operator, consuming all its output, and returns the sum of every output value.
         */
        double probe(LineitemData data) {
            OperatorContext probeContext = context.retain();
            LookupJoinOperator probe;
            try {
                probe = new LookupJoinOperator(probeContext, bridge, JOIN.getType(), JOIN.getBuildSide(),
                        bound.leftKeys(), bound.otherCondition(), LineitemData.BATCH_ROWS);
            } catch (RuntimeException | Error e) {
                probeContext.close();
                throw e;
            }
            try (probeContext; probe) { // closed in reverse: the operator, then its context reference
                if (!probe.isBlocked().isDone()) {
                    throw new IllegalStateException("the join's table is not published after its build finished");
                }
                double checksum = 0;
                for (int batch = 0; batch < data.batchCount(); batch++) {
                    probe.addInput(data.share(batch, probeColumnIndexes));
                    checksum += drain(probe);
                }
                probe.finish();
                checksum += drain(probe);
                if (!probe.isFinished()) {
                    throw new IllegalStateException("probe not finished after its last output");
                }
                return checksum;
            }
        }

        @Override
        public void close() {
            try {
                build.close();
            } finally {
                try {
                    bridge.close();
                } finally {
                    context.close();
                }
            }
        }
    }

    /** Consumes output until the operator wants input again or is finished; returns the sum of its values. */
    private static double drain(Operator operator) {
        double sum = 0;
        while (true) {
            VectorSchemaRoot next = operator.getOutput();
            if (next != null) {
                try (VectorSchemaRoot output = next) {
                    sum += SingleInputWorkload.sumNumbers(output);
                }
            } else if (operator.needsInput() || operator.isFinished()) {
                return sum;
            }
        }
    }

    private static Schema arrowSchema(List<ColumnSchema> columns) {
        return new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
    }
}
