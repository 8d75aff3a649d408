package io.mppnode.server.tpch;

/** The 22 TPC-H queries distributed on three nodes, scale factor 0.1, against DuckDB. */
class TpchThreeNodesSf01Test extends TpchDistributedTest {
    TpchThreeNodesSf01Test() {
        super(0.1, 3);
    }
}
