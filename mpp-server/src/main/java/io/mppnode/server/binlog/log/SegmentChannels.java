package io.mppnode.server.binlog.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the log opens its segment files and its directory. The default is {@link FileChannel#open};
 * tests substitute channels that fail like a full disk, so the failure paths run against real
 * files without a mocking library.
 */
@FunctionalInterface
public interface SegmentChannels {
    SegmentChannels DEFAULT = FileChannel::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;

    /**
     * Forces the directory itself, so that a segment just created (or deleted) stays so after a
     * power loss: the file's own force does not cover its directory entry.
     */
    default void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
