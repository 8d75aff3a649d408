package io.mppnode.benchmarks;

import com.google.protobuf.ByteString;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.Binlog.WriteBinlogReq;
import io.mppnode.proto.PumpGrpc;
import io.mppnode.server.MppNode;
import io.mppnode.server.binlog.BinlogEvents;
import io.mppnode.server.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node on loopback for {@link BinlogBenchmark}, in a data directory of its own, with Pump stubs
 * over the node's own channel pool (the client a loader in the process uses, as
 * {@code TpchBinlogLoad} does). {@link #close()} stops the node and deletes the directory, binlog
 * included. Thread-safe: the stubs may be used by many threads.
 */
final class PumpNode implements AutoCloseable {
    static final long CLUSTER_ID = 1;
    /** The id of lineitem's one region, over every handle. */
    static final long LINEITEM_REGION_ID = 9001;

    private final MppNode node;
    private final Path dataDir;
    private final PumpGrpc.PumpBlockingStub blocking;
    private final PumpGrpc.PumpStub async;

    private PumpNode(MppNode node, Path dataDir) {
        this.node = node;
        this.dataDir = dataDir;
        this.blocking = PumpGrpc.newBlockingStub(node.channels().channel(node.address()));
        this.async = PumpGrpc.newStub(node.channels().channel(node.address()));
    }

    /**
     * Starts a node with {@code binlog-fsync} {@code fsync} and room for every row the
     * benchmarks store (the replica keeps them all in Arrow memory).
     */
    static PumpNode start(String fsync) throws IOException {
        Path dataDir = Files.createTempDirectory("mpp-bench-binlog");
        try {
            return new PumpNode(MppNode.start(NodeConfig.load(Map.of(
                    "listen-address", "127.0.0.1:0",
                    "metrics-address", "",
                    "data-dir", dataDir.toString(),
                    "sample-tables", "false",
                    "cluster-id", String.valueOf(CLUSTER_ID),
                    "memory-limit", "8GiB",
                    "binlog-fsync", fsync))), dataDir);
        } catch (IOException | RuntimeException e) {
            deleteTree(dataDir);
            throw e;
        }
    }

    /** Writes the CREATE TABLE of lineitem (one region over every handle) at {@code commitTs}; returns its payload's bytes. */
    long createLineitem(long commitTs) {
        ByteString ddl = BinlogEvents.createTable(TpchTable.LINEITEM.info(),
                List.of(BinlogEvents.region(LINEITEM_REGION_ID, HandleRange.ALL)), commitTs).toByteString();
        write(ddl);
        return ddl.size();
    }

    /**
     * WriteBinlog, waiting for the answer.
     *
     * @throws IllegalStateException when the node refuses the entity (its errmsg)
     */
    void write(ByteString payload) {
        String errmsg = blocking.withDeadlineAfter(60, TimeUnit.SECONDS)
                .writeBinlog(WriteBinlogReq.newBuilder().setClusterID(CLUSTER_ID).setPayload(payload).build())
                .getErrmsg();
        if (!errmsg.isEmpty()) {
            throw new IllegalStateException("WriteBinlog refused: " + errmsg);
        }
    }

    PumpGrpc.PumpStub async() {
        return async;
    }

    @Override
    public void close() throws IOException {
        try {
            node.close();
        } finally {
            deleteTree(dataDir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
