package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One segment file, {@code binlog-<suffix as %016d>.log}, and its length. A segment other than the
 * last is sealed: it was forced when the log rolled past it and never changes again, so its length
 * is where its last record ends. The last (active) segment's length is what the writer has written,
 * durable or not; readers bound themselves by the log's durable end instead.
 */
final class Segment {
    private static final Pattern FILE_NAME = Pattern.compile("binlog-(\\d{16})\\.log");

    private final long suffix;
    private final Path path;
    private volatile long length;

    Segment(Path directory, long suffix, long length) {
        this.suffix = suffix;
        this.path = requireNonNull(directory, "directory is null").resolve(fileName(suffix));
        this.length = length;
    }

    static String fileName(long suffix) {
        return String.format("binlog-%016d.log", suffix);
    }

    /** The suffix a segment file name carries, or empty for any other file. */
    static OptionalLong suffixOf(String fileName) {
        Matcher matcher = FILE_NAME.matcher(fileName);
        return matcher.matches() ? OptionalLong.of(Long.parseLong(matcher.group(1))) : OptionalLong.empty();
    }

    long suffix() {
        return suffix;
    }

    Path path() {
        return path;
    }

    long length() {
        return length;
    }

    /** Only the writer thread (and open, before it starts) sets this. */
    void setLength(long length) {
        this.length = length;
    }

    @Override
    public String toString() {
        return path.getFileName().toString();
    }
}
