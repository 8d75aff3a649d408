package io.mppnode.exchange.grpc;

import com.google.protobuf.ByteString;
import io.mppnode.exchange.codec.EncodedChunk;
import io.mppnode.exchange.packet.OutboundPacket;
import java.nio.ByteBuffer;

/**
 * The protobuf wire format of {@code mpp.MPPDataPacket}, written by hand: the same bytes the
 * stock encoder writes for the same values (fields in number order, proto3 defaults left out,
 * {@code stream_ids} packed), so a stock client reads them and a stock server's packets read
 * back here.
 */
final class PacketWire {
    static final int DATA_FIELD = 1;
    static final int ERROR_FIELD = 2;
    static final int CHUNKS_FIELD = 3;
    static final int STREAM_IDS_FIELD = 4;
    static final int VERSION_FIELD = 5;

    static final int WIRE_VARINT = 0;
    static final int WIRE_FIXED64 = 1;
    static final int WIRE_LENGTH_DELIMITED = 2;
    static final int WIRE_START_GROUP = 3;
    static final int WIRE_END_GROUP = 4;
    static final int WIRE_FIXED32 = 5;

    /** Where the bytes go: a transport buffer, an output stream, or the pieces of a readable stream. */
    interface Sink {
        void writeByte(int value);

        /** Writes and consumes {@code bytes.remaining()} bytes; may keep {@code bytes} (a fresh view). */
        void write(ByteBuffer bytes);
    }

    private PacketWire() {}

    /** Writes the packet's protobuf encoding: {@code packet.serializedSize()} bytes. */
    static void write(OutboundPacket packet, Sink sink) {
        ByteString data = packet.data();
        if (!data.isEmpty()) {
            writeTag(sink, DATA_FIELD, WIRE_LENGTH_DELIMITED);
            writeVarint(sink, data.size());
            // Execution summaries: small, and already heap bytes.
            for (ByteBuffer piece : data.asReadOnlyByteBufferList()) {
                sink.write(piece);
            }
        }
        if (packet.error() != null) {
            ByteString error = packet.error().toByteString();
            writeTag(sink, ERROR_FIELD, WIRE_LENGTH_DELIMITED);
            writeVarint(sink, error.size());
            sink.write(error.asReadOnlyByteBuffer());
        }
        for (EncodedChunk chunk : packet.chunks()) {
            writeTag(sink, CHUNKS_FIELD, WIRE_LENGTH_DELIMITED);
            writeVarint(sink, chunk.size());
            for (int i = 0; i < chunk.segmentCount(); i++) {
                sink.write(chunk.segment(i));
            }
        }
        int streamIds = packet.streamIdCount();
        if (streamIds > 0) {
            long payload = 0;
            for (int i = 0; i < streamIds; i++) {
                payload += varintSize(packet.streamId(i));
            }
            writeTag(sink, STREAM_IDS_FIELD, WIRE_LENGTH_DELIMITED);
            writeVarint(sink, payload);
            for (int i = 0; i < streamIds; i++) {
                writeVarint(sink, packet.streamId(i));
            }
        }
        if (packet.version() != 0) {
            writeTag(sink, VERSION_FIELD, WIRE_VARINT);
            writeVarint(sink, packet.version());
        }
    }

    static void writeTag(Sink sink, int field, int wireType) {
        writeVarint(sink, (long) field << 3 | wireType);
    }

    /** Base-128 varint of {@code value} as unsigned 64 bits (an int64 below zero takes 10 bytes, as protobuf writes it). */
    static void writeVarint(Sink sink, long value) {
        while ((value & ~0x7FL) != 0) {
            sink.writeByte((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        sink.writeByte((int) value);
    }

    static int varintSize(long value) {
        // 1 byte per started group of 7 bits; zero takes one byte.
        int bits = 64 - Long.numberOfLeadingZeros(value | 1);
        return (bits + 6) / 7;
    }
}
