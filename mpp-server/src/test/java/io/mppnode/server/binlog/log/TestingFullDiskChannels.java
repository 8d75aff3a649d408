package io.mppnode.server.binlog.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Segment channels on a disk that fills up: once the byte budget is spent, a write stores what
 * still fits (a short write, as the kernel does) and the next one throws "No space left on device".
 * Forces and truncations can be made to fail too. Real files underneath, so what is left on disk
 * is what a real failure would leave.
 *
 * <p>Thread-safe: the budget is one disk shared by every channel it opened.
 */
final class TestingFullDiskChannels implements SegmentChannels {
    static final String NO_SPACE = "No space left on device";

    private long budget = Long.MAX_VALUE;
    private int forcesToFail;
    private boolean failTruncates;

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        return new FullDiskChannel(FileChannel.open(path, options));
    }

    /** From now on, writes store at most this many more bytes. */
    synchronized void allowBytes(long bytes) {
        budget = bytes;
    }

    /** Space is back. */
    synchronized void unlimited() {
        budget = Long.MAX_VALUE;
    }

    /** The next {@code count} forces (of files or the directory) fail with an I/O error. */
    synchronized void failNextForces(int count) {
        forcesToFail = count;
    }

    synchronized void failTruncates(boolean fail) {
        failTruncates = fail;
    }

    /** How many of {@code wanted} bytes a write may store now; throws if the disk is full. */
    private synchronized long take(long wanted) throws IOException {
        if (wanted == 0) {
            return 0;
        }
        if (budget <= 0) {
            throw new IOException(NO_SPACE);
        }
        long granted = Math.min(wanted, budget);
        budget -= granted;
        return granted;
    }

    private synchronized void checkForce() throws IOException {
        if (forcesToFail > 0) {
            forcesToFail--;
            throw new IOException("Input/output error");
        }
    }

    private synchronized void checkTruncate() throws IOException {
        if (failTruncates) {
            throw new IOException("Input/output error");
        }
    }

    private final class FullDiskChannel extends TestingFileChannel {
        FullDiskChannel(FileChannel delegate) {
            super(delegate);
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            return (int) write(new ByteBuffer[] {source}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] sources, int offset, int length) throws IOException {
            long wanted = 0;
            for (int i = offset; i < offset + length; i++) {
                wanted += sources[i].remaining();
            }
            long granted = take(wanted);
            if (granted == wanted) {
                return delegate.write(sources, offset, length);
            }
            long written = 0;
            for (int i = offset; i < offset + length && written < granted; i++) {
                ByteBuffer source = sources[i];
                int count = (int) Math.min(source.remaining(), granted - written);
                ByteBuffer part = source.slice(source.position(), count);
                while (part.hasRemaining()) {
                    delegate.write(part);
                }
                source.position(source.position() + count);
                written += count;
            }
            return written;
        }

        @Override
        public int write(ByteBuffer source, long position) throws IOException {
            throw new UnsupportedOperationException("the log does not write at positions");
        }

        @Override
        public void force(boolean metaData) throws IOException {
            checkForce();
            super.force(metaData);
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            checkTruncate();
            return super.truncate(size);
        }
    }
}
