package io.mppnode.exec.planner;

import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.sender.ExchangeWriter;
import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.expr.Expressions;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.operator.ExchangeReceiverOperator;
import io.mppnode.exec.operator.ExchangeSenderOperator;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.ProjectionOperator;
import io.mppnode.exec.operator.SelectionOperator;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.plan.PlanValidator;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.InMemoryTable;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.Plan;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Turns a validated plan into a driver: one operator per executor, source first. The plan must
 * have passed {@link PlanValidator}; this class assumes its shape.
 */
public final class LocalExecutionPlanner {
    public Driver createDriver(Plan plan, ExecutionContext context) {
        List<Operator> operators = new ArrayList<>();
        try {
            Executor sender = plan.getRoot();
            List<ColumnSchema> columns = build(sender.getChildren(0), operators, context);
            Schema schema = arrowSchema(columns);
            OperatorContext senderContext = new OperatorContext(sender.getExecutorId(), context.allocator());
            ExchangeWriter writer;
            try {
                writer = writer(sender.getExchangeSender(), schema, context);
            } catch (RuntimeException e) {
                senderContext.close();
                throw e;
            }
            operators.add(new ExchangeSenderOperator(senderContext, writer, context.allocator()));
            return new Driver(operators);
        } catch (RuntimeException e) {
            for (Operator operator : operators) {
                operator.close();
                operator.context().close();
            }
            throw e;
        }
    }

    /** Adds the operators of {@code executor}'s subtree, source first; returns its output columns. */
    private static List<ColumnSchema> build(Executor executor, List<Operator> operators, ExecutionContext context) {
        String id = executor.getExecutorId();
        return switch (executor.getKindCase()) {
            case TABLE_SCAN -> {
                InMemoryTable table = context.catalog().table(executor.getTableScan().getTableId());
                operators.add(scan(executor, table, context));
                yield executor.getTableScan().getColumnsList().stream().map(name -> table.column(name).orElseThrow()).toList();
            }
            case EXCHANGE_RECEIVER -> {
                List<ColumnSchema> receiverColumns = executor.getExchangeReceiver().getSchemaList().stream()
                        .map(field -> new ColumnSchema(field.getName(), field.getType())).toList();
                operators.add(receiver(executor, arrowSchema(receiverColumns), context));
                yield receiverColumns;
            }
            case SELECTION -> {
                List<ColumnSchema> input = build(executor.getChildren(0), operators, context);
                List<VectorExpr> conditions = Expressions.conditions(id, executor.getSelection(), input);
                operators.add(new SelectionOperator(new OperatorContext(id, context.allocator()), conditions));
                yield input;
            }
            case PROJECTION -> {
                List<ColumnSchema> input = build(executor.getChildren(0), operators, context);
                Expressions.Projected projected = Expressions.projection(id, executor.getProjection(), input);
                operators.add(new ProjectionOperator(new OperatorContext(id, context.allocator()), projected.names(), projected.exprs()));
                yield projected.columns();
            }
            default -> throw new IllegalStateException("not a validated plan: " + PlanValidator.kindName(executor));
        };
    }

    private static Schema arrowSchema(List<ColumnSchema> columns) {
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

    private static ExchangeReceiverOperator receiver(Executor executor, Schema schema, ExecutionContext context) {
        OperatorContext operatorContext = new OperatorContext(executor.getExecutorId(), context.allocator());
        try {
            ExchangeReceiver receiver = context.receivers().create(executor.getExecutorId(),
                    executor.getExchangeReceiver().getSendersList(), schema, operatorContext.allocator());
            return new ExchangeReceiverOperator(operatorContext, receiver);
        } catch (RuntimeException e) {
            operatorContext.close();
            throw e;
        }
    }

    private static TableScanOperator scan(Executor executor, InMemoryTable table, ExecutionContext context) {
        OperatorContext operatorContext = new OperatorContext(executor.getExecutorId(), context.allocator());
        try {
            return new TableScanOperator(operatorContext, table,
                    executor.getTableScan().getColumnsList(), context.batchRows());
        } catch (RuntimeException e) {
            operatorContext.close();
            throw e;
        }
    }
}
