package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison of {@link TestingTpch} accepts what it should and nothing else. */
class TestingTpchTest {
    @Test
    void exactValuesCompareByValue() {
        List<List<Object>> ours = List.of(List.of("A", new BigDecimal("1.50"), 1995, LocalDate.parse("1995-01-02")));
        List<List<Object>> duckdb = List.of(List.of("A", new BigDecimal("1.5"), 1995L, java.sql.Date.valueOf("1995-01-02")));
        TestingTpch.assertSameRows("t", ours, duckdb, null);
        assertThatThrownBy(() -> TestingTpch.assertSameRows("t", List.of(List.of(new BigDecimal("1.51"))),
                List.of(List.of(new BigDecimal("1.5"))), null)).isInstanceOf(AssertionError.class).hasMessageContaining("differs");
        TestingTpch.assertSameRows("t", List.of(List.of(12L)), List.of(List.of(BigInteger.valueOf(12))), null);
    }

    @Test
    void doublesAreRoundedHalfUpToOurScale() {
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("25.454633"), 25.45463287)).isTrue();
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("25.454634"), 25.45463287)).isFalse();
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("0.02864874"), 0.028648741305617557)).isTrue();
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("0.02864875"), 0.028648741305617557)).isFalse();
        // A double just below a half-way point: our exact value may have rounded up.
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("0.13"), 0.12499999999999999)).isTrue();
        assertThat(TestingTpch.sameAsDouble(new BigDecimal("0.14"), 0.12499999999999999)).isFalse();
        assertThat(TestingTpch.sameAsDouble(null, 1.0)).isFalse();
    }

    @Test
    void orderIsCheckedOnTheSortKeysOnly() {
        List<List<Object>> duckdb = List.of(List.of(2L, "x"), List.of(2L, "y"), List.of(1L, "z"));
        TestingTpch.assertSameRows("t", List.of(List.of(2L, "y"), List.of(2L, "x"), List.of(1L, "z")), duckdb, new int[] {0});
        assertThatThrownBy(() -> TestingTpch.assertSameRows("t", List.of(List.of(1L, "z"), List.of(2L, "x"), List.of(2L, "y")),
                duckdb, new int[] {0})).isInstanceOf(AssertionError.class).hasMessageContaining("sort key");
        assertThatThrownBy(() -> TestingTpch.assertSameRows("t", List.of(List.of(2L, "x"), List.of(2L, "x"), List.of(1L, "z")),
                duckdb, new int[] {0})).isInstanceOf(AssertionError.class).hasMessageContaining("differs");
        assertThatThrownBy(() -> TestingTpch.assertSameRows("t", duckdb.subList(0, 2), duckdb, null))
                .isInstanceOf(AssertionError.class).hasMessageContaining("2 rows, DuckDB has 3");
    }
}
