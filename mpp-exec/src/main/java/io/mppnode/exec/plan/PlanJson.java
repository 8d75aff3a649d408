package io.mppnode.exec.plan;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.Plan;

/** The JSON form of a plan: protobuf's JSON mapping, so a person can write one by hand. */
public final class PlanJson {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private PlanJson() {}

    public static String toJson(Plan plan) {
        try {
            return PRINTER.print(plan);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a plan message always prints", e);
        }
    }

    /** @throws MppException MALFORMED_PLAN with the parser's reason */
    public static Plan fromJson(String json) {
        Plan.Builder plan = Plan.newBuilder();
        try {
            PARSER.merge(json, plan);
        } catch (InvalidProtocolBufferException e) {
            throw new MppException(ErrorCode.MALFORMED_PLAN, "the plan is not valid JSON for mppnode.plan.Plan: " + e.getMessage(), e);
        }
        return plan.build();
    }
}
