package io.mppnode.exec.plan;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.expr.Expressions;
import io.mppnode.exec.operator.aggregation.Aggregations;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.CompressionMode;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a plan at dispatch, before anything is registered or allocated: the tree's shape,
 * unique executor ids, tables and columns, the types of every Selection and Projection
 * expression (see {@link io.mppnode.exec.expr.ExprBinder}), and which executors and functions
 * this node can run yet. Every
 * refusal is an {@link MppException} whose message names the executor and the problem.
 * Stateless and thread-safe.
 */
public final class PlanValidator {
    /** The most streams a fine-grained shuffle may carry per tunnel. */
    public static final int MAX_FINE_GRAINED_STREAMS = 1024;

    private final java.util.function.LongFunction<TableInfo> tables;

    public PlanValidator(Catalog catalog) {
        requireNonNull(catalog, "catalog is null");
        this.tables = id -> catalog.table(id).info();
    }

    /** A validator over table definitions only (a coordinator's view): {@code tables} throws UNKNOWN_TABLE for an id it lacks. */
    public PlanValidator(java.util.function.LongFunction<TableInfo> tables) {
        this.tables = requireNonNull(tables, "tables is null");
    }

    /**
     * Validates the plan of one task.
     *
     * @param nodeMemoryLimitBytes the node's per-query limit, which the plan may lower but not raise
     * @return the output columns of the root's child, i.e. what the task sends
     */
    public List<ColumnSchema> validate(Plan plan, long nodeMemoryLimitBytes) {
        if (!plan.hasRoot()) {
            throw invalid("the plan has no root executor");
        }
        if (plan.getMemoryLimitBytes() < 0) {
            throw invalid("memory_limit_bytes is negative: " + plan.getMemoryLimitBytes());
        }
        if (plan.getMemoryLimitBytes() > nodeMemoryLimitBytes) {
            throw invalid("memory_limit_bytes " + plan.getMemoryLimitBytes() + " is above the node's limit of "
                    + nodeMemoryLimitBytes + " bytes");
        }
        if (plan.getConcurrency() < 0) {
            throw invalid("concurrency is negative: " + plan.getConcurrency());
        }
        Executor root = plan.getRoot();
        checkIds(root, new HashSet<>());
        if (root.getKindCase() != Executor.KindCase.EXCHANGE_SENDER) {
            throw invalid("the root executor '" + root.getExecutorId() + "' must be an ExchangeSender, found "
                    + kindName(root));
        }
        return outputColumns(root, true);
    }

    private void checkIds(Executor executor, Set<String> seen) {
        if (executor.getExecutorId().isEmpty()) {
            throw invalid("an executor of type " + kindName(executor) + " has no executor_id");
        }
        if (!seen.add(executor.getExecutorId())) {
            throw invalid("executor_id '" + executor.getExecutorId() + "' is used twice");
        }
        if (executor.getKindCase() == Executor.KindCase.KIND_NOT_SET) {
            throw invalid("executor '" + executor.getExecutorId() + "' has no type");
        }
        for (Executor child : executor.getChildrenList()) {
            checkIds(child, seen);
        }
    }

    private List<ColumnSchema> outputColumns(Executor executor, boolean isRoot) {
        String id = executor.getExecutorId();
        return switch (executor.getKindCase()) {
            case EXCHANGE_SENDER -> {
                if (!isRoot) {
                    throw invalid("executor '" + id + "': an ExchangeSender must be the root of the plan");
                }
                expectChildren(executor, 1);
                List<ColumnSchema> columns = outputColumns(executor.getChildren(0), false);
                checkSender(id, executor.getExchangeSender(), columns);
                yield columns;
            }
            case EXCHANGE_RECEIVER -> {
                expectChildren(executor, 0);
                yield receiverColumns(id, executor.getExchangeReceiver());
            }
            case TABLE_SCAN -> {
                expectChildren(executor, 0);
                yield scanColumns(id, executor.getTableScan());
            }
            case SELECTION -> {
                expectChildren(executor, 1);
                List<ColumnSchema> input = outputColumns(executor.getChildren(0), false);
                Expressions.conditions(id, executor.getSelection(), input);
                yield input;
            }
            case PROJECTION -> {
                expectChildren(executor, 1);
                yield Expressions.projection(id, executor.getProjection(), outputColumns(executor.getChildren(0), false)).columns();
            }
            case AGGREGATION -> {
                expectChildren(executor, 1);
                yield Aggregations.bind(id, executor.getAggregation(), outputColumns(executor.getChildren(0), false)).columns();
            }
            case LIMIT -> {
                expectChildren(executor, 1);
                yield outputColumns(executor.getChildren(0), false);
            }
            case TOP_N -> {
                expectChildren(executor, 1);
                List<ColumnSchema> input = outputColumns(executor.getChildren(0), false);
                Bindings.sortKeys(id, executor.getTopN().getOrderByList(), input);
                yield input;
            }
            case SORT -> {
                expectChildren(executor, 1);
                List<ColumnSchema> input = outputColumns(executor.getChildren(0), false);
                Bindings.sortKeys(id, executor.getSort().getOrderByList(), input);
                yield input;
            }
            case JOIN -> {
                expectChildren(executor, 2);
                List<ColumnSchema> left = outputColumns(executor.getChildren(0), false);
                List<ColumnSchema> right = outputColumns(executor.getChildren(1), false);
                yield Bindings.join(id, executor.getJoin(), left, right).output();
            }
            default -> throw new MppException(ErrorCode.NOT_SUPPORTED_YET,
                    "not supported yet: " + kindName(executor) + " (executor '" + id + "')");
        };
    }

    private static void checkSender(String id, ExchangeSender sender, List<ColumnSchema> input) {
        if (sender.getType() == ExchangeType.UNRECOGNIZED || sender.getCompression() == CompressionMode.UNRECOGNIZED) {
            throw invalid("executor '" + id + "': unknown exchange type or compression");
        }
        if (sender.getReceiversCount() == 0) {
            throw invalid("executor '" + id + "': an ExchangeSender needs at least one receiver");
        }
        if (sender.getType() == ExchangeType.PASS_THROUGH && sender.getReceiversCount() != 1) {
            throw invalid("executor '" + id + "': a PASS_THROUGH ExchangeSender sends to exactly one receiver, found "
                    + sender.getReceiversCount());
        }
        if (sender.getType() == ExchangeType.HASH) {
            if (sender.getPartitionKeysCount() == 0) {
                throw invalid("executor '" + id + "': a HASH ExchangeSender needs at least one partition key");
            }
            for (Expr key : sender.getPartitionKeysList()) {
                if (key.getKindCase() != Expr.KindCase.COLUMN) {
                    throw new MppException(ErrorCode.NOT_SUPPORTED_YET, "not supported yet: a partition key other than a column"
                            + " reference (executor '" + id + "')");
                }
                String column = key.getColumn().getName();
                if (input.stream().noneMatch(candidate -> candidate.name().equals(column))) {
                    throw new MppException(ErrorCode.UNKNOWN_COLUMN, "executor '" + id + "': partition key '" + column
                            + "' is not a column of its input " + input.stream().map(ColumnSchema::name).toList());
                }
            }
        } else if (sender.getPartitionKeysCount() > 0) {
            throw invalid("executor '" + id + "': partition keys are for HASH senders only, this one is " + sender.getType());
        }
        if (sender.getFineGrainedStreamCount() > 1 && sender.getType() != ExchangeType.HASH) {
            throw invalid("executor '" + id + "': fine-grained streams are for HASH senders only, this one is " + sender.getType());
        }
        if (sender.getFineGrainedStreamCount() > MAX_FINE_GRAINED_STREAMS) {
            throw invalid("executor '" + id + "': fine_grained_stream_count " + sender.getFineGrainedStreamCount()
                    + " is above the limit of " + MAX_FINE_GRAINED_STREAMS);
        }
        Set<Long> receiverTaskIds = new HashSet<>();
        for (int i = 0; i < sender.getReceiversCount(); i++) {
            TaskMeta receiver = sender.getReceivers(i);
            if (receiver.getAddress().isEmpty()) {
                throw invalid("executor '" + id + "': receiver " + i + " (task " + receiver.getTaskId() + ") has no address");
            }
            if (!receiverTaskIds.add(receiver.getTaskId())) {
                throw invalid("executor '" + id + "': receiver task " + receiver.getTaskId() + " is named twice");
            }
        }
    }

    private static List<ColumnSchema> receiverColumns(String id, ExchangeReceiver receiver) {
        if (receiver.getSendersCount() == 0) {
            throw invalid("executor '" + id + "': an ExchangeReceiver needs at least one sender");
        }
        if (receiver.getSchemaCount() == 0) {
            throw invalid("executor '" + id + "': an ExchangeReceiver needs its schema (at least one column)");
        }
        Set<Long> senderTaskIds = new HashSet<>();
        for (int i = 0; i < receiver.getSendersCount(); i++) {
            TaskMeta sender = receiver.getSenders(i);
            if (sender.getAddress().isEmpty()) {
                throw invalid("executor '" + id + "': sender " + i + " (task " + sender.getTaskId() + ") has no address");
            }
            if (!senderTaskIds.add(sender.getTaskId())) {
                throw invalid("executor '" + id + "': sender task " + sender.getTaskId() + " is named twice");
            }
        }
        List<ColumnSchema> columns = new ArrayList<>();
        for (Field field : receiver.getSchemaList()) {
            ColumnTypes.check(field.getType(), "executor '" + id + "', column '" + field.getName() + "'");
            columns.add(new ColumnSchema(field.getName(), field.getType()));
        }
        return columns;
    }

    private List<ColumnSchema> scanColumns(String id, TableScan scan) {
        TableInfo table;
        try {
            table = tables.apply(scan.getTableId());
        } catch (MppException e) {
            throw new MppException(e.code(), "executor '" + id + "': " + e.getMessage());
        }
        if (scan.getColumnsCount() == 0) {
            throw invalid("executor '" + id + "': a TableScan must read at least one column");
        }
        List<ColumnSchema> columns = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String name : scan.getColumnsList()) {
            ColumnSchema column = table.column(name).orElseThrow(() -> new MppException(ErrorCode.UNKNOWN_COLUMN,
                    "executor '" + id + "': table '" + table.name() + "' has no column '" + name + "'"));
            if (!seen.add(name)) {
                throw invalid("executor '" + id + "': column '" + name + "' is read twice");
            }
            columns.add(column);
        }
        return columns;
    }

    private static void expectChildren(Executor executor, int count) {
        if (executor.getChildrenCount() != count) {
            throw invalid("executor '" + executor.getExecutorId() + "' (" + kindName(executor) + ") takes " + count
                    + (count == 1 ? " child" : " children") + ", found " + executor.getChildrenCount());
        }
    }

    /** The executor's type as in plan.proto: TableScan, ExchangeSender, ... */
    public static String kindName(Executor executor) {
        return switch (executor.getKindCase()) {
            case TABLE_SCAN -> "TableScan";
            case SELECTION -> "Selection";
            case PROJECTION -> "Projection";
            case AGGREGATION -> "Aggregation";
            case TOP_N -> "TopN";
            case LIMIT -> "Limit";
            case SORT -> "Sort";
            case JOIN -> "Join";
            case EXCHANGE_SENDER -> "ExchangeSender";
            case EXCHANGE_RECEIVER -> "ExchangeReceiver";
            case KIND_NOT_SET -> "(none)";
        };
    }

    private static MppException invalid(String message) {
        return new MppException(ErrorCode.INVALID_PLAN, message);
    }
}
