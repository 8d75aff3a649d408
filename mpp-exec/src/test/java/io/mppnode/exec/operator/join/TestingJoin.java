package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.expr.ExprBinder;
import io.mppnode.exec.expr.ExprCompiler;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.JoinType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One hash join wired as the planner would: each build instance is a driver
 * {@code source -> HashBuildOperator}, each probe instance a driver
 * {@code source -> LookupJoinOperator -> sink}, all sharing one {@link JoinBridge} and one
 * join {@link OperatorContext} (a reference per instance). The rows of each side are split into
 * contiguous runs, one per instance of that side. {@link #close()} closes every driver and the
 * bridge.
 */
final class TestingJoin implements AutoCloseable {
    static final String EXECUTOR = "hash_join_2";
    /** Long enough for any of these joins: a driver returns when it finished or blocked. */
    static final long SLICE = TimeUnit.MINUTES.toNanos(1);

    final JoinBridge bridge;
    final OperatorContext joinContext;
    final List<TestingRowSource> buildSources = new ArrayList<>();
    final List<TestingRowSource> probeSources = new ArrayList<>();
    final List<Driver> buildDrivers = new ArrayList<>();
    final List<Driver> probeDrivers = new ArrayList<>();
    final List<TestingCollectingSink> sinks = new ArrayList<>();
    final int batchRows;

    private TestingJoin(Builder builder) {
        this.batchRows = builder.batchRows;
        boolean buildRight = builder.buildSide == BuildSide.BUILD_RIGHT;
        List<ColumnSchema> buildColumns = buildRight ? builder.rightColumns : builder.leftColumns;
        List<ColumnSchema> probeColumns = buildRight ? builder.leftColumns : builder.rightColumns;
        List<List<Object>> buildRows = buildRight ? builder.rightRows : builder.leftRows;
        List<List<Object>> probeRows = buildRight ? builder.leftRows : builder.rightRows;
        List<Expr> buildKeyExprs = buildRight ? builder.rightKeys : builder.leftKeys;
        List<Expr> probeKeyExprs = buildRight ? builder.leftKeys : builder.rightKeys;
        Schema buildSchema = arrowSchema(buildColumns);
        Schema probeSchema = arrowSchema(probeColumns);

        List<VectorExpr> buildKeys = compile(buildKeyExprs, buildColumns);
        List<VectorExpr> probeKeys = compile(probeKeyExprs, probeColumns);
        List<ColumnSchema> joined = new ArrayList<>(builder.leftColumns);
        joined.addAll(builder.rightColumns);
        VectorExpr condition = builder.condition == null ? null : new ExprCompiler(EXECUTOR)
                .compile(new ExprBinder(EXECUTOR, joined).bindCondition(builder.condition, "join condition"));

        bridge = builder.declareSchemas
                ? new JoinBridge(builder.builds, builder.probes, buildSchema, probeSchema)
                : new JoinBridge(builder.builds, builder.probes);
        joinContext = new OperatorContext(EXECUTOR, builder.joinParent);
        boolean firstReference = true;
        for (int i = 0; i < builder.builds; i++) {
            OperatorContext sourceContext = new OperatorContext("build_source_" + i, builder.allocator);
            TestingRowSource source = new TestingRowSource(sourceContext, buildSchema,
                    split(buildRows, i, builder.builds), builder.inputBatchRows);
            OperatorContext context = firstReference ? joinContext : joinContext.retain();
            firstReference = false;
            buildSources.add(source);
            buildDrivers.add(new Driver(List.of(source, new HashBuildOperator(context, buildKeys, bridge))));
        }
        for (int i = 0; i < builder.probes; i++) {
            OperatorContext sourceContext = new OperatorContext("probe_source_" + i, builder.allocator);
            TestingRowSource source = new TestingRowSource(sourceContext, probeSchema,
                    split(probeRows, i, builder.probes), builder.inputBatchRows);
            TestingCollectingSink sink = new TestingCollectingSink(new OperatorContext("sink_" + i, builder.allocator));
            OperatorContext context = joinContext.retain();
            LookupJoinOperator join = new LookupJoinOperator(context, bridge, builder.type, builder.buildSide,
                    probeKeys, condition, builder.batchRows);
            probeSources.add(source);
            sinks.add(sink);
            probeDrivers.add(new Driver(List.of(source, join, sink)));
        }
    }

    static Builder builder(BufferAllocator allocator) {
        return new Builder(allocator);
    }

    /**
     * Runs the probes until they wait for the table (which they must), then the builds, then the
     * probes, one step of each driver in turn, and returns every output row.
     */
    List<List<Object>> run() {
        for (Driver probe : probeDrivers) {
            assertThat(probe.process(SLICE)).as("a probe waits for the table").isNotDone();
        }
        runInTurn(buildDrivers);
        runInTurn(probeDrivers);
        return rows();
    }

    /** Runs every driver on its own thread of {@code executor}, probes first, and returns every output row. */
    List<List<Object>> runOnThreads(ExecutorService executor) throws Exception {
        List<Future<?>> running = new ArrayList<>();
        for (Driver driver : probeDrivers) {
            running.add(executor.submit(() -> runToEnd(driver)));
        }
        for (Driver driver : buildDrivers) {
            running.add(executor.submit(() -> runToEnd(driver)));
        }
        for (Future<?> future : running) {
            future.get(2, TimeUnit.MINUTES);
        }
        return rows();
    }

    List<List<Object>> rows() {
        List<List<Object>> rows = new ArrayList<>();
        for (TestingCollectingSink sink : sinks) {
            assertThat(sink.largestBatch()).as("batch size").isLessThanOrEqualTo(batchRows);
            rows.addAll(sink.rows());
        }
        return rows;
    }

    /** Runs the drivers one short step each in turn until all are finished; fails if all are blocked. */
    static void runInTurn(List<Driver> drivers) {
        while (!drivers.stream().allMatch(Driver::isFinished)) {
            List<CompletableFuture<Void>> blocked = new ArrayList<>();
            for (Driver driver : drivers) {
                if (!driver.isFinished()) {
                    CompletableFuture<Void> future = driver.process(0);
                    if (!future.isDone()) {
                        blocked.add(future);
                    }
                }
            }
            long running = drivers.stream().filter(driver -> !driver.isFinished()).count();
            if (running > 0 && blocked.size() == running) {
                throw new AssertionError("every unfinished driver is blocked");
            }
        }
    }

    private static void runToEnd(Driver driver) {
        try {
            while (!driver.isFinished()) {
                driver.process(TimeUnit.MILLISECONDS.toNanos(1)).get(1, TimeUnit.MINUTES);
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (Driver driver : buildDrivers) {
            failure = closeQuietly(driver, failure);
        }
        for (Driver driver : probeDrivers) {
            failure = closeQuietly(driver, failure);
        }
        bridge.close();
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException closeQuietly(Driver driver, RuntimeException failure) {
        try {
            driver.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }

    static Schema arrowSchema(List<ColumnSchema> columns) {
        return new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
    }

    private static List<VectorExpr> compile(List<Expr> exprs, List<ColumnSchema> columns) {
        ExprBinder binder = new ExprBinder(EXECUTOR, columns);
        ExprCompiler compiler = new ExprCompiler(EXECUTOR);
        return exprs.stream().map(expr -> compiler.compile(binder.bind(expr))).toList();
    }

    private static List<List<Object>> split(List<List<Object>> rows, int part, int parts) {
        int size = (rows.size() + parts - 1) / parts;
        int from = Math.min(rows.size(), part * size);
        int to = Math.min(rows.size(), from + size);
        return rows.subList(from, to);
    }

    static final class Builder {
        private final BufferAllocator allocator;
        private BufferAllocator joinParent;
        private List<ColumnSchema> leftColumns;
        private List<ColumnSchema> rightColumns;
        private List<List<Object>> leftRows = List.of();
        private List<List<Object>> rightRows = List.of();
        private JoinType type = JoinType.INNER;
        private BuildSide buildSide = BuildSide.BUILD_RIGHT;
        private List<Expr> leftKeys;
        private List<Expr> rightKeys;
        private Expr condition;
        private int builds = 1;
        private int probes = 1;
        private int batchRows = 1024;
        private int inputBatchRows = 700;
        private boolean declareSchemas;

        private Builder(BufferAllocator allocator) {
            this.allocator = requireNonNull(allocator, "allocator is null");
            this.joinParent = allocator;
        }

        Builder left(List<ColumnSchema> columns, List<List<Object>> rows) {
            leftColumns = columns;
            leftRows = rows;
            return this;
        }

        Builder right(List<ColumnSchema> columns, List<List<Object>> rows) {
            rightColumns = columns;
            rightRows = rows;
            return this;
        }

        Builder type(JoinType joinType, BuildSide side) {
            type = joinType;
            buildSide = side;
            return this;
        }

        Builder keys(List<Expr> left, List<Expr> right) {
            leftKeys = left;
            rightKeys = right;
            return this;
        }

        /** Over the joined columns (left's, then right's); null for none. */
        Builder condition(Expr expr) {
            condition = expr;
            return this;
        }

        Builder instances(int buildInstances, int probeInstances) {
            builds = buildInstances;
            probes = probeInstances;
            return this;
        }

        Builder batchRows(int rows) {
            batchRows = rows;
            return this;
        }

        Builder inputBatchRows(int rows) {
            inputBatchRows = rows;
            return this;
        }

        /** Gives the bridge both sides' columns (else it learns them from batches). */
        Builder declareSchemas() {
            declareSchemas = true;
            return this;
        }

        /** The parent of the join's allocator (a limited one, say); the sources and sinks use the builder's. */
        Builder joinParent(BufferAllocator parent) {
            joinParent = parent;
            return this;
        }

        TestingJoin build() {
            return new TestingJoin(this);
        }
    }
}
