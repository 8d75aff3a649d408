package io.mppnode.server.tpch;

/** The 22 TPC-H queries distributed on one node, scale factor 0.01, against DuckDB. */
class TpchOneNodeSf001Test extends TpchDistributedTest {
    TpchOneNodeSf001Test() {
        super(0.01, 1);
    }
}
