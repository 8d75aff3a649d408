package io.mppnode.exec.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.proto.plan.NullOrder;
import org.junit.jupiter.api.Test;

class SortOrderTest {
    @Test
    void defaultNullsAreTheSmallestValue() {
        assertThat(SortOrder.fromPlan(false, NullOrder.NULLS_DEFAULT)).isEqualTo(new SortOrder(false, true));
        assertThat(SortOrder.fromPlan(true, NullOrder.NULLS_DEFAULT)).isEqualTo(new SortOrder(true, false));
    }

    @Test
    void explicitNullsGoWhereTheyAreToldInEitherDirection() {
        assertThat(SortOrder.fromPlan(false, NullOrder.NULLS_FIRST)).isEqualTo(new SortOrder(false, true));
        assertThat(SortOrder.fromPlan(true, NullOrder.NULLS_FIRST)).isEqualTo(new SortOrder(true, true));
        assertThat(SortOrder.fromPlan(false, NullOrder.NULLS_LAST)).isEqualTo(new SortOrder(false, false));
        assertThat(SortOrder.fromPlan(true, NullOrder.NULLS_LAST)).isEqualTo(new SortOrder(true, false));
    }

    @Test
    void refusesAnUnknownNullOrder() {
        assertThatThrownBy(() -> SortOrder.fromPlan(false, NullOrder.UNRECOGNIZED))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SortOrder.fromPlan(false, null)).isInstanceOf(NullPointerException.class);
    }
}
