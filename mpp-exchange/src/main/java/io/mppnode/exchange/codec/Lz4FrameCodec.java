package io.mppnode.exchange.codec;

import org.apache.arrow.compression.Lz4CompressionCodec;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/** LZ4 frame body compression. (Placeholder: delegates to Arrow's stock codec until the fast one lands.) */
final class Lz4FrameCodec implements CompressionCodec {
    private final Lz4CompressionCodec stock = new Lz4CompressionCodec();

    @Override
    public ArrowBuf compress(BufferAllocator allocator, ArrowBuf uncompressedBuffer) {
        return stock.compress(allocator, uncompressedBuffer);
    }

    @Override
    public ArrowBuf decompress(BufferAllocator allocator, ArrowBuf compressedBuffer) {
        return stock.decompress(allocator, compressedBuffer);
    }

    @Override
    public CompressionUtil.CodecType getCodecType() {
        return CompressionUtil.CodecType.LZ4_FRAME;
    }
}
