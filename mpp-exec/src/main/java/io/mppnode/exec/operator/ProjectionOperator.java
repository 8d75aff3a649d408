package io.mppnode.exec.operator;

import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.type.ColumnTypes;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;

/** Computes one output column per named expression; a bare column reference costs no copy. */
public final class ProjectionOperator extends TransformOperator {
    private final List<String> names;
    private final List<VectorExpr> exprs;
    private final List<Field> fields;

    public ProjectionOperator(OperatorContext context, List<String> names, List<VectorExpr> exprs) {
        super(context);
        if (names.size() != exprs.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + exprs.size() + " expressions");
        }
        this.names = List.copyOf(names);
        this.exprs = List.copyOf(exprs);
        List<Field> fields = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            fields.add(ColumnTypes.toArrowField(names.get(i), exprs.get(i).type()));
        }
        this.fields = List.copyOf(fields);
    }

    @Override
    VectorSchemaRoot transform(VectorSchemaRoot batch) {
        try (batch) {
            List<FieldVector> columns = new ArrayList<>(exprs.size());
            try {
                for (int i = 0; i < exprs.size(); i++) {
                    FieldVector value = exprs.get(i).evaluate(batch, context().allocator());
                    columns.add(value);
                    // Named as the plan says (the expression's vector may carry its input's name).
                    columns.set(i, rename(value, fields.get(i)));
                }
            } catch (RuntimeException | Error e) {
                columns.forEach(FieldVector::close);
                throw e;
            }
            VectorSchemaRoot output = new VectorSchemaRoot(fields, columns, batch.getRowCount());
            return output;
        }
    }

    private FieldVector rename(FieldVector vector, Field field) {
        if (vector.getField().getName().equals(field.getName())) {
            return vector;
        }
        FieldVector renamed = field.createVector(context().allocator());
        vector.makeTransferPair(renamed).transfer();
        vector.close();
        return renamed;
    }

    public List<String> names() {
        return names;
    }
}
