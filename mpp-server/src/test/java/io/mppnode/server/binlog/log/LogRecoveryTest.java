package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.LogRecordFormat.HEADER_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.RECORD_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.appendAll;
import static io.mppnode.server.binlog.log.TestingLogs.assertEntities;
import static io.mppnode.server.binlog.log.TestingLogs.await;
import static io.mppnode.server.binlog.log.TestingLogs.flipByte;
import static io.mppnode.server.binlog.log.TestingLogs.open;
import static io.mppnode.server.binlog.log.TestingLogs.payload;
import static io.mppnode.server.binlog.log.TestingLogs.readAll;
import static io.mppnode.server.binlog.log.TestingLogs.readRest;
import static io.mppnode.server.binlog.log.TestingLogs.segmentFile;
import static io.mppnode.server.binlog.log.TestingLogs.truncate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Opening a log after a crash: a torn or corrupt tail of the last segment is cut, a bad record in
 * an older segment is kept and refused when read, a missing segment stops the open.
 */
class LogRecoveryTest {
    private static final LogOptions SMALL_SEGMENTS = LogOptions.defaults().withSegmentSizeBytes(3 * RECORD_BYTES + 10);
    private static final long FIFTH_RECORD = 4L * RECORD_BYTES;

    @TempDir
    Path directory;

    /** Where the fifth of five records is cut: inside its header, or inside its payload. */
    @ParameterizedTest(name = "cut at {0} bytes into the last record")
    @ValueSource(ints = {1, HEADER_BYTES / 2, HEADER_BYTES, HEADER_BYTES + 50, RECORD_BYTES - 1})
    void aTornLastRecordIsCutAndAppendsContinueAtTheCut(int bytesOfLastRecord) throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            appendAll(log, 0, 5);
        }
        Path segment = segmentFile(directory, 0);
        truncate(segment, FIFTH_RECORD + bytesOfLastRecord);

        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertThat(Files.size(segment)).isEqualTo(FIFTH_RECORD);
            assertThat(log.end()).isEqualTo(new LogPosition(0, FIFTH_RECORD));
            assertEntities(readAll(log, log.start()), 0, 4);

            assertThat(await(log.append(1004, 2004, payload(4)))).isEqualTo(new LogPosition(0, FIFTH_RECORD));
        }
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertEntities(readAll(log, log.start()), 0, 5);
        }
    }

    @Test
    void aBadChecksumInTheLastRecordIsCut() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            appendAll(log, 0, 5);
        }
        flipByte(segmentFile(directory, 0), FIFTH_RECORD + HEADER_BYTES + 7);

        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertThat(log.end()).isEqualTo(new LogPosition(0, FIFTH_RECORD));
            assertThat(Files.size(segmentFile(directory, 0))).isEqualTo(FIFTH_RECORD);
            assertEntities(readAll(log, log.start()), 0, 4);
        }
    }

    @Test
    void aBadHeaderInTheLastRecordIsCut() throws Exception {
        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            appendAll(log, 0, 5);
        }
        // The commit ts: only the header checksum can tell.
        flipByte(segmentFile(directory, 0), FIFTH_RECORD + 20);

        try (SegmentedLog log = open(directory, LogOptions.defaults())) {
            assertThat(log.end()).isEqualTo(new LogPosition(0, FIFTH_RECORD));
            assertEntities(readAll(log, log.start()), 0, 4);
        }
    }

    @Test
    void aBadRecordInAnOlderSegmentIsKeptAndNeverReturned() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 7);
        }
        Path older = segmentFile(directory, 0);
        flipByte(older, RECORD_BYTES + HEADER_BYTES + 5);

        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            assertThat(Files.size(older)).as("acknowledged records are not cut").isEqualTo(3L * RECORD_BYTES);
            assertThat(log.end()).isEqualTo(new LogPosition(2, RECORD_BYTES));
            try (LogReader reader = log.reader(log.start())) {
                assertEntities(List.of(reader.next().orElseThrow()), 0, 1);

                Throwable corrupt = catchThrowable(reader::next);
                assertThat(corrupt).isInstanceOf(CorruptRecordException.class).hasMessageStartingWith(String.format(
                        "corrupt binlog record in %s at offset %d: payload checksum mismatch: stored 0x%08x, computed 0x",
                        older, RECORD_BYTES, TestingLogs.crc32c(payload(1))));
                assertThat(((CorruptRecordException) corrupt).file()).isEqualTo(older);
                assertThat(((CorruptRecordException) corrupt).offset()).isEqualTo(RECORD_BYTES);
                assertThat(catchThrowable(reader::next)).as("the reader stays in front of the bad record")
                        .isInstanceOf(CorruptRecordException.class);
            }
            // The records after it are there, from the next segment on.
            assertEntities(readAll(log, new LogPosition(1, 0)), 3, 4);
            // Where a record starts after the bad one cannot be checked from its header alone, but the
            // bad one's header is intact: its length still leads to the next record.
            assertEntities(readAll(log, new LogPosition(0, 2L * RECORD_BYTES)), 2, 5);
        }
    }

    @Test
    void aBadHeaderInAnOlderSegmentHidesWhereLaterRecordsStart() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 7);
        }
        Path older = segmentFile(directory, 0);
        flipByte(older, RECORD_BYTES + 12);

        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            assertThat(catchThrowable(() -> log.reader(new LogPosition(0, 2L * RECORD_BYTES))))
                    .isInstanceOf(CorruptRecordException.class)
                    .hasMessageContaining(older + " at offset " + RECORD_BYTES + ": header checksum mismatch");
            try (LogReader reader = log.reader(log.start())) {
                assertThat(reader.next()).isPresent();
                assertThat(catchThrowable(reader::next)).isInstanceOf(CorruptRecordException.class)
                        .hasMessageContaining("header checksum mismatch");
            }
        }
    }

    @Test
    void anEmptyLastSegmentIsWhereTheLogContinues() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 3);
        }
        // A crash right after a roll leaves the next segment created and empty.
        Files.createFile(segmentFile(directory, 1));

        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            assertThat(log.end()).isEqualTo(new LogPosition(1, 0));
            try (LogReader reader = log.reader(log.start())) {
                assertEntities(readRest(reader), 0, 3);
                assertThat(await(log.append(1003, 2003, payload(3)))).isEqualTo(new LogPosition(1, 0));
                Optional<LogEntry> next = reader.next();
                assertThat(next).isPresent();
                assertEntities(List.of(next.get()), 3, 1);
            }
        }
    }

    @Test
    void aMissingSegmentStopsTheOpenAndIsNamed() throws Exception {
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            appendAll(log, 0, 10);
        }
        Files.delete(segmentFile(directory, 1));

        Throwable failure = catchThrowable(() -> open(directory, SMALL_SEGMENTS));

        assertThat(failure).isInstanceOf(IOException.class).hasMessageStartingWith("binlog directory " + directory
                + " is missing segment binlog-0000000000000001.log (it has binlog-0000000000000000.log and then"
                + " binlog-0000000000000002.log)");
        // The failed open let go of the directory.
        Files.move(segmentFile(directory, 0), directory.resolve("moved-away"));
        try (SegmentedLog log = open(directory, SMALL_SEGMENTS)) {
            assertThat(log.start()).isEqualTo(new LogPosition(2, 0));
            assertEntities(readAll(log, log.start()), 6, 4);
        }
    }
}
