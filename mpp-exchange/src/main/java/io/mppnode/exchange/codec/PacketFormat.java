package io.mppnode.exchange.codec;

/**
 * The data packet format named by {@code MPPDataPacket.version}. Version 1: each chunk is one
 * Arrow IPC encapsulated message (the schema first, then record batches), so that the chunks of
 * one stream, concatenated, are a valid Arrow IPC stream.
 */
public final class PacketFormat {
    public static final long ARROW_IPC_V1 = 1;

    private PacketFormat() {}
}
