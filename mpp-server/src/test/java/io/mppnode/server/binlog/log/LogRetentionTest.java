package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.TestingLogs.RECORD_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.appendAll;
import static io.mppnode.server.binlog.log.TestingLogs.assertEntities;
import static io.mppnode.server.binlog.log.TestingLogs.open;
import static io.mppnode.server.binlog.log.TestingLogs.readAll;
import static io.mppnode.server.binlog.log.TestingLogs.readRest;
import static io.mppnode.server.binlog.log.TestingLogs.segmentFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Freeing the oldest segments by age and by total size, never the active one nor what the floor keeps. */
class LogRetentionTest {
    /** Three records a segment: eleven records make segments 0 to 2 full and segment 3 (active) with two. */
    private static final LogOptions SMALL_SEGMENTS = LogOptions.defaults().withSegmentSizeBytes(3 * RECORD_BYTES + 10);
    private static final long FULL_SEGMENT = 3L * RECORD_BYTES;
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    @TempDir
    Path directory;

    @Test
    void theOldestSegmentsGoUntilTheLogFitsTheByteBound() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        // 3 full segments and 2 records: 11 records. Keep at most 6 records' worth.
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS.withRetentionMaxBytes(6L * RECORD_BYTES), meters)) {
            appendAll(log, 0, 11);

            long freed = log.applyRetention(NOW);

            assertThat(freed).isEqualTo(2 * FULL_SEGMENT);
            assertThat(Files.exists(segmentFile(directory, 0))).isFalse();
            assertThat(Files.exists(segmentFile(directory, 1))).isFalse();
            assertThat(log.start()).isEqualTo(new LogPosition(2, 0));
            assertEntities(readAll(log, log.start()), 6, 5);
            assertThat(meters.get("mpp.binlog.segments").gauge().value()).isEqualTo(2);
            assertThat(meters.get("mpp.binlog.disk.bytes").gauge().value()).isEqualTo(5.0 * RECORD_BYTES);
            assertThat(log.applyRetention(NOW)).as("nothing more to free").isZero();
        }
        try (SegmentedLog reopened = open(directory, SMALL_SEGMENTS)) {
            assertThat(reopened.start()).isEqualTo(new LogPosition(2, 0));
            assertEntities(readAll(reopened, reopened.start()), 6, 5);
        }
    }

    @Test
    void segmentsLastWrittenBeforeTheAgeGo() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS.withRetentionMaxAge(Duration.ofHours(1)))) {
            appendAll(log, 0, 11);
            setLastModified(0, NOW.minus(Duration.ofHours(3)));
            setLastModified(1, NOW.minus(Duration.ofMinutes(61)));
            setLastModified(2, NOW.minus(Duration.ofMinutes(59)));
            setLastModified(3, NOW.minus(Duration.ofHours(5)));

            long freed = log.applyRetention(NOW);

            assertThat(freed).isEqualTo(2 * FULL_SEGMENT);
            assertThat(log.start()).as("segment 2 is younger than the age, so it and all after it stay")
                    .isEqualTo(new LogPosition(2, 0));
            assertEntities(readAll(log, log.start()), 6, 5);
        }
    }

    @Test
    void theActiveSegmentIsNeverFreed() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS.withRetentionMaxAge(Duration.ofHours(1)).withRetentionMaxBytes(1))) {
            appendAll(log, 0, 11);
            for (long suffix = 0; suffix <= 3; suffix++) {
                setLastModified(suffix, NOW.minus(Duration.ofDays(1)));
            }

            assertThat(log.applyRetention(NOW)).isEqualTo(3 * FULL_SEGMENT);

            assertThat(Files.exists(segmentFile(directory, 3))).isTrue();
            assertThat(log.start()).isEqualTo(new LogPosition(3, 0));
            assertEntities(readAll(log, log.start()), 9, 2);
            appendAll(log, 11, 1);
            assertEntities(readAll(log, log.start()), 9, 3);
        }
    }

    @Test
    void nothingAtOrAfterTheFloorIsFreed() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS.withRetentionMaxBytes(1))) {
            List<LogPosition> positions = appendAll(log, 0, 11);
            log.setRetentionFloor(positions.get(4));

            assertThat(log.applyRetention(NOW)).isEqualTo(FULL_SEGMENT);

            assertThat(log.start()).as("the floor is in segment 1").isEqualTo(new LogPosition(1, 0));
            assertEntities(readAll(log, positions.get(4)), 4, 7);

            log.setRetentionFloor(log.end());
            assertThat(log.applyRetention(NOW)).isEqualTo(2 * FULL_SEGMENT);
            assertThat(log.start()).isEqualTo(new LogPosition(3, 0));
        }
    }

    @Test
    void withoutBoundsNothingIsFreed() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 11);
            setLastModified(0, Instant.EPOCH);

            assertThat(log.applyRetention(NOW)).isZero();
            assertThat(log.start()).isEqualTo(new LogPosition(0, 0));
        }
    }

    @Test
    void aReaderFinishesASegmentFreedUnderItAndFailsWhenTheNextIsGone() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS.withRetentionMaxBytes(1))) {
            appendAll(log, 0, 11);
            try (LogReader reader = log.reader(log.start())) {
                assertThat(reader.next()).isPresent();

                log.applyRetention(NOW);

                assertEntities(List.of(reader.next().orElseThrow(), reader.next().orElseThrow()), 1, 2);
                assertThat(catchThrowable(() -> readRest(reader))).isInstanceOf(IOException.class).hasMessage(
                        "cannot read on from binlog-0000000000000000.log: the next segment binlog-0000000000000001.log was"
                                + " freed by retention while this reader was behind it; the oldest retained is position 3:0");
            }
        }
    }

    private void setLastModified(long suffix, Instant time) throws IOException {
        Files.setLastModifiedTime(segmentFile(directory, suffix), FileTime.from(time));
    }
}
