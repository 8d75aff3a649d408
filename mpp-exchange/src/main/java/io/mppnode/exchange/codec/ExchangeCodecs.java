package io.mppnode.exchange.codec;

import org.apache.arrow.compression.ZstdCompressionCodec;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;

/**
 * The compression codecs of the exchange, for both directions: our LZ4 frame codec (see
 * {@link Lz4FrameCodec}) and Arrow's ZSTD codec (zstd-jni on direct memory). The codecs are
 * stateless and shared.
 */
public final class ExchangeCodecs implements CompressionCodec.Factory {
    public static final ExchangeCodecs INSTANCE = new ExchangeCodecs();

    private static final CompressionCodec LZ4_FRAME = new Lz4FrameCodec();
    private static final CompressionCodec ZSTD = new ZstdCompressionCodec();

    private ExchangeCodecs() {}

    static CompressionCodec codec(Compression compression) {
        return switch (compression) {
            case NONE -> NoCompressionCodec.INSTANCE;
            case LZ4_FRAME -> LZ4_FRAME;
            case ZSTD -> ZSTD;
        };
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType) {
        return switch (codecType) {
            case NO_COMPRESSION -> NoCompressionCodec.INSTANCE;
            case LZ4_FRAME -> LZ4_FRAME;
            case ZSTD -> ZSTD;
        };
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType, int compressionLevel) {
        return createCodec(codecType);
    }
}
