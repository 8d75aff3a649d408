package io.mppnode.exec.operator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.NullOrder;

/**
 * The order of one sort key: its direction and where its NULLs go. NULL placement does not
 * depend on the direction: {@code nullsFirst} puts NULLs before every value, ascending or
 * descending.
 */
public record SortOrder(boolean descending, boolean nullsFirst) {
    /**
     * The order a plan's sort key asks for. {@code NULLS_DEFAULT} puts NULLs first when
     * ascending and last when descending (NULL as the smallest value).
     *
     * @throws IllegalArgumentException for a null order the plan model does not know (a plan
     *     that was not validated)
     */
    public static SortOrder fromPlan(boolean descending, NullOrder nulls) {
        requireNonNull(nulls, "nulls is null");
        return switch (nulls) {
            case NULLS_DEFAULT -> new SortOrder(descending, !descending);
            case NULLS_FIRST -> new SortOrder(descending, true);
            case NULLS_LAST -> new SortOrder(descending, false);
            case UNRECOGNIZED -> throw new IllegalArgumentException("not a validated plan: unknown null order");
        };
    }
}
