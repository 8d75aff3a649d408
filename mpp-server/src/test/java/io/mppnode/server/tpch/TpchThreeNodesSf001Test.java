package io.mppnode.server.tpch;

/** The 22 TPC-H queries distributed on three nodes, scale factor 0.01, against DuckDB. */
class TpchThreeNodesSf001Test extends TpchDistributedTest {
    TpchThreeNodesSf001Test() {
        super(0.01, 3);
    }
}
