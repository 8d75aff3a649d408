package io.mppnode.benchmarks;

import static io.mppnode.benchmarks.PlanExprs.aggregate;
import static io.mppnode.benchmarks.PlanExprs.call;
import static io.mppnode.benchmarks.PlanExprs.col;
import static io.mppnode.benchmarks.PlanExprs.date;
import static io.mppnode.benchmarks.PlanExprs.decimal;
import static io.mppnode.benchmarks.PlanExprs.float64;
import static io.mppnode.benchmarks.PlanExprs.int32;
import static io.mppnode.benchmarks.PlanExprs.named;
import static io.mppnode.benchmarks.PlanExprs.sortKey;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.AggregateKind;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.AggregationMode;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the execution engine's operators against DuckDB doing the same operation on the
 * same rows in the same run, in rows per second (the score: input rows of {@link LineitemData},
 * 4,194,304 in 512 batches of 8192, in memory; one operation reads all of them once).
 *
 * <p>The {@link Contender}s:
 * <ul>
 *   <li>{@code MPP}: our operator ({@link SingleInputWorkload}, or the two halves of a hash join,
 *       {@link HashJoinWorkload}) on the benchmark thread, fed the
 *       stored Arrow batches pruned to the columns the plan reads, zero-copy (no scan cost: our
 *       TableScan copies, DuckDB's scan of its own table does not); plans bound and compiled
 *       once, the operator and its allocator built anew per operation;
 *   <li>{@code DUCKDB_1}: DuckDB 1.5 in process over JDBC ({@link DuckDbContender}), the same
 *       rows loaded once into an in-memory table by its Appender (setup, not measured), the
 *       operation's SQL prepared once and run with {@code PRAGMA threads=1}: one core each;
 *   <li>{@code DUCKDB_2}: the same with {@code PRAGMA threads=2}, all of this machine's cores,
 *       to show what DuckDB's parallelism adds (ours has no intra-operator parallelism).
 * </ul>
 *
 * <p>Both sides reduce their whole result to one number the same way and consume the same
 * output, so neither ships results the other does not: a Selection's passing rows are counted
 * (DuckDB: {@code SELECT count(*) ... WHERE}; ours also gathers the passing rows of the pruned
 * columns into new batches, as the operator always does); a Projection's values are summed
 * (DuckDB: {@code SELECT sum(expr)}); an aggregation's numeric output values are summed (DuckDB
 * returns the few groups' values, or sums the many groups' values in an outer query so that the
 * result transfer over JDBC does not dominate); a Sort's and a join's output values are summed
 * (DuckDB sums the same columns of its sorted or joined rows; see {@link Operation#SORT} for
 * how its sort is kept whole). The {@link Operation}s list both sides next to each other. For
 * an operation that DuckDB could optimize into less work, setup also checks that DuckDB's plan
 * has the operator that does it (ORDER_BY, HASH_JOIN). Before measuring, setup runs both sides once and fails the trial if their numbers
 * differ (relative 1e-9), so a fast wrong answer cannot pass; where ours refuses the plan (not
 * supported yet) it says so and DuckDB alone is measured.
 *
 * <p>JOIN reads a second table, {@link OrdersData} (its build side), generated next to
 * {@code lineitem} and loaded into DuckDB too; its score still counts the 4,194,304 lineitem
 * (probe) rows.
 *
 * <p>Every Arrow allocator is closed at the end of the trial: a leak fails it.
 *
 * <p>Run ({@code bin/mpp bench} does the same after building):
 * {@code java @bin/jvm.options -jar benchmarks/target/benchmarks.jar OperatorBenchmark -rf json -rff operator.json}
 * ({@code -p operation=SELECTION -p contender=MPP,DUCKDB_1} for a subset;
 * {@code -p operation=SORT,JOIN} for the Sort and the hash join alone;
 * {@code -p operation=PROJECTION_DECIMAL -p contender=DUCKDB_1,DUCKDB_2} for the decimal
 * projection, which our expression compiler does not support yet, so it is not in the default
 * list). The node runs with Arrow's bounds and reference-count checks on every buffer access
 * (bin/jvm.options leaves them on); {@code -jvmArgsAppend -Darrow.enable_unsafe_memory_access=true}
 * shows what they cost our side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OperatorBenchmark {
    private static final int BATCHES = 512;
    private static final int ROWS = BATCHES * LineitemData.BATCH_ROWS;

    /** Who does the operation: our operator, or DuckDB with 1 or 2 threads. */
    public enum Contender {
        MPP(0), DUCKDB_1(1), DUCKDB_2(2);

        private final int duckDbThreads;

        Contender(int duckDbThreads) {
            this.duckDbThreads = duckDbThreads;
        }

        /** DuckDB's threads, 0 for ours. */
        int duckDbThreads() {
            return duckDbThreads;
        }
    }

    /**
     * One operation, as our plan and as DuckDB's SQL. To benchmark another operator, add a
     * constant here with its plan (an {@link OperatorWorkload}) and the equivalent SQL.
     */
    public enum Operation {
        /** TPC-H Q6's filter over date, decimal and int32 columns; about 1.8% of the rows pass. */
        SELECTION("SELECT count(*) FROM lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'"
                + " AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.selection(List.of("l_shipdate", "l_discount", "l_quantity"), List.of(
                        call("ge", col("l_shipdate"), date("1994-01-01")),
                        call("lt", col("l_shipdate"), date("1995-01-01")),
                        call("ge", col("l_discount"), decimal("0.05", 3, 2)),
                        call("le", col("l_discount"), decimal("0.07", 3, 2)),
                        call("lt", col("l_quantity"), int32(24))));
            }
        },
        /** The same filter with the discount as float64: the cost of decimal comparisons shows against it. */
        SELECTION_DOUBLE("SELECT count(*) FROM lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'"
                + " AND d_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.selection(List.of("l_shipdate", "d_discount", "l_quantity"), List.of(
                        call("ge", col("l_shipdate"), date("1994-01-01")),
                        call("lt", col("l_shipdate"), date("1995-01-01")),
                        call("ge", col("d_discount"), float64(0.05)),
                        call("le", col("d_discount"), float64(0.07)),
                        call("lt", col("l_quantity"), int32(24))));
            }
        },
        /** TPC-H Q1's charge, price * (1 - discount) * (1 + tax), over float64 columns. */
        PROJECTION("SELECT sum(d_extendedprice * (1 - d_discount) * (1 + d_tax)) FROM lineitem") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.projection(List.of("d_extendedprice", "d_discount", "d_tax"), List.of(
                        named("charge", call("multiply",
                                call("multiply", col("d_extendedprice"), call("minus", float64(1), col("d_discount"))),
                                call("plus", float64(1), col("d_tax"))))));
            }
        },
        /** The same charge over the decimal(15, 2) columns (exact, decimal(38, 6)); ours: not supported yet. */
        PROJECTION_DECIMAL("SELECT sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) FROM lineitem") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.projection(List.of("l_extendedprice", "l_discount", "l_tax"), List.of(
                        named("charge", call("multiply",
                                call("multiply", col("l_extendedprice"), call("minus", int32(1), col("l_discount"))),
                                call("plus", int32(1), col("l_tax"))))));
            }
        },
        /**
         * TPC-H Q1's shape without its filter and its decimal arithmetic: sums, averages and a
         * count of int32 and decimal(15, 2) columns by two one-character string keys, 4 groups.
         * (Ours computes exact decimal averages, DuckDB double ones: the sums behind them are exact in both.)
         */
        AGGREGATION_FEW_GROUPS("SELECT sum(l_quantity), sum(l_extendedprice), avg(l_quantity), avg(l_extendedprice),"
                + " avg(l_discount), count(*) FROM lineitem GROUP BY l_returnflag, l_linestatus") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.aggregation(
                        List.of("l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice", "l_discount"),
                        Aggregation.newBuilder().setMode(AggregationMode.COMPLETE)
                                .addGroupBy(named("l_returnflag", col("l_returnflag")))
                                .addGroupBy(named("l_linestatus", col("l_linestatus")))
                                .addAggregates(aggregate(AggregateKind.SUM, "sum_qty", col("l_quantity")))
                                .addAggregates(aggregate(AggregateKind.SUM, "sum_base_price", col("l_extendedprice")))
                                .addAggregates(aggregate(AggregateKind.AVG, "avg_qty", col("l_quantity")))
                                .addAggregates(aggregate(AggregateKind.AVG, "avg_price", col("l_extendedprice")))
                                .addAggregates(aggregate(AggregateKind.AVG, "avg_disc", col("l_discount")))
                                .addAggregates(aggregate(AggregateKind.COUNT, "count_order"))
                                .build());
            }
        },
        /**
         * count and sum(int32) by an int64 key with about 1.03 million distinct values in random
         * order; the groups' key, count and sum are read (DuckDB: summed by an outer query).
         */
        AGGREGATION_MANY_GROUPS("SELECT sum(l_orderkey), sum(n), sum(q) FROM"
                + " (SELECT l_orderkey, count(*) AS n, sum(l_quantity) AS q FROM lineitem GROUP BY l_orderkey)") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.aggregation(List.of("l_orderkey", "l_quantity"),
                        Aggregation.newBuilder().setMode(AggregationMode.COMPLETE)
                                .addGroupBy(named("l_orderkey", col("l_orderkey")))
                                .addAggregates(aggregate(AggregateKind.COUNT, "n"))
                                .addAggregates(aggregate(AggregateKind.SUM, "q", col("l_quantity")))
                                .build());
            }
        },
        /**
         * A full sort of every row by an int64 key descending (about 4 rows per key, so the ties
         * are frequent) then a one-character string key, carrying two more numeric columns; the
         * sorted rows' numeric values are summed.
         *
         * <p>DuckDB drops an ORDER BY below an aggregate, and turns ORDER BY ... LIMIT into its
         * TopN operator (not its sort): so its query sorts with a LIMIT of exactly the row count,
         * under {@code disabled_optimizers = 'top_n'}, which leaves the plan ORDER_BY (its full
         * sort, all columns through it) then STREAMING_LIMIT (passes every row) then the sums;
         * setup checks that the plan has ORDER_BY. Both sides then produce every sorted row as
         * columnar batches (ours: Arrow batches gathered from the merged input; DuckDB: its
         * vectors scanned out of the sorted rows) and sum them. Differences left: ours gathers
         * the string key into its output too (DuckDB's sum does not read it, so its sort can
         * leave it out of the payload), and DuckDB narrows keys and payload by their statistics
         * before sorting (its compressed materialization), part of its engine.
         */
        SORT("SELECT sum(l_orderkey), sum(l_quantity), sum(l_extendedprice) FROM"
                + " (SELECT l_orderkey, l_returnflag, l_quantity, l_extendedprice FROM lineitem"
                + " ORDER BY l_orderkey DESC, l_returnflag LIMIT " + ROWS + ")",
                List.of("SET disabled_optimizers = 'top_n'"), "ORDER_BY") {
            @Override
            OperatorWorkload ours(OrdersData orders) {
                return SingleInputWorkload.sort(List.of("l_orderkey", "l_returnflag", "l_quantity", "l_extendedprice"),
                        List.of(sortKey(col("l_orderkey"), true), sortKey(col("l_returnflag"), false)));
            }
        },
        /**
         * An inner hash join of every row with {@link OrdersData} (1,048,576 rows, unique keys) on
         * an int64 key, exactly one match per row: the build of the orders' table, then the probe
         * of the 4,194,304 rows, each run building its own table ({@link HashJoinWorkload}); the
         * four joined columns are summed. Scored per probe row. DuckDB builds on orders too (the
         * smaller side, its optimizer's choice; setup checks the plan has HASH_JOIN).
         * {@link HashJoinBenchmark} measures the build and the probe apart.
         */
        JOIN("SELECT sum(l_orderkey), sum(l_quantity), sum(o_orderkey), sum(o_custkey)"
                + " FROM lineitem JOIN orders ON l_orderkey = o_orderkey", List.of(), "HASH_JOIN") {
            @Override
            boolean joinsOrders() {
                return true;
            }

            @Override
            OperatorWorkload ours(OrdersData orders) {
                return new HashJoinWorkload(orders);
            }
        };

        private final String duckDbSql;
        private final List<String> duckDbSettings;
        private final String duckDbPlanOperator;

        Operation(String duckDbSql) {
            this(duckDbSql, List.of(), null);
        }

        /**
         * @param duckDbSettings statements run on DuckDB's connection before the query is prepared
         * @param duckDbPlanOperator an operator DuckDB's plan must have (so that it does not
         *     optimize the measured work away), or null
         */
        Operation(String duckDbSql, List<String> duckDbSettings, String duckDbPlanOperator) {
            this.duckDbSql = duckDbSql;
            this.duckDbSettings = duckDbSettings;
            this.duckDbPlanOperator = duckDbPlanOperator;
        }

        String duckDbSql() {
            return duckDbSql;
        }

        /** Whether the operation reads {@link OrdersData} too (which is then generated and loaded). */
        boolean joinsOrders() {
            return false;
        }

        /**
         * Our plan for the operation, bound and compiled.
         *
         * @param orders the orders table when {@link #joinsOrders()}, else null
         * @throws MppException NOT_SUPPORTED_YET when our engine cannot run it yet
         */
        abstract OperatorWorkload ours(OrdersData orders);
    }

    @Param({"SELECTION", "SELECTION_DOUBLE", "PROJECTION", "AGGREGATION_FEW_GROUPS", "AGGREGATION_MANY_GROUPS", "SORT", "JOIN"})
    public Operation operation;

    @Param({"MPP", "DUCKDB_1", "DUCKDB_2"})
    public Contender contender;

    private BufferAllocator root;
    private LineitemData data;
    private OrdersData orders;
    private OperatorWorkload ours;
    private DuckDbContender duckDb;

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        root = new RootAllocator(Long.MAX_VALUE);
        data = new LineitemData(root.newChildAllocator("lineitem", 0, Long.MAX_VALUE), BATCHES);
        if (operation.joinsOrders()) {
            orders = new OrdersData(root.newChildAllocator("orders", 0, Long.MAX_VALUE));
        }
        try {
            ours = operation.ours(orders);
        } catch (MppException e) {
            if (contender == Contender.MPP || e.code() != ErrorCode.NOT_SUPPORTED_YET) {
                throw e;
            }
            System.out.printf("%nours: %s; DuckDB alone is measured, unchecked%n", e.getMessage());
        }
        // DuckDB is loaded for every contender: ours is checked against it before measuring.
        duckDb = new DuckDbContender(data, orders, Math.max(1, contender.duckDbThreads), operation.duckDbSettings,
                operation.duckDbSql());
        if (operation.duckDbPlanOperator != null) {
            String plan = duckDb.plan(operation.duckDbSql());
            if (!plan.contains(operation.duckDbPlanOperator)) {
                throw new IllegalStateException(operation + ": DuckDB's plan has no " + operation.duckDbPlanOperator
                        + ", so it would not do the measured work:\n" + plan);
            }
        }
        if (ours != null) {
            double oursChecksum = ours.runOurs(data, root);
            double duckDbChecksum = duckDb.run();
            System.out.printf("%n%s: %,d rows; checksum ours %s, DuckDB %s%n", operation, data.rows(), oursChecksum, duckDbChecksum);
            if (Math.abs(oursChecksum - duckDbChecksum) > 1e-9 * Math.max(Math.abs(oursChecksum), Math.abs(duckDbChecksum))) {
                throw new IllegalStateException(operation + ": ours and DuckDB disagree: " + oursChecksum + " vs " + duckDbChecksum);
            }
        }
        if (contender == Contender.MPP) {
            duckDb.close(); // its memory and threads are not needed while ours is measured
            duckDb = null;
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public double run() throws SQLException {
        return contender == Contender.MPP ? ours.runOurs(data, root) : duckDb.run();
    }

    /** Fails on a leak: the tables' allocators, then the root. */
    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        try {
            if (duckDb != null) {
                duckDb.close();
            }
        } finally {
            try {
                if (orders != null) {
                    orders.close();
                }
            } finally {
                if (data != null) {
                    data.close();
                }
                ExchangeBenchmark.closeChecked(root);
            }
        }
    }
}
