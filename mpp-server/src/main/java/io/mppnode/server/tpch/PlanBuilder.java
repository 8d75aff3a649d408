package io.mppnode.server.tpch;

import static io.mppnode.server.tpch.Exprs.col;

import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.plan.Aggregation;
import io.mppnode.proto.plan.AggregationMode;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Join;
import io.mppnode.proto.plan.JoinType;
import io.mppnode.proto.plan.Limit;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.Projection;
import io.mppnode.proto.plan.Selection;
import io.mppnode.proto.plan.Sort;
import io.mppnode.proto.plan.SortKey;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.TopN;
import java.util.Arrays;
import java.util.List;

/**
 * A small DSL for distributed plans, read bottom-up like a query plan is executed:
 *
 * <pre>{@code
 * PlanBuilder p = new PlanBuilder();
 * Node lineitem = p.scan(LINEITEM, "l_returnflag", "l_quantity", "l_shipdate")
 *         .filter(le(col("l_shipdate"), date("1998-09-02")))
 *         .partialAgg(group("l_returnflag"), sum("sum_qty", col("l_quantity")))
 *         .shuffle("l_returnflag")                 // HASH exchange on the group key
 *         .finalAgg(group("l_returnflag"), sum("sum_qty", col("l_quantity")))
 *         .gather()                                // PASS_THROUGH to one node
 *         .sort(asc("l_returnflag"));
 * Plan plan = p.plan(lineitem);                    // root ExchangeSender to the coordinator
 * }</pre>
 *
 * <p>Exchanges follow the distributed plan convention: {@link Node#shuffle}, {@link
 * Node#broadcast} and {@link Node#gather} put an ExchangeSender (HASH, BROADCAST, PASS_THROUGH)
 * over the node and an ExchangeReceiver over the sender, so every receiver's only child is the
 * sender that roots its child fragment; receivers and senders leave their TaskMetas and the
 * receiver its schema empty for the coordinator to fill. Executor ids are {@code <kind>_<n>},
 * numbered in the order the executors are created, so unique in the plan.
 */
public final class PlanBuilder {
    private int nextId;

    private String id(String kind) {
        return kind + "_" + nextId++;
    }

    /** A TableScan of the given columns of a TPC-H table. */
    public Node scan(TpchTable table, String... columns) {
        return new Node(Executor.newBuilder().setExecutorId(id("table_scan"))
                .setTableScan(TableScan.newBuilder().setTableId(table.id()).addAllColumns(Arrays.asList(columns)))
                .build());
    }

    /** The query: a PASS_THROUGH ExchangeSender (to the coordinator) over {@code root}. */
    public Plan plan(Node root) {
        return Plan.newBuilder().setRoot(sender(root, ExchangeType.PASS_THROUGH, List.of())).build();
    }

    private Executor sender(Node child, ExchangeType type, List<Expr> keys) {
        return Executor.newBuilder().setExecutorId(id("exchange_sender"))
                .setExchangeSender(ExchangeSender.newBuilder().setType(type).addAllPartitionKeys(keys))
                .addChildren(child.executor)
                .build();
    }

    /** An executor under construction; every method returns a new node over this one. */
    public final class Node {
        private final Executor executor;

        private Node(Executor executor) {
            this.executor = executor;
        }

        public Executor executor() {
            return executor;
        }

        private Node over(Executor.Builder parent) {
            return new Node(parent.addChildren(executor).build());
        }

        /** Selection: keeps the rows for which every condition is true. */
        public Node filter(Expr... conditions) {
            return over(Executor.newBuilder().setExecutorId(id("selection"))
                    .setSelection(Selection.newBuilder().addAllConditions(Arrays.asList(conditions))));
        }

        /** Projection: each item is a column name (kept) or an {@link Exprs#as} expression. */
        public Node project(Object... items) {
            return over(Executor.newBuilder().setExecutorId(id("projection"))
                    .setProjection(Projection.newBuilder().addAllExprs(Exprs.named(items))));
        }

        /** Aggregation in COMPLETE mode: rows in, final values out. */
        public Node agg(List<NamedExpr> groupBy, Agg... aggregates) {
            return aggregation(AggregationMode.COMPLETE, groupBy, aggregates);
        }

        /** Aggregation in PARTIAL mode: rows in, partial states out (next to the scan). */
        public Node partialAgg(List<NamedExpr> groupBy, Agg... aggregates) {
            return aggregation(AggregationMode.PARTIAL, groupBy, aggregates);
        }

        /**
         * Aggregation in FINAL mode over the states of {@link #partialAgg} with the same keys and
         * aggregates: the keys are taken by their output names.
         */
        public Node finalAgg(List<NamedExpr> groupBy, Agg... aggregates) {
            List<NamedExpr> keys = groupBy.stream().map(key -> Exprs.as(key.getName(), col(key.getName()))).toList();
            return aggregation(AggregationMode.FINAL, keys, aggregates);
        }

        private Node aggregation(AggregationMode mode, List<NamedExpr> groupBy, Agg... aggregates) {
            Aggregation.Builder aggregation = Aggregation.newBuilder().setMode(mode).addAllGroupBy(groupBy);
            for (Agg aggregate : aggregates) {
                aggregation.addAggregates(aggregate.function(mode));
            }
            return over(Executor.newBuilder().setExecutorId(id("aggregation")).setAggregation(aggregation));
        }

        /** A hash join of this node (left) with {@code right}. */
        public Node join(JoinType type, Node right, BuildSide build, JoinOn on) {
            Executor join = Executor.newBuilder().setExecutorId(id("join"))
                    .setJoin(Join.newBuilder().setType(type).setBuildSide(build)
                            .addAllLeftKeys(on.leftKeys()).addAllRightKeys(on.rightKeys())
                            .addAllOtherConditions(on.others()))
                    .addChildren(executor)
                    .addChildren(right.executor)
                    .build();
            return new Node(join);
        }

        public Node innerJoin(Node right, BuildSide build, JoinOn on) {
            return join(JoinType.INNER, right, build, on);
        }

        public Node leftJoin(Node right, BuildSide build, JoinOn on) {
            return join(JoinType.LEFT_OUTER, right, build, on);
        }

        /** {@code EXISTS} / {@code IN}: the left rows with a match. */
        public Node semiJoin(Node right, BuildSide build, JoinOn on) {
            return join(JoinType.SEMI, right, build, on);
        }

        /** {@code NOT EXISTS}: the left rows without a match. */
        public Node antiJoin(Node right, BuildSide build, JoinOn on) {
            return join(JoinType.ANTI_SEMI, right, build, on);
        }

        /** {@code NOT IN}: the left rows without a match, with SQL's NULL rules. */
        public Node notInJoin(Node right, BuildSide build, JoinOn on) {
            return join(JoinType.NULL_AWARE_ANTI_SEMI, right, build, on);
        }

        public Node topN(long limit, SortKey... keys) {
            return over(Executor.newBuilder().setExecutorId(id("top_n"))
                    .setTopN(TopN.newBuilder().setLimit(limit).addAllOrderBy(Arrays.asList(keys))));
        }

        public Node sort(SortKey... keys) {
            return over(Executor.newBuilder().setExecutorId(id("sort"))
                    .setSort(Sort.newBuilder().addAllOrderBy(Arrays.asList(keys))));
        }

        public Node limit(long limit) {
            return over(Executor.newBuilder().setExecutorId(id("limit")).setLimit(Limit.newBuilder().setLimit(limit)));
        }

        /** HASH exchange on the given columns: the rows go to the node their keys hash to. */
        public Node shuffle(String... keys) {
            return receive(sender(this, ExchangeType.HASH, Arrays.stream(keys).map(Exprs::col).toList()));
        }

        /** BROADCAST exchange: every task of the receiving fragment gets every row. */
        public Node broadcast() {
            return receive(sender(this, ExchangeType.BROADCAST, List.of()));
        }

        /** PASS_THROUGH exchange into a fragment that runs on one node. */
        public Node gather() {
            return receive(sender(this, ExchangeType.PASS_THROUGH, List.of()));
        }

        private Node receive(Executor sender) {
            return new Node(Executor.newBuilder().setExecutorId(id("exchange_receiver"))
                    .setExchangeReceiver(ExchangeReceiver.getDefaultInstance())
                    .addChildren(sender)
                    .build());
        }
    }
}
