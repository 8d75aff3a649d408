package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.TestingLogs.PAYLOAD_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.RECORD_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.appendAll;
import static io.mppnode.server.binlog.log.TestingLogs.assertEntities;
import static io.mppnode.server.binlog.log.TestingLogs.await;
import static io.mppnode.server.binlog.log.TestingLogs.failureOf;
import static io.mppnode.server.binlog.log.TestingLogs.open;
import static io.mppnode.server.binlog.log.TestingLogs.payload;
import static io.mppnode.server.binlog.log.TestingLogs.readAll;
import static io.mppnode.server.binlog.log.TestingLogs.segmentFile;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Appending, reading back, rolling, following the end, group commit, closing and metrics. */
class SegmentedLogTest {
    /** Three test records fit a segment, the fourth rolls. */
    private static final LogOptions SMALL_SEGMENTS = LogOptions.defaults().withSegmentSizeBytes(3 * RECORD_BYTES + 10);

    @TempDir
    Path directory;

    @Test
    void appendedEntitiesReadBackInOrder() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertThat(log.start()).isEqualTo(new LogPosition(0, 0));
            assertThat(log.end()).isEqualTo(new LogPosition(0, 0));

            List<LogPosition> positions = appendAll(log, 0, 10);

            for (int i = 0; i < positions.size(); i++) {
                assertThat(positions.get(i)).isEqualTo(new LogPosition(0, (long) i * RECORD_BYTES));
            }
            assertThat(log.end()).isEqualTo(new LogPosition(0, 10L * RECORD_BYTES));
            List<LogEntry> entries = readAll(log, log.start());
            assertEntities(entries, 0, 10);
            assertThat(entries).extracting(LogEntry::position).isEqualTo(positions);
        }
    }

    @Test
    void emptyAndLargePayloadsReadBack() throws Exception {
        ByteString large = payload(7, 3 * LogReader.BUFFER_BYTES + 17);
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            await(log.append(1, 0, ByteString.EMPTY));
            await(log.append(2, 3, large));
            await(log.append(4, 5, payload(8)));

            List<LogEntry> entries = readAll(log, log.start());

            assertThat(entries).extracting(LogEntry::payload).containsExactly(ByteString.EMPTY, large, payload(8));
            assertThat(entries).extracting(LogEntry::startTs).containsExactly(1L, 2L, 4L);
        }
    }

    @Test
    void readingFromAnAppendedPositionReturnsExactlyTheRest() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            List<LogPosition> positions = appendAll(log, 0, 10);

            List<LogEntry> rest = readAll(log, positions.get(4));

            assertEntities(rest, 4, 6);
            assertThat(rest.getFirst().position()).isEqualTo(positions.get(4));
        }
    }

    @Test
    void readingCrossesSegmentRolls() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            List<LogPosition> positions = appendAll(log, 0, 10);

            assertThat(positions).extracting(LogPosition::suffix).containsExactly(0L, 0L, 0L, 1L, 1L, 1L, 2L, 2L, 2L, 3L);
            assertThat(positions.get(3)).isEqualTo(new LogPosition(1, 0));
            assertThat(positions).isSorted().doesNotHaveDuplicates();
            for (long suffix = 0; suffix < 3; suffix++) {
                assertThat(Files.size(segmentFile(directory, suffix))).isEqualTo(3L * RECORD_BYTES);
            }
            assertEntities(readAll(log, log.start()), 0, 10);
            assertEntities(readAll(log, positions.get(4)), 4, 6);
            // The end of a full segment is the same place as the start of the next one.
            assertEntities(readAll(log, new LogPosition(0, 3L * RECORD_BYTES)), 3, 7);
        }
        try (SegmentedLog reopened = open(directory, SMALL_SEGMENTS)) {
            assertThat(reopened.end()).isEqualTo(new LogPosition(3, RECORD_BYTES));
            assertEntities(readAll(reopened, reopened.start()), 0, 10);
        }
    }

    @Test
    void aRecordLargerThanASegmentGetsASegmentOfItsOwn() throws Exception {
        ByteString large = payload(1, (int) SMALL_SEGMENTS.segmentSizeBytes() * 2);
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            LogPosition first = await(log.append(0, 0, payload(0)));
            LogPosition big = await(log.append(1, 1, large));
            LogPosition after = await(log.append(2, 2, payload(2)));

            assertThat(first).isEqualTo(new LogPosition(0, 0));
            assertThat(big).isEqualTo(new LogPosition(1, 0));
            assertThat(after).isEqualTo(new LogPosition(2, 0));
            assertThat(readAll(log, log.start())).extracting(LogEntry::payload).containsExactly(payload(0), large, payload(2));
        }
    }

    @Test
    void awaitAppendCompletesOnALaterAppendAndTheReaderThenSeesIt() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 3);
            LogPosition end = log.end();
            try (LogReader reader = log.reader(end)) {
                assertThat(reader.next()).isEmpty();
                CompletableFuture<Void> appended = log.awaitAppend(end);
                assertThat(appended).isNotDone();

                // This one rolls to segment 1: the reader moves on from the end of segment 0.
                LogPosition position = await(log.append(1003, 2003, payload(3)));

                await(appended);
                Optional<LogEntry> entry = reader.next();
                assertThat(entry).isPresent();
                assertThat(entry.get().position()).isEqualTo(position).isEqualTo(new LogPosition(1, 0));
                assertEntities(List.of(entry.get()), 3, 1);
                assertThat(reader.next()).isEmpty();
            }
            assertThat(log.awaitAppend(end)).as("the end is already past it").isCompleted();
        }
    }

    @Test
    void closingFailsWaitersStillWaiting() throws Exception {
        CompletableFuture<Void> waiting;
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            waiting = log.awaitAppend(log.end());
        }
        assertThat(failureOf(waiting)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    }

    @Test
    void concurrentAppendsShareOneForceAndCompleteInLogOrder() throws Exception {
        GatedForceChannels channels = new GatedForceChannels();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SegmentedLog log = open(directory, LogOptions.defaults().withChannels(channels), meters)) {
            List<LogPosition> completed = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch forcing = channels.holdNextForce();
            // Each append's recording stage is awaited, not the append: its other dependents may run first.
            List<CompletableFuture<Void>> recorded = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<LogPosition> first = log.append(0, 0, payload(0));
            recorded.add(first.thenAccept(completed::add));
            assertThat(forcing.await(30, TimeUnit.SECONDS)).as("the writer forces the first append").isTrue();
            assertThat(log.end()).as("written but not yet durable").isEqualTo(new LogPosition(0, 0));
            assertThat(readAll(log, log.start())).isEmpty();

            // While the writer waits in that force, 4 threads queue 100 more appends.
            List<CompletableFuture<LogPosition>> futures = Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 25; i++) {
                        CompletableFuture<LogPosition> future = log.append(thread, i, payload(thread * 25 + i + 1));
                        recorded.add(future.thenAccept(completed::add));
                        futures.add(future);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join(30_000);
                assertThat(thread.isAlive()).isFalse();
            }
            assertThat(futures).hasSize(100).noneMatch(CompletableFuture::isDone);
            channels.release();

            await(CompletableFuture.allOf(recorded.toArray(CompletableFuture[]::new)));
            assertThat(completed).as("completion order is log order").hasSize(101).isSorted().doesNotHaveDuplicates();
            assertThat(meters.get("mpp.binlog.fsync").timer().count()).as("one force for the first, one for the other 100")
                    .isEqualTo(2);
            assertThat(readAll(log, log.start())).hasSize(101);
        }
    }

    @Test
    void withoutFsyncAppendsCompleteWithoutAForce() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SegmentedLog log = open(directory, LogOptions.defaults().withFsyncPolicy(FsyncPolicy.NONE), meters)) {
            appendAll(log, 0, 5);

            assertThat(meters.get("mpp.binlog.fsync").timer().count()).isZero();
            assertEntities(readAll(log, log.start()), 0, 5);
        }
        try (SegmentedLog reopened = open(directory, LogOptions.defaults())) {
            assertEntities(readAll(reopened, reopened.start()), 0, 5);
        }
    }

    @Test
    void aPayloadOverTheMaximumIsRefused() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults().withMaxPayloadBytes(PAYLOAD_BYTES))) {
            await(log.append(1, 1, payload(1, PAYLOAD_BYTES)));

            Throwable refused = failureOf(log.append(2, 2, payload(2, PAYLOAD_BYTES + 1)));

            assertThat(refused).isInstanceOf(IllegalArgumentException.class).hasMessage(
                    "binlog entity payload of 101 bytes is larger than the maximum of 100 bytes (LogOptions.maxPayloadBytes);"
                            + " nothing was stored");
            assertThat(log.end()).isEqualTo(new LogPosition(0, RECORD_BYTES));
        }
    }

    @Test
    void closeWritesQueuedAppendsAndRefusesLaterOnes() throws Exception {
        List<CompletableFuture<LogPosition>> queued = new ArrayList<>();
        SegmentedLog log = open(directory, SMALL_SEGMENTS);
        for (int i = 0; i < 50; i++) {
            queued.add(log.append(1000 + i, 2000 + i, payload(i)));
        }
        log.close();

        assertThat(queued).allMatch(future -> future.isDone() && !future.isCompletedExceptionally());
        assertThat(failureOf(log.append(1, 1, payload(1)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the binlog is closing");
        try (SegmentedLog reopened = open(directory, SMALL_SEGMENTS)) {
            assertEntities(readAll(reopened, reopened.start()), 0, 50);
        }
    }

    @Test
    void aDirectoryIsOpenInOneLogAtATime() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> open(directory, LogOptions.defaults())))
                    .isInstanceOf(IOException.class).hasMessageContaining("is in use by another open log");
        }
        open(directory, LogOptions.defaults()).close();
    }

    @Test
    void metricsCountEntitiesBytesForcesAndSegments() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS, meters)) {
            appendAll(log, 0, 7);

            assertThat(meters.get("mpp.binlog.entities.written").counter().count()).isEqualTo(7);
            assertThat(meters.get("mpp.binlog.bytes.written").counter().count()).isEqualTo(7.0 * RECORD_BYTES);
            assertThat(meters.get("mpp.binlog.fsync").timer().count()).isGreaterThanOrEqualTo(7);
            assertThat(meters.get("mpp.binlog.segments").gauge().value()).isEqualTo(3);
            assertThat(meters.get("mpp.binlog.disk.bytes").gauge().value()).isEqualTo(7.0 * RECORD_BYTES);
        }
        assertThat(meters.find("mpp.binlog.segments").gauge()).as("a closed log reports no gauges").isNull();
    }

    /** Channels whose next force waits until the test releases it, to hold the writer mid-group. */
    private static final class GatedForceChannels implements SegmentChannels {
        private volatile CountDownLatch entered;
        private final CountDownLatch released = new CountDownLatch(1);

        CountDownLatch holdNextForce() {
            entered = new CountDownLatch(1);
            return entered;
        }

        void release() {
            released.countDown();
        }

        @Override
        public FileChannel open(Path path, OpenOption... options) throws IOException {
            return new TestingFileChannel(FileChannel.open(path, options)) {
                @Override
                public void force(boolean metaData) throws IOException {
                    CountDownLatch gate = entered;
                    if (gate != null && gate.getCount() > 0) {
                        gate.countDown();
                        try {
                            if (!released.await(30, TimeUnit.SECONDS)) {
                                throw new IOException("the test never released the force");
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                    super.force(metaData);
                }
            };
        }
    }
}
