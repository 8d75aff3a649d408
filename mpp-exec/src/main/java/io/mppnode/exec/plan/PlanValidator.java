package io.mppnode.exec.plan;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.InMemoryTable;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.CompressionMode;
import io.mppnode.proto.plan.ExchangeSender;
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
 * unique executor ids, tables and columns, and which executors this node can run yet. Every
 * refusal is an {@link MppException} whose message names the executor and the problem.
 * Stateless and thread-safe.
 */
public final class PlanValidator {
    private final Catalog catalog;

    public PlanValidator(Catalog catalog) {
        this.catalog = requireNonNull(catalog, "catalog is null");
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
                checkSender(id, executor.getExchangeSender());
                yield outputColumns(executor.getChildren(0), false);
            }
            case TABLE_SCAN -> {
                expectChildren(executor, 0);
                yield scanColumns(id, executor.getTableScan());
            }
            default -> throw new MppException(ErrorCode.NOT_SUPPORTED_YET,
                    "not supported yet: " + kindName(executor) + " (executor '" + id + "')");
        };
    }

    private static void checkSender(String id, ExchangeSender sender) {
        if (sender.getType() != ExchangeType.PASS_THROUGH) {
            throw new MppException(ErrorCode.NOT_SUPPORTED_YET,
                    "not supported yet: ExchangeSender of type " + sender.getType() + " (executor '" + id + "')");
        }
        if (sender.getCompression() != CompressionMode.COMPRESSION_NONE) {
            throw new MppException(ErrorCode.NOT_SUPPORTED_YET,
                    "not supported yet: compression " + sender.getCompression() + " (executor '" + id + "')");
        }
        if (sender.getFineGrainedStreamCount() > 1) {
            throw new MppException(ErrorCode.NOT_SUPPORTED_YET,
                    "not supported yet: fine-grained shuffle (executor '" + id + "')");
        }
        if (sender.getReceiversCount() != 1) {
            throw invalid("executor '" + id + "': a PASS_THROUGH ExchangeSender sends to exactly one receiver, found "
                    + sender.getReceiversCount());
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

    private List<ColumnSchema> scanColumns(String id, TableScan scan) {
        InMemoryTable table;
        try {
            table = catalog.table(scan.getTableId());
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
