package io.mppnode.server.tpch;

/** The 22 TPC-H queries distributed on one node, scale factor 0.1, against DuckDB. */
class TpchOneNodeSf01Test extends TpchDistributedTest {
    TpchOneNodeSf01Test() {
        super(0.1, 1);
    }
}
