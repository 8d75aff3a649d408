package io.mppnode.server.binlog.log;

import io.mppnode.server.binlog.log.LogRecordFormat.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link SegmentedLog#open} does to a directory before it writes again: find the segments and
 * cut a torn tail off the last one.
 *
 * <p>Only the last segment is scanned and cut. A crash can tear only what was being written, and
 * that is always in the last segment: a segment is forced before the next one is created. A bad
 * record anywhere else was acknowledged once, so it is not cut (that would drop the good records
 * after it); readers reach it and fail on it instead.
 */
final class LogRecovery {
    private static final Logger log = LoggerFactory.getLogger(LogRecovery.class);

    private LogRecovery() {}

    /**
     * The suffixes of the segment files in {@code directory}, in order; other files are ignored.
     *
     * @throws IOException naming the first missing segment if the suffixes have a gap
     */
    static List<Long> segmentSuffixes(Path directory) throws IOException {
        List<Long> suffixes = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                OptionalLong suffix = Segment.suffixOf(file.getFileName().toString());
                if (suffix.isPresent()) {
                    suffixes.add(suffix.getAsLong());
                }
            }
        }
        suffixes.sort(null);
        for (int i = 1; i < suffixes.size(); i++) {
            long expected = suffixes.get(i - 1) + 1;
            if (suffixes.get(i) != expected) {
                throw new IOException("binlog directory " + directory + " is missing segment " + Segment.fileName(expected)
                        + " (it has " + Segment.fileName(suffixes.get(i - 1)) + " and then " + Segment.fileName(suffixes.get(i))
                        + "): the records in it are lost; restore the file, or move the segments before the gap away"
                        + " if they are no longer needed");
            }
        }
        return suffixes;
    }

    /**
     * Scans the last segment from offset 0, checking every record, and cuts it at the end of the
     * last good one.
     *
     * @return the length of the segment after the cut, which is the log's durable end
     */
    static long cutTornTail(Segment last, FileChannel channel) throws IOException {
        long size = channel.size();
        SegmentFileReader reader = new SegmentFileReader(last, channel, ByteBuffer.allocate(LogReader.BUFFER_BYTES));
        long end = 0;
        String problem = null;
        while (end < size) {
            try {
                Header header = reader.readHeader(end, size);
                reader.verifyPayload(end, header, size);
                end += header.recordBytes();
            } catch (CorruptRecordException e) {
                problem = e.getMessage();
                break;
            }
        }
        if (end < size) {
            log.warn("binlog recovery cut {} bytes off the tail of {}, from offset {}: {}", size - end, last.path(), end,
                    problem);
            channel.truncate(end);
            channel.force(false);
        }
        return end;
    }
}
