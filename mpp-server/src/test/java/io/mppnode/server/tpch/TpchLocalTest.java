package io.mppnode.server.tpch;

import java.util.stream.IntStream;

/**
 * All 22 TPC-H plans, flattened, on one node at scale factor 0.01 (or the system property
 * {@code tpch.scaleFactor}) against DuckDB.
 */
class TpchLocalTest extends TpchOnOneNode {
    TpchLocalTest() {
        super(Double.parseDouble(System.getProperty("tpch.scaleFactor", "0.01")));
    }

    @Override
    IntStream queries() {
        return IntStream.rangeClosed(1, TpchQueries.COUNT);
    }
}
