package io.mppnode.exchange.grpc;

import static io.mppnode.exchange.grpc.PacketWire.CHUNKS_FIELD;
import static io.mppnode.exchange.grpc.PacketWire.DATA_FIELD;
import static io.mppnode.exchange.grpc.PacketWire.ERROR_FIELD;
import static io.mppnode.exchange.grpc.PacketWire.STREAM_IDS_FIELD;
import static io.mppnode.exchange.grpc.PacketWire.VERSION_FIELD;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_END_GROUP;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_FIXED32;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_FIXED64;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_LENGTH_DELIMITED;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_START_GROUP;
import static io.mppnode.exchange.grpc.PacketWire.WIRE_VARINT;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.proto.Mpp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;

/**
 * Parses {@code mpp.MPPDataPacket} protobuf bytes by hand, the way the stock parser reads them:
 * fields in any order, a repeated scalar field packed or not, a known field with an unexpected
 * wire type and unknown fields skipped, the last {@code data} and {@code version} win, repeated
 * {@code error}s merge. Chunks become Arrow memory through the {@link WireInput}; the small
 * fields ({@code data}, {@code error}) are heap.
 *
 * <p>Malformed input fails with an {@link MppException} ({@link ErrorCode#REMOTE_TASK_FAILED})
 * that says what is wrong and where, after releasing every chunk read so far. A length is
 * checked against what is left of the message before anything is allocated for it.
 */
final class InboundPacketParser {
    private static final int MAX_GROUP_DEPTH = 100;
    /** What a varint is, for error messages only (built on failure, not per read). */
    private static final int TAG = -1;
    private static final int LENGTH_OF = 1 << 30;

    private final WireInput input;
    private final List<ArrowBuf> chunks = new ArrayList<>();
    private long[] streamIds = new long[0];
    private int streamIdCount;
    private ByteString data = ByteString.EMPTY;
    private Mpp.Error.Builder error;
    private long version;

    private InboundPacketParser(WireInput input) {
        this.input = input;
    }

    /**
     * Parses the whole of {@code input} and closes it (also on failure).
     *
     * @return the packet, owning its chunks
     * @throws MppException when the bytes are not an MPPDataPacket
     * @throws org.apache.arrow.memory.OutOfMemoryException when the allocator refuses a chunk
     */
    static InboundPacket parse(WireInput input) {
        InboundPacketParser parser = new InboundPacketParser(input);
        try (input) {
            return parser.parseMessage();
        } catch (IOException e) {
            parser.releaseChunks();
            throw new UncheckedIOException("reading a data packet failed", e);
        } catch (RuntimeException | Error e) {
            parser.releaseChunks();
            throw e;
        }
    }

    private InboundPacket parseMessage() throws IOException {
        while (input.hasMore()) {
            long tag = readVarint(TAG);
            int field = fieldNumber(tag);
            int wireType = (int) (tag & 7);
            if (field == DATA_FIELD && wireType == WIRE_LENGTH_DELIMITED) {
                data = UnsafeByteOperations.unsafeWrap(readSmallBytes(field));
            } else if (field == ERROR_FIELD && wireType == WIRE_LENGTH_DELIMITED) {
                byte[] bytes = readSmallBytes(field);
                try {
                    if (error == null) {
                        error = Mpp.Error.newBuilder();
                    }
                    error.mergeFrom(bytes);
                } catch (InvalidProtocolBufferException e) {
                    throw malformed("the error field is not an mpp.Error (" + e.getMessage() + ")");
                }
            } else if (field == CHUNKS_FIELD && wireType == WIRE_LENGTH_DELIMITED) {
                readChunk();
            } else if (field == STREAM_IDS_FIELD && wireType == WIRE_LENGTH_DELIMITED) {
                readPackedStreamIds();
            } else if (field == STREAM_IDS_FIELD && wireType == WIRE_VARINT) {
                addStreamId(readVarint(STREAM_IDS_FIELD));
            } else if (field == VERSION_FIELD && wireType == WIRE_VARINT) {
                version = readVarint(VERSION_FIELD);
            } else {
                skipField(field, wireType, 0);
            }
        }
        long[] ids = Arrays.copyOf(streamIds, streamIdCount);
        InboundPacket packet = new InboundPacket(version, chunks, ids, data, error == null ? null : error.build(), input.position());
        chunks.clear();
        return packet;
    }

    private void readChunk() throws IOException {
        int length = readLength(CHUNKS_FIELD);
        ArrowBuf chunk = input.readChunk(length);
        if (chunk == null) {
            throw malformed("a chunk of " + length + " bytes is cut short by the end of the message");
        }
        chunks.add(chunk);
    }

    private void readPackedStreamIds() throws IOException {
        int length = readLength(STREAM_IDS_FIELD);
        long end = input.position() + length;
        while (input.position() < end) {
            addStreamId(readVarint(STREAM_IDS_FIELD));
        }
        if (input.position() != end) {
            throw malformed("a packed stream id runs past the end of stream_ids");
        }
    }

    private void addStreamId(long id) {
        if (streamIdCount == streamIds.length) {
            streamIds = Arrays.copyOf(streamIds, Math.max(8, streamIdCount * 2));
        }
        streamIds[streamIdCount++] = id;
    }

    private byte[] readSmallBytes(int field) throws IOException {
        int length = readLength(field);
        byte[] bytes = new byte[length];
        if (!input.readFully(bytes, 0, length)) {
            throw malformed("field " + field + " of " + length + " bytes is cut short by the end of the message");
        }
        return bytes;
    }

    private void skipField(int field, int wireType, int depth) throws IOException {
        switch (wireType) {
            case WIRE_VARINT -> readVarint(field);
            case WIRE_FIXED64 -> skipExactly(field, 8);
            case WIRE_LENGTH_DELIMITED -> skipExactly(field, readLength(field));
            case WIRE_FIXED32 -> skipExactly(field, 4);
            case WIRE_START_GROUP -> skipGroup(field, depth);
            case WIRE_END_GROUP -> throw malformed("an end-group tag for field " + field + " outside a group");
            default -> throw malformed("field " + field + " has the invalid wire type " + wireType);
        }
    }

    private void skipGroup(int group, int depth) throws IOException {
        if (depth >= MAX_GROUP_DEPTH) {
            throw malformed("groups nested deeper than " + MAX_GROUP_DEPTH);
        }
        while (true) {
            if (!input.hasMore()) {
                throw malformed("group " + group + " is not closed before the end of the message");
            }
            long tag = readVarint(TAG);
            int field = fieldNumber(tag);
            int wireType = (int) (tag & 7);
            if (wireType == WIRE_END_GROUP) {
                if (field != group) {
                    throw malformed("group " + group + " is closed by an end-group tag for field " + field);
                }
                return;
            }
            skipField(field, wireType, depth + 1);
        }
    }

    private void skipExactly(int field, long count) throws IOException {
        if (!input.skip(count)) {
            throw malformed("field " + field + " is cut short by the end of the message");
        }
    }

    private int fieldNumber(long tag) {
        long field = tag >>> 3;
        if (field == 0 || field > 0x1FFFFFFF) {
            throw malformed("invalid field number " + field);
        }
        return (int) field;
    }

    /** A length prefix, checked against what is left of the message (when known). */
    private int readLength(int field) throws IOException {
        long length = readVarint(LENGTH_OF + field);
        long remaining = input.length() < 0 ? Long.MAX_VALUE : input.length() - input.position();
        if (length < 0 || length > Integer.MAX_VALUE || length > remaining) {
            throw malformed("field " + field + " claims " + Long.toUnsignedString(length) + " bytes but "
                    + (remaining == Long.MAX_VALUE ? "a message holds at most " + Integer.MAX_VALUE : "only " + remaining + " remain"));
        }
        return (int) length;
    }

    /** @param what {@link #TAG}, a field number, or {@link #LENGTH_OF} plus a field number: named only in errors */
    private long readVarint(int what) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int next = input.read();
            if (next < 0) {
                throw malformed("the varint of the " + varintName(what) + " is cut short by the end of the message");
            }
            value |= (long) (next & 0x7F) << shift;
            if ((next & 0x80) == 0) {
                return value;
            }
        }
        throw malformed("the varint of the " + varintName(what) + " is longer than 10 bytes");
    }

    private static String varintName(int what) {
        if (what == TAG) {
            return "field tag";
        }
        if (what >= LENGTH_OF) {
            return "length of field " + (what - LENGTH_OF);
        }
        return switch (what) {
            case STREAM_IDS_FIELD -> "stream id";
            case VERSION_FIELD -> "version";
            default -> "field " + what;
        };
    }

    private MppException malformed(String problem) {
        String length = input.length() < 0 ? "" : " of " + input.length();
        return new MppException(ErrorCode.REMOTE_TASK_FAILED,
                "malformed MPPDataPacket: " + problem + " (at byte " + input.position() + length + ")");
    }

    private void releaseChunks() {
        for (ArrowBuf chunk : chunks) {
            chunk.close();
        }
        chunks.clear();
    }
}
