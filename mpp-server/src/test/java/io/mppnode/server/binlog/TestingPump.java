package io.mppnode.server.binlog;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.Binlog.Entity;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.Binlog.PullBinlogReq;
import io.mppnode.proto.Binlog.PullBinlogResp;
import io.mppnode.proto.Binlog.WriteBinlogReq;
import io.mppnode.proto.PumpGrpc;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.RowChange;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.proto.binlog.Update;
import io.mppnode.proto.binlog.Value;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Plan;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.TypeKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Pump client for tests: writes binlog events to a node over gRPC and pulls entities back, and
 * the small table the binlog tests write ({@code accounts}: id int64, owner string, balance
 * decimal(12, 2)).
 */
final class TestingPump {
    static final long CLUSTER_ID = 1;
    static final TableInfo ACCOUNTS = new TableInfo(501, "accounts", List.of(
            new ColumnSchema("id", io.mppnode.proto.plan.DataType.newBuilder().setKind(TypeKind.INT64).build()),
            new ColumnSchema("owner", io.mppnode.proto.plan.DataType.newBuilder().setKind(TypeKind.STRING).build()),
            new ColumnSchema("balance", ColumnTypes.decimal(12, 2))));

    private final ManagedChannel channel;
    final Tso tso = new Tso();

    TestingPump(ManagedChannel channel) {
        this.channel = channel;
    }

    /** Writes an event; the errmsg ("" on success). */
    String write(BinlogEvent event) {
        return writeRaw(CLUSTER_ID, event.toByteString());
    }

    String writeRaw(long clusterId, ByteString payload) {
        return PumpGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .writeBinlog(WriteBinlogReq.newBuilder().setClusterID(clusterId).setPayload(payload).build())
                .getErrmsg();
    }

    /** Writes and insists on success. */
    void ok(BinlogEvent event) {
        String errmsg = write(event);
        if (!errmsg.isEmpty()) {
            throw new AssertionError("WriteBinlog refused " + event.getType() + ": " + errmsg);
        }
    }

    /** Creates {@code accounts} in one region over every handle; returns the DDL's commit ts. */
    long createAccounts() {
        long ts = tso.next();
        ok(BinlogEvents.createTable(ACCOUNTS, List.of(BinlogEvents.region(9001, HandleRange.ALL)), ts));
        return ts;
    }

    /** Prewrites and commits the changes to {@code accounts}; returns the commit ts. */
    long commit(RowChange... changes) {
        long startTs = tso.next();
        ok(BinlogEvents.prewrite(startTs, List.of(TableMutation.newBuilder().setTableId(ACCOUNTS.id()).addAllChanges(List.of(changes)).build())));
        long commitTs = tso.next();
        ok(BinlogEvents.commit(startTs, commitTs));
        return commitTs;
    }

    static Row account(long id, String owner, String balance) {
        return Row.newBuilder().setHandle(id)
                .addValues(Value.newBuilder().setInt64Value(id))
                .addValues(owner == null ? Value.getDefaultInstance() : Value.newBuilder().setStringValue(owner).build())
                .addValues(Value.newBuilder().setDecimalValue(balance))
                .build();
    }

    static RowChange insert(Row row) {
        return RowChange.newBuilder().setInsert(row).build();
    }

    static RowChange update(Row oldRow, Row newRow) {
        return RowChange.newBuilder().setUpdate(Update.newBuilder().setOldRow(oldRow).setNewRow(newRow)).build();
    }

    static RowChange delete(long handle) {
        return RowChange.newBuilder().setDelete(Row.newBuilder().setHandle(handle)).build();
    }

    /** A plan that returns every row of the table's columns (the coordinator adds the receiver). */
    static Plan scanAll(TableInfo table) {
        return Plan.newBuilder().setRoot(Executor.newBuilder().setExecutorId("exchange_sender_1")
                        .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                        .addChildren(Executor.newBuilder().setExecutorId("table_scan_0")
                                .setTableScan(TableScan.newBuilder().setTableId(table.id())
                                        .addAllColumns(table.columns().stream().map(ColumnSchema::name).toList()))))
                .build();
    }

    /** A pull stream: entities arrive in a queue; cancel when done. */
    final class Pull implements AutoCloseable {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private volatile ClientCallStreamObserver<PullBinlogReq> call;

        Pull(Pos from) {
            PumpGrpc.newStub(channel).pullBinlogs(PullBinlogReq.newBuilder().setClusterID(CLUSTER_ID).setStartFrom(from).build(),
                    new ClientResponseObserver<PullBinlogReq, PullBinlogResp>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<PullBinlogReq> requestStream) {
                            call = requestStream;
                        }

                        @Override
                        public void onNext(PullBinlogResp value) {
                            received.add(value.getEntity());
                        }

                        @Override
                        public void onError(Throwable t) {
                            received.add(t);
                        }

                        @Override
                        public void onCompleted() {
                            received.add("completed");
                        }
                    });
        }

        /** The next {@code count} entities, each within the timeout. */
        List<Entity> take(int count, Duration timeout) throws InterruptedException {
            List<Entity> entities = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Object next = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (next == null) {
                    throw new AssertionError("entity " + i + " of " + count + " did not arrive within " + timeout.toMillis() + " ms");
                }
                if (!(next instanceof Entity entity)) {
                    throw new AssertionError("the pull stream ended with " + next, next instanceof Throwable t ? t : null);
                }
                entities.add(entity);
            }
            return entities;
        }

        /** The error the stream ended with. */
        Throwable error(Duration timeout) throws InterruptedException {
            Object next = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!(next instanceof Throwable t)) {
                throw new AssertionError("expected the stream to fail, got " + next);
            }
            return t;
        }

        @Override
        public void close() {
            if (call != null) {
                call.cancel("test done", null);
            }
        }
    }

    Pull pull(Pos from) {
        return new Pull(from);
    }
}
