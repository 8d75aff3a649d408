package io.mppnode.server.binlog;

import static io.mppnode.server.binlog.TestingPump.account;
import static io.mppnode.server.binlog.TestingPump.insert;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mppnode.proto.Binlog.Entity;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.proto.binlog.Value;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.log.LogPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Pump service of a real node over loopback gRPC: writes, pulls, follow mode, and every refusal. */
class PumpServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestingNode node;
    private TestingPump pump;
    private final List<BinlogEvent> written = new ArrayList<>();

    @BeforeEach
    void setUp() {
        node = TestingNode.start(Map.of("sample-tables", "false"));
        pump = new TestingPump(node.channel());
    }

    @AfterEach
    void tearDown() {
        node.close();
    }

    private void write(BinlogEvent event) {
        pump.ok(event);
        written.add(event);
    }

    /** The accounts table and three committed transactions: 7 entities. */
    private void writeSome() {
        write(BinlogEvents.createTable(TestingPump.ACCOUNTS, List.of(BinlogEvents.region(9001, io.mppnode.exec.storage.HandleRange.ALL)),
                pump.tso.next()));
        for (int i = 1; i <= 3; i++) {
            long startTs = pump.tso.next();
            write(BinlogEvents.prewrite(startTs, List.of(TableMutation.newBuilder().setTableId(TestingPump.ACCOUNTS.id())
                    .addChanges(insert(account(i, "owner " + i, i + ".50"))).build())));
            write(BinlogEvents.commit(startTs, pump.tso.next()));
        }
    }

    @Test
    void pullsBackWhatWasWrittenWithPositionsAndChecksums() throws Exception {
        writeSome();
        try (TestingPump.Pull pull = pump.pull(Pos.getDefaultInstance())) {
            List<Entity> entities = pull.take(written.size(), WAIT);
            for (int i = 0; i < entities.size(); i++) {
                Entity entity = entities.get(i);
                assertThat(BinlogEvent.parseFrom(entity.getPayload())).isEqualTo(written.get(i));
                CRC32C crc = new CRC32C();
                crc.update(entity.getPayload().asReadOnlyByteBuffer());
                assertThat(entity.getChecksum()).as("checksum of entity %d", i)
                        .isEqualTo(ByteString.copyFrom(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array()));
                assertThat(entity.getMeta().getStartTs()).isEqualTo(written.get(i).getStartTs());
                assertThat(entity.getMeta().getCommitTs()).isEqualTo(written.get(i).getCommitTs());
                if (i > 0) {
                    assertThat(position(entity)).as("positions increase").isGreaterThan(position(entities.get(i - 1)));
                }
            }
        }
    }

    @Test
    void pullsFromTheMiddle() throws Exception {
        writeSome();
        List<Entity> all;
        try (TestingPump.Pull pull = pump.pull(Pos.getDefaultInstance())) {
            all = pull.take(written.size(), WAIT);
        }
        try (TestingPump.Pull pull = pump.pull(all.get(3).getPos())) {
            assertThat(pull.take(4, WAIT)).isEqualTo(all.subList(3, 7));
            assertThat(pull.received.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS)).as("nothing after the end").isNull();
        }
    }

    @Test
    void followsWritesThatComeLater() throws Exception {
        writeSome();
        try (TestingPump.Pull pull = pump.pull(Pos.getDefaultInstance())) {
            pull.take(written.size(), WAIT);
            long commitTs = pump.commit(insert(account(9, "late", "9.00")));
            List<Entity> later = pull.take(2, WAIT);
            assertThat(later.get(1).getMeta().getCommitTs()).isEqualTo(commitTs);
            assertThat(BinlogEvent.parseFrom(later.get(0).getPayload()).getType()).isEqualTo(io.mppnode.proto.binlog.EventType.PREWRITE);
        }
    }

    @Test
    void refusesBadPullPositionsAndClusters() throws Exception {
        writeSome();
        try (TestingPump.Pull pull = pump.pull(Pos.newBuilder().setSuffix(0).setOffset(5).build())) {
            Status status = ((StatusRuntimeException) pull.error(WAIT)).getStatus();
            assertThat(status.getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
            assertThat(status.getDescription()).contains("offset 5");
        }
        try (TestingPump.Pull pull = pump.pull(Pos.newBuilder().setSuffix(7).setOffset(0).build())) {
            assertThat(((StatusRuntimeException) pull.error(WAIT)).getStatus().getDescription()).contains("suffix 7");
        }
        var wrongCluster = io.mppnode.proto.PumpGrpc.newBlockingStub(node.channel())
                .pullBinlogs(io.mppnode.proto.Binlog.PullBinlogReq.newBuilder().setClusterID(99).build());
        try {
            wrongCluster.hasNext();
            throw new AssertionError("a pull with another clusterID was served");
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("clusterID 99 does not match");
        }
    }

    @Test
    void refusesBadEntitiesSayingWhyAndKeepsEverythingElse() {
        writeSome();
        LogPosition end = node.node().binlog().log().end();
        long resolved = node.node().binlog().replica().resolvedTs();
        long startTs = pump.tso.next();

        assertThat(pump.writeRaw(42, written.getFirst().toByteString())).contains("clusterID 42 does not match this node's cluster id 1");
        assertThat(pump.writeRaw(TestingPump.CLUSTER_ID, ByteString.copyFromUtf8("\u00ff\u00fe not a protobuf")))
                .contains("does not parse as a mppnode.binlog.BinlogEvent");
        assertThat(pump.write(BinlogEvents.commit(startTs, startTs + 1)))
                .contains("COMMIT for start_ts " + startTs + ", but no prewrite with that start_ts is waiting");
        assertThat(pump.write(BinlogEvents.rollback(startTs))).contains("no prewrite with that start_ts is waiting");
        assertThat(pump.write(BinlogEvents.prewrite(startTs, List.of(TableMutation.newBuilder().setTableId(777)
                .addChanges(insert(account(1, "x", "1.00"))).build())))).contains("unknown table id 777");
        Row wrongType = Row.newBuilder().setHandle(5).addValues(Value.newBuilder().setStringValue("five"))
                .addValues(Value.newBuilder().setStringValue("x")).addValues(Value.newBuilder().setDecimalValue("1")).build();
        assertThat(pump.write(prewrite(startTs, insert(wrongType)))).contains("column 'id' is int64, the value is a string");
        assertThat(pump.write(prewrite(startTs, insert(Row.newBuilder().setHandle(5).addValues(Value.newBuilder().setInt64Value(5)).build()))))
                .contains("has 1 values; the table has 3 columns");
        assertThat(pump.write(prewrite(startTs, insert(account(5, "x", "1.234"))))).contains("more than 2 digits after the point");
        // A prewrite whose second change is bad: nothing of the first is kept either.
        assertThat(pump.write(prewrite(startTs, insert(account(6, "fine", "1.00")), insert(wrongType)))).contains("change 1");
        assertThat(pump.write(BinlogEvents.createTable(TestingPump.ACCOUNTS, List.of(), pump.tso.next()))).contains("table id 501 exists");
        assertThat(pump.write(BinlogEvents.dropTable(12345, pump.tso.next()))).contains("unknown table id 12345");

        assertThat(node.node().binlog().log().end()).as("nothing refused reached the log").isEqualTo(end);
        assertThat(node.node().binlog().replica().resolvedTs()).isEqualTo(resolved);
        assertThat(node.node().binlog().replica().waitingPrewrites()).isZero();
        // The node keeps taking good writes, and the earlier rows are all there.
        long commitTs = pump.commit(insert(account(6, "fine", "1.00")));
        assertThat(TestingReplica.rows(node, TestingPump.ACCOUNTS, commitTs)).containsExactly(
                List.of(1L, "owner 1", new java.math.BigDecimal("1.50")),
                List.of(2L, "owner 2", new java.math.BigDecimal("2.50")),
                List.of(3L, "owner 3", new java.math.BigDecimal("3.50")),
                List.of(6L, "fine", new java.math.BigDecimal("1.00")));

        long waiting = pump.tso.next();
        pump.ok(prewrite(waiting, insert(account(7, "late", "7.00"))));
        assertThat(pump.write(BinlogEvents.commit(waiting, waiting))).contains("has commit_ts " + waiting + "; it must be above the start_ts");
        assertThat(pump.write(BinlogEvents.dropTable(TestingPump.ACCOUNTS.id(), commitTs)))
                .contains("DDL at commit_ts " + commitTs + " is at or below the replica's resolved ts");
        assertThat(pump.write(prewrite(waiting, insert(account(8, "again", "8.00"))))).contains("is already waiting for its commit");
        pump.ok(BinlogEvents.rollback(waiting));
        assertThat(node.node().binlog().replica().waitingPrewrites()).isZero();
    }

    private static BinlogEvent prewrite(long startTs, io.mppnode.proto.binlog.RowChange... changes) {
        return BinlogEvents.prewrite(startTs, List.of(TableMutation.newBuilder().setTableId(TestingPump.ACCOUNTS.id())
                .addAllChanges(List.of(changes)).build()));
    }

    private static LogPosition position(Entity entity) {
        return new LogPosition(entity.getPos().getSuffix(), entity.getPos().getOffset());
    }
}
