package io.mppnode.server.binlog.log;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of one record: a 32-byte big-endian header, then the payload.
 *
 * <pre>
 *  0  magic            u32  {@link #MAGIC}
 *  4  payload length   u32
 *  8  start ts         i64
 * 16  commit ts        i64
 * 24  payload CRC32C   u32
 * 28  header CRC32C    u32  over bytes 0..27, so a torn or corrupt header is caught before its
 *                           length is trusted
 * 32  payload
 * </pre>
 */
final class LogRecordFormat {
    /** "MPBL": mpp-node binlog. Zeroed or foreign bytes fail this before the checksums. */
    static final int MAGIC = 0x4D50_424C;
    static final int HEADER_BYTES = 32;
    private static final int HEADER_CHECKSUMMED_BYTES = 28;

    private LogRecordFormat() {}

    /** A decoded, checksum-valid header. */
    record Header(int payloadLength, long startTs, long commitTs, int payloadChecksum) {
        long recordBytes() {
            return HEADER_BYTES + (long) payloadLength;
        }
    }

    static int checksum(ByteString payload) {
        CRC32C crc = new CRC32C();
        for (ByteBuffer buffer : payload.asReadOnlyByteBufferList()) {
            crc.update(buffer);
        }
        return (int) crc.getValue();
    }

    static int checksum(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    /** A header ready to write (position 0, limit {@link #HEADER_BYTES}). */
    static ByteBuffer encodeHeader(int payloadLength, long startTs, long commitTs, int payloadChecksum) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES)
                .putInt(MAGIC)
                .putInt(payloadLength)
                .putLong(startTs)
                .putLong(commitTs)
                .putInt(payloadChecksum);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_CHECKSUMMED_BYTES);
        header.putInt((int) crc.getValue());
        return header.flip();
    }

    /**
     * Decodes the header at {@code index} of {@code source} (absolute, the buffer's position is not
     * moved); {@code file} and {@code offset} only name the record in the exception.
     */
    static Header decodeHeader(ByteBuffer source, int index, Path file, long offset) throws CorruptRecordException {
        int magic = source.getInt(index);
        if (magic != MAGIC) {
            throw new CorruptRecordException(file, offset, String.format(
                    "bad magic 0x%08x where a record header should start (expected 0x%08x)", magic, MAGIC));
        }
        CRC32C crc = new CRC32C();
        crc.update(source.slice(index, HEADER_CHECKSUMMED_BYTES));
        int stored = source.getInt(index + HEADER_CHECKSUMMED_BYTES);
        if ((int) crc.getValue() != stored) {
            throw new CorruptRecordException(file, offset, String.format(
                    "header checksum mismatch: stored 0x%08x, computed 0x%08x", stored, (int) crc.getValue()));
        }
        long payloadLength = Integer.toUnsignedLong(source.getInt(index + 4));
        if (payloadLength > LogOptions.LARGEST_MAX_PAYLOAD_BYTES) {
            throw new CorruptRecordException(file, offset, "payload length " + payloadLength + " is larger than any payload"
                    + " the log writes (" + LogOptions.LARGEST_MAX_PAYLOAD_BYTES + ")");
        }
        return new Header((int) payloadLength, source.getLong(index + 8), source.getLong(index + 16),
                source.getInt(index + 24));
    }
}
