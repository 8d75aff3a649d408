package io.mppnode.exec.planner;

import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.expr.Expressions;
import io.mppnode.exec.operator.ExchangeReceiverOperator;
import io.mppnode.exec.operator.ExchangeSenderOperator;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.operator.SelectionOperator;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionRead;
import io.mppnode.exec.storage.Snapshot;
import io.mppnode.exec.operator.aggregation.Aggregations;
import io.mppnode.exec.operator.aggregation.BoundAggregation;
import io.mppnode.exec.operator.aggregation.HashAggregationOperator;
import io.mppnode.exec.operator.local.LocalExchange;
import io.mppnode.exec.operator.local.LocalExchangeSinkOperator;
import io.mppnode.exec.operator.local.LocalExchangeSourceOperator;
import io.mppnode.exec.operator.LimitOperator;
import io.mppnode.exec.operator.SortOperator;
import io.mppnode.exec.operator.TopNOperator;
import io.mppnode.exec.operator.join.HashBuildOperator;
import io.mppnode.exec.operator.join.JoinBridge;
import io.mppnode.exec.operator.join.LookupJoinOperator;
import io.mppnode.exec.plan.Bindings;
import io.mppnode.exec.plan.PlanValidator;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.Join;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Plan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Turns a validated plan into a task's pipelines and their drivers. The plan must have passed
 * {@link PlanValidator}; this class assumes its shape.
 *
 * <p>A pipeline is a chain of operators from a source to a sink; it runs as one or more
 * drivers, the parallel copies of the chain. A TableScan starts a pipeline of
 * {@code concurrency} drivers, each scanning its own part of the table; an ExchangeReceiver
 * starts one of a single driver. Selection and Projection join the pipeline they read, in
 * every copy. Operators that must see all rows (Aggregation, Sort, TopN, Limit and the
 * ExchangeSender) first merge the copies through a {@link LocalExchange} into a pipeline of one
 * driver. A Join ends its build child's pipeline with the build operator and continues its
 * probe child's pipeline, in every copy, with the probe operator; the two meet in a join bridge.
 *
 * <p>Every plan executor has one {@link OperatorContext}, shared by its operator instances, so
 * its summary covers all of them. Expressions are compiled once per instance, so no state is
 * shared between threads.
 */
public final class LocalExecutionPlanner {
    /** How many batches a local exchange holds before its producers wait. */
    static final int LOCAL_EXCHANGE_BATCHES = 4;

    public TaskPipelines plan(Plan plan, ExecutionContext context) {
        int concurrency = plan.getConcurrency() > 0 ? plan.getConcurrency() : context.concurrency();
        Planning planning = new Planning(context, concurrency);
        try {
            planning.registerContexts(plan.getRoot());
            Executor sender = plan.getRoot();
            Pipeline pipeline = planning.gather(planning.build(sender.getChildren(0)), sender.getExecutorId());
            Schema schema = arrowSchema(pipeline.columns);
            ExchangeWriter writer = writer(sender.getExchangeSender(), schema, context);
            OperatorContext senderContext = planning.contextOf(sender);
            pipeline.add(instance -> new ExchangeSenderOperator(senderContext.retain(), writer, context.allocator()));
            planning.end(pipeline);
            return planning.createDrivers();
        } catch (RuntimeException | Error e) {
            planning.abandon();
            throw e;
        }
    }

    /** An open pipeline: its operator factories so far (instance index to operator), copies, and output columns. */
    private static final class Pipeline {
        final int drivers;
        final List<IntFunction<Operator>> factories = new ArrayList<>();
        List<ColumnSchema> columns;

        Pipeline(int drivers, List<ColumnSchema> columns) {
            this.drivers = drivers;
            this.columns = columns;
        }

        void add(IntFunction<Operator> factory) {
            factories.add(factory);
        }
    }

    private static final class Planning {
        final ExecutionContext context;
        final int concurrency;
        final Map<String, OperatorContext> executorContexts = new LinkedHashMap<>();
        final List<OperatorContext> internalContexts = new ArrayList<>();
        final List<Pipeline> pipelines = new ArrayList<>();
        final List<AutoCloseable> shared = new ArrayList<>();
        /** The planner's own reference to each scan's snapshot parts; each scan operator takes one of its own. */
        final List<Snapshot> snapshots = new ArrayList<>();

        Planning(ExecutionContext context, int concurrency) {
            this.context = context;
            this.concurrency = concurrency;
        }

        /** One context per executor, root first in plan order (the order of the summaries). */
        void registerContexts(Executor executor) {
            executorContexts.put(executor.getExecutorId(), new OperatorContext(executor.getExecutorId(), context.allocator()));
            for (Executor child : executor.getChildrenList()) {
                registerContexts(child);
            }
        }

        /** What the task's snapshot sees of a table: the regions the dispatch named (checked there), or all it holds. The caller closes it. */
        Snapshot snapshot(Table table) {
            List<RegionRead> reads = context.regions().get(table.id());
            if (reads == null) {
                return table.openSnapshot(context.startTs());
            }
            List<Snapshot> parts = new ArrayList<>();
            try {
                for (RegionRead read : reads) {
                    Region region = table.region(read.regionId()).orElseThrow(() -> new MppException(ErrorCode.REGION_NOT_FOUND,
                            "table '" + table.name() + "' has no region " + read.regionId() + " on this node"));
                    parts.add(region.openSnapshot(context.startTs(), read.ranges()));
                }
            } catch (RuntimeException e) {
                parts.forEach(Snapshot::close);
                throw e;
            }
            return Snapshot.concat(parts);
        }

        OperatorContext contextOf(Executor executor) {
            return executorContexts.get(executor.getExecutorId());
        }

        /** Adds the operators of {@code executor}'s subtree; returns the open pipeline that yields its output. */
        Pipeline build(Executor executor) {
            String id = executor.getExecutorId();
            OperatorContext operatorContext = contextOf(executor);
            int batchRows = context.batchRows();
            return switch (executor.getKindCase()) {
                case TABLE_SCAN -> {
                    Table table = context.catalog().table(executor.getTableScan().getTableId());
                    TableInfo info = table.info();
                    List<String> names = executor.getTableScan().getColumnsList();
                    Pipeline pipeline = new Pipeline(concurrency, names.stream().map(name -> info.column(name).orElseThrow()).toList());
                    List<Snapshot> parts;
                    try (Snapshot whole = snapshot(table)) {
                        parts = whole.split(concurrency);
                    }
                    snapshots.addAll(parts);
                    pipeline.add(part -> new TableScanOperator(operatorContext.retain(), info, names, parts.get(part).share(), batchRows));
                    yield pipeline;
                }
                case EXCHANGE_RECEIVER -> {
                    List<ColumnSchema> columns = executor.getExchangeReceiver().getSchemaList().stream()
                            .map(field -> new ColumnSchema(field.getName(), field.getType())).toList();
                    Pipeline pipeline = new Pipeline(1, columns);
                    Schema schema = arrowSchema(columns);
                    pipeline.add(instance -> receiver(executor, schema, operatorContext));
                    yield pipeline;
                }
                case SELECTION -> {
                    Pipeline pipeline = build(executor.getChildren(0));
                    List<ColumnSchema> input = pipeline.columns;
                    pipeline.add(instance -> new SelectionOperator(operatorContext.retain(),
                            Expressions.conditions(id, executor.getSelection(), input)));
                    yield pipeline;
                }
                case PROJECTION -> {
                    Pipeline pipeline = build(executor.getChildren(0));
                    List<ColumnSchema> input = pipeline.columns;
                    pipeline.columns = Expressions.projection(id, executor.getProjection(), input).columns();
                    pipeline.add(instance -> {
                        Expressions.Projected projected = Expressions.projection(id, executor.getProjection(), input);
                        return new ProjectionOperator(operatorContext.retain(), projected.names(), projected.exprs());
                    });
                    yield pipeline;
                }
                case AGGREGATION -> {
                    Pipeline pipeline = gather(build(executor.getChildren(0)), id);
                    List<ColumnSchema> input = pipeline.columns;
                    pipeline.columns = Aggregations.bind(id, executor.getAggregation(), input).columns();
                    pipeline.add(instance -> new HashAggregationOperator(operatorContext.retain(),
                            Aggregations.bind(id, executor.getAggregation(), input), batchRows));
                    yield pipeline;
                }
                case LIMIT -> {
                    Pipeline pipeline = gather(build(executor.getChildren(0)), id);
                    long limit = unsigned(executor.getLimit().getLimit());
                    long offset = unsigned(executor.getLimit().getOffset());
                    pipeline.add(instance -> new LimitOperator(operatorContext.retain(), limit, offset));
                    yield pipeline;
                }
                case TOP_N -> {
                    Pipeline pipeline = gather(build(executor.getChildren(0)), id);
                    List<ColumnSchema> input = pipeline.columns;
                    long limit = unsigned(executor.getTopN().getLimit());
                    pipeline.add(instance -> {
                        Bindings.SortKeys keys = Bindings.sortKeys(id, executor.getTopN().getOrderByList(), input);
                        return new TopNOperator(operatorContext.retain(), keys.exprs(), keys.orders(), limit, batchRows);
                    });
                    yield pipeline;
                }
                case SORT -> {
                    Pipeline pipeline = gather(build(executor.getChildren(0)), id);
                    List<ColumnSchema> input = pipeline.columns;
                    pipeline.add(instance -> {
                        Bindings.SortKeys keys = Bindings.sortKeys(id, executor.getSort().getOrderByList(), input);
                        return new SortOperator(operatorContext.retain(), keys.exprs(), keys.orders(), batchRows);
                    });
                    yield pipeline;
                }
                case JOIN -> join(executor, operatorContext);
                default -> throw new IllegalStateException("not a validated plan: " + PlanValidator.kindName(executor));
            };
        }

        /**
         * The build child's pipeline ends in the build operator (every copy); the probe child's
         * continues with the probe operator (every copy); they meet in one bridge.
         */
        private Pipeline join(Executor executor, OperatorContext operatorContext) {
            String id = executor.getExecutorId();
            Join join = executor.getJoin();
            boolean buildLeft = join.getBuildSide() == BuildSide.BUILD_LEFT;
            Pipeline build = build(executor.getChildren(buildLeft ? 0 : 1));
            Pipeline probe = build(executor.getChildren(buildLeft ? 1 : 0));
            List<ColumnSchema> left = buildLeft ? build.columns : probe.columns;
            List<ColumnSchema> right = buildLeft ? probe.columns : build.columns;
            List<ColumnSchema> output = Bindings.join(id, join, left, right).output();
            JoinBridge bridge = new JoinBridge(build.drivers, probe.drivers, arrowSchema(build.columns), arrowSchema(probe.columns));
            shared.add(bridge);
            build.add(instance -> {
                Bindings.BoundJoin bound = Bindings.join(id, join, left, right);
                return new HashBuildOperator(operatorContext.share(), buildLeft ? bound.leftKeys() : bound.rightKeys(), bridge);
            });
            end(build);
            int batchRows = context.batchRows();
            probe.add(instance -> {
                Bindings.BoundJoin bound = Bindings.join(id, join, left, right);
                return new LookupJoinOperator(operatorContext.retain(), bridge, join.getType(), join.getBuildSide(),
                        buildLeft ? bound.rightKeys() : bound.leftKeys(), bound.otherCondition(), batchRows);
            });
            probe.columns = output;
            return probe;
        }

        /** The pipeline itself when it runs as one driver; else ends its copies in a local exchange and opens a one-driver pipeline reading it. */
        Pipeline gather(Pipeline pipeline, String consumerId) {
            if (pipeline.drivers == 1) {
                return pipeline;
            }
            OperatorContext exchangeContext = new OperatorContext(consumerId + "/local-exchange", context.allocator());
            internalContexts.add(exchangeContext);
            LocalExchange exchange = new LocalExchange(exchangeContext.allocator(), pipeline.drivers, LOCAL_EXCHANGE_BATCHES);
            pipeline.add(instance -> new LocalExchangeSinkOperator(exchangeContext.retain(), exchange));
            end(pipeline);
            Pipeline merged = new Pipeline(1, pipeline.columns);
            merged.add(instance -> new LocalExchangeSourceOperator(exchangeContext.retain(), exchange));
            return merged;
        }

        void end(Pipeline pipeline) {
            pipelines.add(pipeline);
        }

        ExchangeReceiverOperator receiver(Executor executor, Schema schema, OperatorContext operatorContext) {
            OperatorContext instanceContext = operatorContext.retain();
            try {
                ExchangeReceiver receiver = context.receivers().create(executor.getExecutorId(),
                        executor.getExchangeReceiver().getSendersList(), schema, instanceContext.allocator());
                return new ExchangeReceiverOperator(instanceContext, receiver);
            } catch (RuntimeException e) {
                instanceContext.close();
                throw e;
            }
        }

        /** Creates every driver; then gives back the planner's own reference to each context. */
        TaskPipelines createDrivers() {
            List<Driver> drivers = new ArrayList<>();
            try {
                for (Pipeline pipeline : pipelines) {
                    for (int instance = 0; instance < pipeline.drivers; instance++) {
                        drivers.add(createDriver(pipeline, instance));
                    }
                }
            } catch (RuntimeException | Error e) {
                for (Driver driver : drivers) {
                    try {
                        driver.close();
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
            TaskPipelines result = new TaskPipelines(drivers, List.copyOf(executorContexts.values()), shared);
            releaseContexts();
            return result;
        }

        private static Driver createDriver(Pipeline pipeline, int instance) {
            List<Operator> operators = new ArrayList<>();
            try {
                for (IntFunction<Operator> factory : pipeline.factories) {
                    operators.add(factory.apply(instance));
                }
                return new Driver(operators);
            } catch (RuntimeException | Error e) {
                for (Operator operator : operators) {
                    operator.close();
                    operator.context().close();
                }
                throw e;
            }
        }

        void abandon() {
            for (AutoCloseable resource : shared) {
                try {
                    resource.close();
                } catch (Exception ignored) {
                    // Freed as far as possible; the allocator's close reports what is left.
                }
            }
            releaseContexts();
        }

        /** Gives back the planner's references: to the contexts, and to the snapshots (the scans hold their own). */
        private void releaseContexts() {
            snapshots.forEach(Snapshot::close);
            snapshots.clear();
            executorContexts.values().forEach(OperatorContext::close);
            internalContexts.forEach(OperatorContext::close);
            executorContexts.clear();
            internalContexts.clear();
        }
    }

    /** A plan's uint64 count: values above Long.MAX_VALUE (negative in Java) mean "no bound" here. */
    private static long unsigned(long value) {
        return value < 0 ? Long.MAX_VALUE : value;
    }

    static Schema arrowSchema(List<ColumnSchema> columns) {
        return new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.name(), column.type())).toList());
    }

    private static ExchangeWriter writer(ExchangeSender sender, Schema schema, ExecutionContext context) {
        ExchangeWriter.Mode mode = switch (sender.getType()) {
            case PASS_THROUGH -> ExchangeWriter.Mode.PASS_THROUGH;
            case BROADCAST -> ExchangeWriter.Mode.BROADCAST;
            case HASH -> ExchangeWriter.Mode.HASH;
            case UNRECOGNIZED -> throw new IllegalStateException("not a validated plan: unknown exchange type");
        };
        int streams = Math.max(1, sender.getFineGrainedStreamCount());
        ExchangeWriter.Partitioner partitioner = null;
        if (mode == ExchangeWriter.Mode.HASH) {
            List<Integer> keys = new ArrayList<>(sender.getPartitionKeysCount());
            for (Expr key : sender.getPartitionKeysList()) {
                keys.add(indexOf(schema, key.getColumn().getName()));
            }
            partitioner = Partitioners.hash(schema, keys, context.tunnels().size() * streams, context.allocator());
        }
        return new ExchangeWriter(mode, context.tunnels(), schema, Compression.fromPlan(sender.getCompression()), streams, partitioner);
    }

    private static int indexOf(Schema schema, String column) {
        List<org.apache.arrow.vector.types.pojo.Field> fields = schema.getFields();
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).getName().equals(column)) {
                return i;
            }
        }
        throw new IllegalStateException("not a validated plan: no column " + column);
    }
}
