package io.mppnode.server.tpch;

import io.mppnode.server.MppNode;
import io.mppnode.server.binlog.TpchBinlogLoad;
import io.mppnode.server.binlog.Tso;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The 22 TPC-H queries on three nodes whose data arrived through WriteBinlog (DDLs naming each
 * node's regions, one transaction per batch of 1000 rows, as prewrite and commit), read at the
 * last heartbeat's ts, against DuckDB: the same answers as over data loaded directly
 * ({@link TpchThreeNodesSf001Test}).
 */
class TpchThroughBinlogTest extends TpchDistributedTest {
    TpchThroughBinlogTest() {
        super(0.01, 3);
    }

    @Override
    long load(MppNode first, List<String> nodeAddresses, double scale) {
        try (BufferAllocator scratch = new RootAllocator()) {
            return new TpchBinlogLoad(first.channels(), first.config().binlog().clusterId(), new Tso(), 1000)
                    .load(nodeAddresses, scale, 2, scratch);
        }
    }
}
