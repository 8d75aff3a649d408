package io.mppnode.server.binlog.log;

import static io.mppnode.server.binlog.log.TestingLogs.RECORD_BYTES;
import static io.mppnode.server.binlog.log.TestingLogs.appendAll;
import static io.mppnode.server.binlog.log.TestingLogs.assertEntities;
import static io.mppnode.server.binlog.log.TestingLogs.open;
import static io.mppnode.server.binlog.log.TestingLogs.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a reader may start: a record's start or the durable end, and nowhere else. */
class LogReaderPositionTest {
    /** Segments 0 and 1 hold three records each, segment 2 (the active one) holds one. */
    private static final LogOptions SMALL_SEGMENTS = LogOptions.defaults().withSegmentSizeBytes(3 * RECORD_BYTES + 10);

    @TempDir
    Path directory;

    private SegmentedLog log;

    @BeforeEach
    void appendSevenRecords() throws Exception {
        log = open(directory, SMALL_SEGMENTS);
        appendAll(log, 0, 7);
        assertThat(log.end()).isEqualTo(new LogPosition(2, RECORD_BYTES));
    }

    @AfterEach
    void close() throws Exception {
        log.close();
    }

    @Test
    void theDurableEndAndTheEndOfAFullSegmentAreValidStarts() throws Exception {
        assertThat(readAll(log, log.end())).isEmpty();
        assertEntities(readAll(log, new LogPosition(1, 3L * RECORD_BYTES)), 6, 1);
        assertEntities(readAll(log, new LogPosition(1, 0)), 3, 4);
    }

    @Test
    void aPositionInsideARecordIsRefused() {
        assertThat(catchThrowable(() -> log.reader(new LogPosition(0, 10)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 0:10: it is inside the record at offset 0 of binlog-0000000000000000.log,"
                        + " which is 132 bytes long (the next record starts at offset 132)");
        assertThat(catchThrowable(() -> log.reader(new LogPosition(1, RECORD_BYTES + 40)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 1:172: it is inside the record at offset 132 of binlog-0000000000000001.log,"
                        + " which is 132 bytes long (the next record starts at offset 264)");
        assertThat(catchThrowable(() -> log.reader(new LogPosition(2, 1)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inside the record at offset 0 of binlog-0000000000000002.log");
    }

    @Test
    void aPositionBeyondTheEndIsRefused() {
        assertThat(catchThrowable(() -> log.reader(new LogPosition(2, RECORD_BYTES + 1)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 2:133: it is beyond the durable end of the log, position 2:132");
        assertThat(catchThrowable(() -> log.reader(new LogPosition(0, 5000)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 0:5000: segment binlog-0000000000000000.log ends at offset 396");
    }

    @Test
    void aSuffixThatDoesNotExistIsRefused() {
        assertThat(catchThrowable(() -> log.reader(new LogPosition(3, 0)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 3:0: there is no segment binlog-0000000000000003.log;"
                        + " the durable end of the log is position 2:132");
        assertThat(catchThrowable(() -> log.reader(new LogPosition(99, 0)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("there is no segment binlog-0000000000000099.log");
    }

    @Test
    void aPositionInASegmentFreedByRetentionIsRefused() throws Exception {
        log.close();
        log = open(directory, SMALL_SEGMENTS.withRetentionMaxBytes(1));
        log.applyRetention(Instant.now());
        assertThat(log.start()).isEqualTo(new LogPosition(2, 0));

        assertThat(catchThrowable(() -> log.reader(new LogPosition(1, RECORD_BYTES)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read from position 1:132: segment binlog-0000000000000001.log was freed by retention;"
                        + " the oldest retained is position 2:0");
        assertThat(catchThrowable(() -> log.reader(new LogPosition(0, 0)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("binlog-0000000000000000.log was freed by retention");
    }
}
