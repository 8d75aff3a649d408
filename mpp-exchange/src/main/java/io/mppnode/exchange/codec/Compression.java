package io.mppnode.exchange.codec;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.CompressionMode;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * The body compression of an exchange stream, chosen per ExchangeSender. It is Arrow IPC body
 * compression (each buffer compressed on its own, with its uncompressed length in front), so any
 * Arrow implementation reads the stream; the receiver learns it from each batch's metadata.
 */
public enum Compression {
    NONE(CompressionUtil.CodecType.NO_COMPRESSION, "none"),
    LZ4_FRAME(CompressionUtil.CodecType.LZ4_FRAME, "lz4_frame"),
    ZSTD(CompressionUtil.CodecType.ZSTD, "zstd");

    private final CompressionUtil.CodecType codecType;
    private final String metricTag;

    Compression(CompressionUtil.CodecType codecType, String metricTag) {
        this.codecType = codecType;
        this.metricTag = metricTag;
    }

    public CompressionUtil.CodecType codecType() {
        return codecType;
    }

    /** The value of the {@code compression} tag on exchange metrics. */
    public String metricTag() {
        return metricTag;
    }

    public static Compression fromPlan(CompressionMode compression) {
        return switch (compression) {
            case COMPRESSION_NONE -> NONE;
            case LZ4_FRAME -> LZ4_FRAME;
            case ZSTD -> ZSTD;
            case UNRECOGNIZED -> throw new MppException(ErrorCode.INVALID_PLAN, "unknown exchange compression");
        };
    }
}
