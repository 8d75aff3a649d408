package io.mppnode.server.admin;

import io.grpc.stub.StreamObserver;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.LoadProgress;
import io.mppnode.proto.admin.LoadTpchRequest;
import io.mppnode.proto.admin.TpchPart;
import io.mppnode.server.rpc.ChannelPool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiConsumer;

/**
 * Loads TPC-H into a cluster: each table is cut into generator parts, one region each, spread
 * round-robin over the nodes (nation and region in one part); every node generates its own
 * parts (LoadTpch), all nodes at once.
 */
public final class TpchLoad {
    private TpchLoad() {}

    /** The parts of each table and the node that loads each: part p of table t goes to node (p - 1 + t's ordinal) mod n. */
    public static Map<String, List<TpchPart>> layout(List<String> nodes, double scaleFactor, int regionsPerNode) {
        Map<String, List<TpchPart>> byNode = new LinkedHashMap<>();
        nodes.forEach(node -> byNode.put(node, new ArrayList<>()));
        for (TpchTable table : TpchTable.values()) {
            int parts = (int) Math.min(table.maxParts(scaleFactor), (long) nodes.size() * regionsPerNode);
            for (int part = 1; part <= parts; part++) {
                String node = nodes.get((part - 1 + table.ordinal()) % nodes.size());
                byNode.get(node).add(TpchPart.newBuilder().setTable(table.tableName()).setPart(part).setParts(parts).build());
            }
        }
        return byNode;
    }

    /**
     * Loads and waits. {@code progress} gets (rows loaded, rows expected) over all nodes as they
     * report.
     *
     * @return the rows loaded
     * @throws MppException naming the node whose load failed
     */
    public static long load(ChannelPool channels, List<String> nodes, double scaleFactor, int regionsPerNode, long timeoutMillis,
            BiConsumer<Long, Long> progress) {
        Map<String, List<TpchPart>> layout = layout(nodes, scaleFactor, regionsPerNode);
        AtomicLongArray done = new AtomicLongArray(nodes.size());
        AtomicLongArray total = new AtomicLongArray(nodes.size());
        List<CompletableFuture<Void>> loads = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            int index = i;
            String node = nodes.get(i);
            CompletableFuture<Void> finished = new CompletableFuture<>();
            loads.add(finished);
            AdminGrpc.newStub(channels.channel(node))
                    .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .loadTpch(LoadTpchRequest.newBuilder().setScaleFactor(scaleFactor).addAllParts(layout.get(node)).build(),
                            new StreamObserver<>() {
                                @Override
                                public void onNext(LoadProgress value) {
                                    done.set(index, value.getRows());
                                    total.set(index, value.getTotalRows());
                                    progress.accept(sum(done), sum(total));
                                }

                                @Override
                                public void onError(Throwable error) {
                                    finished.completeExceptionally(new MppException(ErrorCode.CONNECTION_FAILED,
                                            "loading TPC-H on " + node + " failed: " + error.getMessage(), error));
                                }

                                @Override
                                public void onCompleted() {
                                    finished.complete(null);
                                }
                            });
        }
        try {
            CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).get(timeoutMillis + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof MppException mpp ? mpp : new MppException(ErrorCode.INTERNAL_ERROR, e.getCause().toString(), e.getCause());
        } catch (TimeoutException e) {
            throw new MppException(ErrorCode.TIMEOUT, "loading TPC-H did not finish within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MppException(ErrorCode.QUERY_CANCELLED, "loading TPC-H was interrupted");
        }
        return sum(done);
    }

    private static long sum(AtomicLongArray values) {
        long sum = 0;
        for (int i = 0; i < values.length(); i++) {
            sum += values.get(i);
        }
        return sum;
    }
}
