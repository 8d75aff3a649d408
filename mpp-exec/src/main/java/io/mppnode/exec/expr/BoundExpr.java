package io.mppnode.exec.expr;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.DataType;
import java.util.List;

/**
 * An expression resolved against its input schema ({@link ExprBinder}): columns are positions,
 * literals are Java values, functions are {@link Function}s, and every node carries its result
 * type. This is what the evaluator compiles; nothing in it needs looking up again.
 */
public sealed interface BoundExpr permits BoundExpr.Column, BoundExpr.Constant, BoundExpr.Call {
    DataType type();

    /** Column {@code index} of the input. */
    record Column(int index, String name, DataType type) implements BoundExpr {
        public Column {
            requireNonNull(name, "name is null");
            requireNonNull(type, "type is null");
        }
    }

    /**
     * A constant; {@code value} is null for SQL NULL, else by type: Boolean, Integer (INT32),
     * Long (INT64), Double, BigDecimal (scaled to the type's scale), String, Integer days since
     * 1970-01-01 (DATE), Long microseconds since 1970-01-01 00:00 (TIMESTAMP).
     */
    record Constant(Object value, DataType type) implements BoundExpr {
        public Constant {
            requireNonNull(type, "type is null");
        }

        public boolean isNull() {
            return value == null;
        }
    }

    /** A function applied to its arguments. */
    record Call(Function function, List<BoundExpr> args, DataType type) implements BoundExpr {
        public Call {
            requireNonNull(function, "function is null");
            args = List.copyOf(args);
            requireNonNull(type, "type is null");
        }
    }
}
