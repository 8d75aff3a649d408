package io.mppnode.server.tpch;

import java.util.stream.IntStream;

/**
 * The TPC-H plans whose answers are degenerate at scale factor 0.01, flattened, on one node at
 * scale factor 0.1 against DuckDB. At 0.01 Q17 selects no line (its answer is NULL), Q8's market
 * share is 0 in both years, and Q20 and Q21 have one row each; at 0.1 Q17 and Q8 have non-zero
 * values, Q20 has 9 rows and Q21 47. (Q15 has one row at any scale; it is here for another
 * supplier winning.)
 */
class TpchLocalLargerScaleTest extends TpchOnOneNode {
    TpchLocalLargerScaleTest() {
        super(0.1);
    }

    @Override
    IntStream queries() {
        return IntStream.of(8, 15, 17, 20, 21);
    }
}
