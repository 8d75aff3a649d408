package io.mppnode.server.binlog;

import static io.mppnode.server.binlog.TestingPump.account;
import static io.mppnode.server.binlog.TestingPump.insert;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.Binlog.Entity;
import io.mppnode.proto.Binlog.Pos;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.EventType;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.server.cli.LocalCluster;
import io.mppnode.server.coordinator.CoordinatorServer;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.rpc.ChannelPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process SIGKILLed while writers are mid-stream, and a segment left with a torn record:
 * after the restart every acknowledged entity is there (in the log and in the replica), the
 * torn tail is cut, and no entity is served with a bad checksum.
 */
class BinlogCrashTest {
    private static final List<String> FLAGS = List.of("--binlog-segment-size=4KiB", "--task-timeout=5s");

    @TempDir
    Path workDir;

    @Test
    void noAcknowledgedEntityIsLostAndNoCorruptOneIsServed() throws Exception {
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        Set<Long> attempted = ConcurrentHashMap.newKeySet();
        List<Long> prewrittenOnly = new ArrayList<>();
        Tso tso = new Tso();
        try (ChannelPool channels = new ChannelPool()) {
            try (LocalCluster cluster = LocalCluster.start(1, workDir, FLAGS)) {
                TestingPump pump = new TestingPump(channels.channel(cluster.addresses().getFirst()));
                pump.createAccounts();
                CountDownLatch enough = new CountDownLatch(200);
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    int writer = w;
                    writers.add(Thread.ofPlatform().start(() -> {
                        for (long id = writer; ; id += 3) {
                            long startTs = tso.next();
                            attempted.add(id);
                            synchronized (prewrittenOnly) {
                                // Before the write: a prewrite the crash kept durable may never have been acknowledged.
                                prewrittenOnly.add(startTs);
                            }
                            try {
                                pump.ok(BinlogEvents.prewrite(startTs, List.of(TableMutation.newBuilder().setTableId(TestingPump.ACCOUNTS.id())
                                        .addChanges(insert(account(id, "writer " + writer, id + ".00"))).build())));
                                pump.ok(BinlogEvents.commit(startTs, tso.next()));
                                synchronized (prewrittenOnly) {
                                    prewrittenOnly.remove(startTs);
                                }
                            } catch (RuntimeException | AssertionError e) {
                                return; // the node is gone
                            }
                            acknowledged.add(id);
                            enough.countDown();
                        }
                    }));
                }
                assertThat(enough.await(60, TimeUnit.SECONDS)).as("200 transactions acknowledged").isTrue();
                cluster.kill(0);
                for (Thread writer : writers) {
                    writer.join(TimeUnit.SECONDS.toMillis(60));
                }
            }
            Path dataDir = workDir.resolve("node-1");
            assertThat(segments(dataDir)).as("the small segment size made several segments").hasSizeGreaterThan(2);

            long readAt;
            try (LocalCluster cluster = restart(dataDir)) {
                TestingPump pump = new TestingPump(channels.channel(cluster.addresses().getFirst()));
                // Transactions whose commit was never acknowledged are rolled back, as TiDB would; the node
                // refuses the rollbacks of prewrites that never reached its log (or whose commit did).
                for (long startTs : prewrittenOnly) {
                    pump.write(BinlogEvents.rollback(startTs));
                }
                assertThat(pump.write(BinlogEvents.heartbeat(tso.next()))).isEmpty();
                readAt = tso.next();
                pump.ok(BinlogEvents.heartbeat(readAt));
                Set<Long> visible = ids(channels, cluster.addresses().getFirst(), readAt);
                assertThat(visible).as("every acknowledged transaction survived the crash").containsAll(acknowledged);
                assertThat(attempted).as("nothing that was never written").containsAll(visible);
                assertAllEntitiesIntact(pump);
            }

            // A torn write at the tail: the first bytes of a record, cut off by a crash mid-append.
            Path last = segments(dataDir).getLast();
            byte[] recordStart = Files.readAllBytes(segments(dataDir).getFirst());
            Files.write(last, java.util.Arrays.copyOf(recordStart, 40), StandardOpenOption.APPEND);
            long sizeWithTornTail = Files.size(last);
            try (LocalCluster cluster = restart(dataDir)) {
                assertThat(Files.size(last)).as("the torn tail was cut").isEqualTo(sizeWithTornTail - 40);
                assertThat(Files.readString(cluster.log(0))).contains("cut");
                Set<Long> visible = ids(channels, cluster.addresses().getFirst(), readAt);
                assertThat(visible).containsAll(acknowledged);
                assertAllEntitiesIntact(new TestingPump(channels.channel(cluster.addresses().getFirst())));
            }
        }
    }

    private LocalCluster restart(Path dataDir) throws Exception {
        Files.deleteIfExists(dataDir.resolve(io.mppnode.server.MppNode.ADDRESS_FILE));
        return LocalCluster.start(1, workDir, FLAGS);
    }

    private static List<Path> segments(Path dataDir) throws java.io.IOException {
        try (var files = Files.list(dataDir.resolve("binlog"))) {
            return files.filter(path -> path.getFileName().toString().startsWith("binlog-")).sorted().toList();
        }
    }

    private static Set<Long> ids(ChannelPool channels, String address, long startTs) {
        try (CoordinatorServer coordinator = CoordinatorServer.start("127.0.0.1:0", "")) {
            Set<Long> ids = new HashSet<>();
            coordinator.coordinator().execute(QuerySpec.of(TestingPump.scanAll(TestingPump.ACCOUNTS), List.of(address)).withStartTs(startTs)
                    .withTimeout(Duration.ofSeconds(30))).rows().forEach(row -> ids.add((Long) row.getFirst()));
            return ids;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Pulls the whole log: every entity parses and its checksum is the payload's. */
    private static void assertAllEntitiesIntact(TestingPump pump) throws Exception {
        try (TestingPump.Pull pull = pump.pull(Pos.getDefaultInstance())) {
            int count = 0;
            Object next;
            while ((next = pull.received.poll(2, TimeUnit.SECONDS)) != null) {
                assertThat(next).as("entity %d", count).isInstanceOf(Entity.class);
                Entity entity = (Entity) next;
                CRC32C crc = new CRC32C();
                crc.update(entity.getPayload().asReadOnlyByteBuffer());
                assertThat(java.nio.ByteBuffer.wrap(entity.getChecksum().toByteArray()).getInt()).isEqualTo((int) crc.getValue());
                assertThat(BinlogEvent.parseFrom(entity.getPayload()).getType()).isNotEqualTo(EventType.UNRECOGNIZED);
                count++;
            }
            assertThat(count).isGreaterThan(400);
        }
    }
}
