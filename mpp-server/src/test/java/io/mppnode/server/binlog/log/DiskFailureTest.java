package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.LogRecordFormat.HEADER_BYTES;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write, force and roll failures: the failed appends say what happened and leave nothing on disk,
 * acknowledged records stay, and the log takes appends again once the disk recovers.
 */
class DiskFailureTest {
    private static final String WRITE_FAILED = "binlog write failed, nothing of this entity was stored: No space left on device";
    private static final long THREE_RECORDS = 3L * RECORD_BYTES;

    @TempDir
    Path directory;

    private final TestingFullDiskChannels disk = new TestingFullDiskChannels();

    @Test
    void aFullDiskFailsTheAppendLeavesNoPartialRecordAndTheLogRecovers() throws Exception {
        Path segment = segmentFile(directory, 0);
        try (SegmentedLog log = open(directory, LogOptions.defaults().withChannels(disk))) {
            appendAll(log, 0, 3);
            // Room for part of the next header only: a short write, then ENOSPC.
            disk.allowBytes(HEADER_BYTES / 2);

            Throwable failure = failureOf(log.append(1003, 2003, payload(3)));

            assertThat(failure).isInstanceOf(IOException.class).hasMessage(WRITE_FAILED);
            assertThat(Files.size(segment)).as("cut back to the durable end").isEqualTo(THREE_RECORDS);
            assertThat(log.end()).isEqualTo(new LogPosition(0, THREE_RECORDS));
            assertEntities(readAll(log, log.start()), 0, 3);
            assertThat(failureOf(log.append(1003, 2003, payload(3)))).as("still full").hasMessage(WRITE_FAILED);

            disk.unlimited();
            assertThat(await(log.append(1003, 2003, payload(3)))).isEqualTo(new LogPosition(0, THREE_RECORDS));
            assertEntities(readAll(log, log.start()), 0, 4);
        }
        try (SegmentedLog reopened = open(directory, LogOptions.defaults())) {
            assertEntities(readAll(reopened, reopened.start()), 0, 4);
        }
    }

    @Test
    void whenTheDiskFillsUnderQueuedAppendsOnlyAcknowledgedOnesAreKept() throws Exception {
        List<CompletableFuture<LogPosition>> futures = new ArrayList<>();
        int kept;
        try (SegmentedLog log = open(directory, LogOptions.defaults().withChannels(disk))) {
            appendAll(log, 0, 3);
            disk.allowBytes(2 * RECORD_BYTES + RECORD_BYTES / 2);
            for (int i = 3; i < 8; i++) {
                futures.add(log.append(1000 + i, 2000 + i, payload(i)));
            }
            await(CompletableFuture.allOf(futures.stream().map(future -> future.exceptionally(error -> null))
                    .toArray(CompletableFuture[]::new)));

            // However the writer grouped them, the ones that completed are a prefix, and the rest failed.
            int acknowledged = 0;
            while (acknowledged < futures.size() && !futures.get(acknowledged).isCompletedExceptionally()) {
                acknowledged++;
            }
            assertThat(acknowledged).isLessThanOrEqualTo(2);
            for (CompletableFuture<LogPosition> failed : futures.subList(acknowledged, futures.size())) {
                assertThat(failureOf(failed)).hasMessage(WRITE_FAILED);
            }
            assertThat(Files.size(segmentFile(directory, 0))).isEqualTo(log.end().offset())
                    .isEqualTo(THREE_RECORDS + (long) acknowledged * RECORD_BYTES);
            kept = 3 + acknowledged;
            assertEntities(readAll(log, log.start()), 0, kept);
        }
        try (SegmentedLog reopened = open(directory, LogOptions.defaults())) {
            assertEntities(readAll(reopened, reopened.start()), 0, kept);
        }
    }

    @Test
    void aFailedForceFailsTheAppendAndCutsItsRecord() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults().withChannels(disk))) {
            appendAll(log, 0, 3);
            disk.failNextForces(1);

            Throwable failure = failureOf(log.append(1003, 2003, payload(3)));

            assertThat(failure).isInstanceOf(IOException.class)
                    .hasMessage("binlog fsync failed, nothing of this entity was stored: Input/output error");
            assertThat(Files.size(segmentFile(directory, 0))).isEqualTo(THREE_RECORDS);
            assertEntities(readAll(log, log.start()), 0, 3);
            assertThat(await(log.append(1003, 2003, payload(3)))).isEqualTo(new LogPosition(0, THREE_RECORDS));
        }
        try (SegmentedLog reopened = open(directory, LogOptions.defaults())) {
            assertEntities(readAll(reopened, reopened.start()), 0, 4);
        }
    }

    @Test
    void aFailedRollFailsTheAppendAndTheNextRollWorks() throws Exception {
        LogOptions options = LogOptions.defaults().withSegmentSizeBytes(THREE_RECORDS + 10).withChannels(disk);
        try (SegmentedLog log = open(directory, options)) {
            appendAll(log, 0, 3);
            // The segment is full and forced: the next append creates segment 1 and syncs the directory, which fails.
            disk.failNextForces(1);

            Throwable failure = failureOf(log.append(1003, 2003, payload(3)));

            assertThat(failure).isInstanceOf(IOException.class)
                    .hasMessage("binlog segment roll failed, nothing of this entity was stored: Input/output error");
            assertThat(log.end()).isEqualTo(new LogPosition(0, THREE_RECORDS));
            assertThat(await(log.append(1003, 2003, payload(3)))).isEqualTo(new LogPosition(1, 0));
            assertEntities(readAll(log, log.start()), 0, 4);
        }
        try (SegmentedLog reopened = open(directory, options)) {
            assertEntities(readAll(reopened, reopened.start()), 0, 4);
        }
    }

    @Test
    void whenTheCutFailsTooLaterAppendsAreRefusedUntilReopened() throws Exception {
        Path segment = segmentFile(directory, 0);
        try (SegmentedLog log = open(directory, LogOptions.defaults().withChannels(disk))) {
            appendAll(log, 0, 3);
            disk.allowBytes(HEADER_BYTES + 10);
            disk.failTruncates(true);

            assertThat(failureOf(log.append(1003, 2003, payload(3)))).hasMessage(WRITE_FAILED);
            assertThat(Files.size(segment)).as("the partial record stays").isEqualTo(THREE_RECORDS + HEADER_BYTES + 10);

            disk.unlimited();
            disk.failTruncates(false);
            Throwable refused = failureOf(log.append(1004, 2004, payload(4)));
            assertThat(refused).isInstanceOf(IOException.class).hasMessage("the binlog refuses appends until it is reopened: "
                    + WRITE_FAILED + "; then cutting " + segment + " back to its durable end at offset " + THREE_RECORDS
                    + " failed too: Input/output error");
            assertThat(log.end()).isEqualTo(new LogPosition(0, THREE_RECORDS));
            assertEntities(readAll(log, log.start()), 0, 3);
        }
        // Recovery cuts the partial record instead.
        try (SegmentedLog reopened = open(directory, LogOptions.defaults())) {
            assertThat(Files.size(segment)).isEqualTo(THREE_RECORDS);
            assertEntities(readAll(reopened, reopened.start()), 0, 3);
            assertThat(await(reopened.append(1003, 2003, payload(3)))).isEqualTo(new LogPosition(0, THREE_RECORDS));
        }
    }
}
