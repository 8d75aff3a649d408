package io.mppnode.exec.planner;

import io.mppnode.exec.driver.Driver;
import io.mppnode.exec.operator.ExchangeSenderOperator;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.operator.TableScanOperator;
import io.mppnode.exec.plan.PlanValidator;
import io.mppnode.proto.plan.Executor;
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
            Executor child = sender.getChildren(0);
            TableScanOperator scan = scan(child, context);
            operators.add(scan);
            Schema schema = scan.schema();
            operators.add(new ExchangeSenderOperator(
                    new OperatorContext(sender.getExecutorId(), context.allocator()), context.tunnels().getFirst(), schema));
            return new Driver(operators);
        } catch (RuntimeException e) {
            for (Operator operator : operators) {
                operator.close();
                operator.context().close();
            }
            throw e;
        }
    }

    private static TableScanOperator scan(Executor executor, ExecutionContext context) {
        OperatorContext operatorContext = new OperatorContext(executor.getExecutorId(), context.allocator());
        try {
            return new TableScanOperator(operatorContext, context.catalog().table(executor.getTableScan().getTableId()),
                    executor.getTableScan().getColumnsList(), context.batchRows());
        } catch (RuntimeException e) {
            operatorContext.close();
            throw e;
        }
    }
}
