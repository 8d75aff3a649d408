package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A record on disk that fails its checks (magic, a checksum, or a length running past the end of
 * its segment). The log throws this rather than ever handing out such a record; the message names
 * the segment file, the record's offset and what is wrong.
 */
public final class CorruptRecordException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public CorruptRecordException(Path file, long offset, String problem) {
        super("corrupt binlog record in " + requireNonNull(file, "file is null") + " at offset " + offset + ": "
                + requireNonNull(problem, "problem is null"));
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
