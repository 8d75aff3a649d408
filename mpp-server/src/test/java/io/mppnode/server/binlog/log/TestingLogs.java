package io.mppnode.server.binlog.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/** Shared helpers for the binlog tests: payloads, waiting on futures, reading a log back, damaging files. */
final class TestingLogs {
    /** Every test payload is this long, so record offsets are easy to compute. */
    static final int PAYLOAD_BYTES = 100;
    static final int RECORD_BYTES = LogRecordFormat.HEADER_BYTES + PAYLOAD_BYTES;

    private TestingLogs() {}

    static SegmentedLog open(Path directory, LogOptions options) throws IOException {
        return SegmentedLog.open(directory, options, new SimpleMeterRegistry());
    }

    static SegmentedLog open(Path directory, LogOptions options, MeterRegistry meters) throws IOException {
        return SegmentedLog.open(directory, options, meters);
    }

    /** {@link #PAYLOAD_BYTES} bytes that differ for every {@code seed}. */
    static ByteString payload(int seed) {
        return payload(seed, PAYLOAD_BYTES);
    }

    static ByteString payload(int seed, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (seed * 31 + i);
        }
        return ByteString.copyFrom(bytes);
    }

    static int crc32c(ByteString payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload.toByteArray());
        return (int) crc.getValue();
    }

    static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the future failed: " + e.getCause(), e.getCause());
        }
    }

    /** The exception a future fails with (waiting up to 30 s). */
    static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the future completed normally: " + future.join());
    }

    /** Appends entities {@code first} to {@code first + count - 1} (ts 1000+i and 2000+i) one after another. */
    static List<LogPosition> appendAll(SegmentedLog log, int first, int count) throws Exception {
        List<LogPosition> positions = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            positions.add(await(log.append(1000 + i, 2000 + i, payload(i))));
        }
        return positions;
    }

    static List<LogEntry> readAll(SegmentedLog log, LogPosition from) throws IOException {
        try (LogReader reader = log.reader(from)) {
            return readRest(reader);
        }
    }

    static List<LogEntry> readRest(LogReader reader) throws IOException {
        List<LogEntry> entries = new ArrayList<>();
        for (Optional<LogEntry> entry = reader.next(); entry.isPresent(); entry = reader.next()) {
            entries.add(entry.get());
        }
        return entries;
    }

    /** Checks that {@code entries} are the entities {@code first}.. that {@link #appendAll} wrote. */
    static void assertEntities(List<LogEntry> entries, int first, int count) {
        assertThat(entries).hasSize(count);
        for (int i = 0; i < count; i++) {
            LogEntry entry = entries.get(i);
            int seed = first + i;
            assertThat(entry.startTs()).as("startTs of entity %d", seed).isEqualTo(1000 + seed);
            assertThat(entry.commitTs()).as("commitTs of entity %d", seed).isEqualTo(2000 + seed);
            assertThat(entry.payload()).as("payload of entity %d", seed).isEqualTo(payload(seed));
            assertThat(entry.checksum()).as("checksum of entity %d", seed).isEqualTo(crc32c(payload(seed)));
        }
    }

    static Path segmentFile(Path directory, long suffix) {
        return directory.resolve(Segment.fileName(suffix));
    }

    /** Inverts the byte at {@code offset} of {@code file}, as a bad disk sector would change it. */
    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) ~one.get(0)).rewind();
            channel.write(one, offset);
        }
    }

    static void truncate(Path file, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(length);
        }
    }
}
