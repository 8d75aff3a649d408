package io.mppnode.exchange.codec;

import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.arrow.compression.Lz4CompressionCodec;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.compression.AbstractCompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Arrow IPC body compression with the LZ4 frame format, done by lz4-java's JNI block codec
 * straight on Arrow memory (direct views of the buffers: no {@code byte[]}, no stream). Arrow's
 * stock codec goes through commons-compress and heap copies: on a 1 MiB lineitem-like batch
 * (ChunkCodecBenchmark) it encodes at about 0.2 MB/s and decodes at about 65 MB/s, this codec
 * at about 1.2 GB/s and 3 to 6 GB/s. The price is ratio: LZ4's fast matcher (the one Arrow C++
 * uses by default) gives 2.3 where commons-compress's slower search gives 2.9.
 *
 * <p>Compression writes one standard frame per buffer: independent blocks of {@value #BLOCK_SIZE}
 * bytes, no checksums (the transport has its own), a block that does not shrink stored as is.
 * Any LZ4 frame reader (Arrow C++, Rust, Go, the stock Java codec) reads it.
 *
 * <p>Decompression reads frames of independent blocks itself, checking the header checksum, and
 * the block and content checksums when present. Frames of linked blocks (Arrow C++'s default) or
 * with a dictionary id go to the stock codec, which supports them. Every size is checked against
 * the buffers before native code runs, and lz4-java's safe decompressor never writes past the
 * room it is given, so a corrupt frame is an {@link IllegalArgumentException} naming the problem.
 *
 * <p>As with every Arrow codec, {@code compress} takes over the uncompressed buffer and
 * {@code decompress} the compressed one (each closes it); the returned buffer belongs to the
 * caller and comes from the given allocator. Stateless and thread-safe.
 */
final class Lz4FrameCodec extends AbstractCompressionCodec {
    /**
     * The block size we write, as Arrow Java's stock codec does. Measured with
     * ChunkCodecBenchmark on lineitem-like batches against 64 KiB blocks: the same encode speed,
     * decode about 10% faster, a slightly better ratio (2.35 against 2.30), fewer block headers.
     */
    static final int BLOCK_SIZE = 4 << 20;

    private static final int MAGIC = 0x184D2204;
    private static final int VERSION = 0b01;
    private static final int FLAG_BLOCK_INDEPENDENCE = 1 << 5;
    private static final int FLAG_BLOCK_CHECKSUM = 1 << 4;
    private static final int FLAG_CONTENT_SIZE = 1 << 3;
    private static final int FLAG_CONTENT_CHECKSUM = 1 << 2;
    private static final int FLAG_RESERVED = 1 << 1;
    private static final int FLAG_DICTIONARY_ID = 1;
    private static final int BLOCK_UNCOMPRESSED = 0x80000000;
    /** Magic, FLG, BD and the header checksum: the frame header when no optional field is set. */
    private static final int MINIMAL_HEADER = 7;
    private static final int END_MARK = 4;
    /** LZ4 turns at most 255 bytes out of one input byte (a run's length byte adds 255). */
    private static final int MAX_EXPANSION = 255;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();
    private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();

    private static final byte FLG = (byte) (VERSION << 6 | FLAG_BLOCK_INDEPENDENCE);

    private final Lz4CompressionCodec stock = new Lz4CompressionCodec();
    private final int blockSize;
    /** BD and the header checksum: the same for every frame this codec writes. */
    private final byte bd;
    private final byte headerChecksum;

    Lz4FrameCodec() {
        this(BLOCK_SIZE);
    }

    /** @param blockSize the block size to write: 64 KiB, 256 KiB, 1 MiB or 4 MiB */
    Lz4FrameCodec(int blockSize) {
        this.blockSize = blockSize;
        this.bd = (byte) (blockSizeId(blockSize) << 4);
        this.headerChecksum = headerChecksum(ByteBuffer.wrap(new byte[] {FLG, bd}), 0, 2);
    }

    /** The lz4-java implementation in use, e.g. "LZ4Factory:JNI" (tests check it is native). */
    static String implementation() {
        return LZ4.toString();
    }

    @Override
    public CompressionUtil.CodecType getCodecType() {
        return CompressionUtil.CodecType.LZ4_FRAME;
    }

    /** Called by {@link AbstractCompressionCodec#compress} for a non-empty buffer; it writes the length prefix. */
    @Override
    protected ArrowBuf doCompress(BufferAllocator allocator, ArrowBuf uncompressed) {
        long length = uncompressed.writerIndex();
        long blocks = (length + blockSize - 1) / blockSize;
        // Room for every block stored as is, plus the largest expansion of one block (the
        // first is the longest): every block then compresses with the full LZ4 bound free (no
        // limited-output mode, no failure), yet the buffer is never much larger than the input.
        int longestBlock = (int) Math.min(blockSize, length);
        long capacity = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + MINIMAL_HEADER + blocks * 4 + length + END_MARK
                + (COMPRESSOR.maxCompressedLength(longestBlock) - longestBlock);
        ArrowBuf compressed = allocator.buffer(capacity);
        try {
            long out = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
            compressed.setInt(out, littleEndian(MAGIC));
            compressed.setByte(out + 4, FLG);
            compressed.setByte(out + 5, bd);
            compressed.setByte(out + 6, headerChecksum);
            out += MINIMAL_HEADER;
            for (long in = 0; in < length; in += blockSize) {
                int blockLength = (int) Math.min(blockSize, length - in);
                // What is left once the later blocks are reserved at their stored size.
                long later = length - in - blockLength;
                int room = (int) Math.min(Integer.MAX_VALUE,
                        capacity - out - 4 - later - (blocks - 1 - in / blockSize) * 4 - END_MARK);
                int size = COMPRESSOR.compress(uncompressed.nioBuffer(in, blockLength), 0, blockLength,
                        compressed.nioBuffer(out + 4, room), 0, room);
                if (size < blockLength) {
                    compressed.setInt(out, littleEndian(size));
                } else {
                    // It did not shrink: the frame format stores such a block as is.
                    size = blockLength;
                    compressed.setInt(out, littleEndian(BLOCK_UNCOMPRESSED | blockLength));
                    compressed.setBytes(out + 4, uncompressed, in, blockLength);
                }
                out += 4 + size;
            }
            compressed.setInt(out, 0);
            compressed.writerIndex(out + END_MARK);
            return compressed;
        } catch (RuntimeException e) {
            compressed.close();
            throw e;
        }
    }

    /**
     * Called by {@link AbstractCompressionCodec#decompress} when the length prefix is neither 0
     * (empty) nor -1 (stored uncompressed); the caller closes {@code compressed}.
     */
    @Override
    protected ArrowBuf doDecompress(BufferAllocator allocator, ArrowBuf compressed) {
        long length = readUncompressedLength(compressed);
        Frame frame = Frame.read(compressed, length);
        if (!frame.independentBlocks() || frame.dictionaryId()) {
            return decompressWithStockCodec(allocator, compressed, frame);
        }
        ArrowBuf uncompressed = allocator.buffer(length);
        try {
            decompressBlocks(frame, compressed, uncompressed, length);
            uncompressed.writerIndex(length);
            return uncompressed;
        } catch (RuntimeException e) {
            uncompressed.close();
            throw e;
        }
    }

    private static void decompressBlocks(Frame frame, ArrowBuf compressed, ArrowBuf uncompressed, long length) {
        long in = frame.firstBlock();
        long out = 0;
        for (int block = 0; ; block++) {
            int word = littleEndian(compressed.getInt(in));
            in += 4;
            if (word == 0) {
                break;
            }
            int size = word & ~BLOCK_UNCOMPRESSED;
            // Frame.read checked every block against the frame and the frame max size.
            int room = (int) Math.min(frame.blockMaxSize(), length - out);
            if (frame.blockChecksum()) {
                // Checked before decompressing, so a damaged block is reported as such.
                int expected = littleEndian(compressed.getInt(in + size));
                int actual = XXHASH.hash(compressed.nioBuffer(in, size), 0, size, 0);
                if (expected != actual) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: block " + block + " checksum mismatch");
                }
            }
            int produced;
            if ((word & BLOCK_UNCOMPRESSED) != 0) {
                if (size > room) {
                    throw tooLong(length);
                }
                uncompressed.setBytes(out, compressed, in, size);
                produced = size;
            } else {
                if (room == 0) {
                    throw tooLong(length);
                }
                try {
                    produced = DECOMPRESSOR.decompress(compressed.nioBuffer(in, size), 0, size,
                            uncompressed.nioBuffer(out, room), 0, room);
                } catch (LZ4Exception e) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: block " + block + " of " + size
                            + " bytes does not decompress into the " + room + " bytes left of the declared "
                            + length + " (" + e.getMessage() + ")", e);
                }
            }
            in += size;
            if (frame.blockChecksum()) {
                in += 4;
            }
            out += produced;
        }
        if (out != length) {
            throw new IllegalArgumentException("corrupt LZ4 frame: it decompresses to " + out
                    + " bytes but the buffer declares " + length);
        }
        if (frame.contentChecksum()) {
            int expected = littleEndian(compressed.getInt(in));
            // Frame.read limited the declared length to what fits an int.
            int actual = XXHASH.hash(uncompressed.nioBuffer(0, (int) length), 0, (int) length, 0);
            if (expected != actual) {
                throw new IllegalArgumentException("corrupt LZ4 frame: content checksum mismatch");
            }
        }
    }

    /**
     * The stock codec's {@code decompress} closes the buffer it was given, as ours does after
     * this method returns: a reference of its own keeps the buffer's count balanced.
     */
    private ArrowBuf decompressWithStockCodec(BufferAllocator allocator, ArrowBuf compressed, Frame frame) {
        compressed.getReferenceManager().retain();
        try {
            return stock.decompress(allocator, compressed);
        } catch (RuntimeException e) {
            compressed.getReferenceManager().release();
            throw new IllegalArgumentException("corrupt LZ4 frame (" + frame.describe() + ", read by Arrow's LZ4 codec): "
                    + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException tooLong(long length) {
        return new IllegalArgumentException("corrupt LZ4 frame: it decompresses to more than the declared " + length + " bytes");
    }

    /**
     * A frame's header and the layout of its blocks, every size checked against the buffer.
     *
     * @param firstBlock offset of the first block's size word in the compressed buffer
     */
    private record Frame(long firstBlock, int blockMaxSize, boolean independentBlocks, boolean blockChecksum,
            boolean contentChecksum, boolean dictionaryId) {
        /**
         * Reads the frame after the 8-byte length prefix of an Arrow compressed buffer and walks
         * its blocks, so that nothing is allocated or decompressed for a frame that does not
         * hold together, nor for a declared length the frame cannot produce.
         */
        static Frame read(ArrowBuf compressed, long length) {
            long end = compressed.writerIndex();
            if (end > compressed.capacity()) {
                throw new IllegalArgumentException("corrupt LZ4 frame: the buffer's " + end + " bytes exceed its capacity");
            }
            if (length < 0 || length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("corrupt LZ4 frame: uncompressed length " + length + " out of range");
            }
            long start = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
            if (end - start < MINIMAL_HEADER) {
                throw new IllegalArgumentException("corrupt LZ4 frame: " + (end - start)
                        + " bytes are too short for a frame header");
            }
            int magic = littleEndian(compressed.getInt(start));
            if (magic != MAGIC) {
                throw new IllegalArgumentException("corrupt LZ4 frame: magic number 0x"
                        + Integer.toHexString(magic) + " instead of 0x" + Integer.toHexString(MAGIC));
            }
            int flg = compressed.getByte(start + 4) & 0xFF;
            int bd = compressed.getByte(start + 5) & 0xFF;
            if (flg >>> 6 != VERSION || (flg & FLAG_RESERVED) != 0 || (bd & 0x8F) != 0) {
                throw new IllegalArgumentException("corrupt LZ4 frame: unknown version or reserved bits set (FLG 0x"
                        + Integer.toHexString(flg) + ", BD 0x" + Integer.toHexString(bd) + ")");
            }
            int blockSizeId = bd >>> 4;
            if (blockSizeId < 4) {
                throw new IllegalArgumentException("corrupt LZ4 frame: block size id " + blockSizeId);
            }
            int blockMaxSize = 1 << (2 * blockSizeId + 8);
            int descriptor = 2 + ((flg & FLAG_CONTENT_SIZE) != 0 ? 8 : 0) + ((flg & FLAG_DICTIONARY_ID) != 0 ? 4 : 0);
            long headerEnd = start + 4 + descriptor + 1;
            if (headerEnd > end) {
                throw new IllegalArgumentException("corrupt LZ4 frame: the buffer ends inside the frame header");
            }
            byte checksum = headerChecksum(compressed.nioBuffer(start + 4, descriptor), 0, descriptor);
            if (compressed.getByte(headerEnd - 1) != checksum) {
                throw new IllegalArgumentException("corrupt LZ4 frame: header checksum mismatch");
            }
            if ((flg & FLAG_CONTENT_SIZE) != 0) {
                long contentSize = littleEndian(compressed.getLong(start + 6));
                if (contentSize != length) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: its content size " + contentSize
                            + " differs from the buffer's declared " + length + " bytes");
                }
            }
            Frame frame = new Frame(headerEnd, blockMaxSize, (flg & FLAG_BLOCK_INDEPENDENCE) != 0,
                    (flg & FLAG_BLOCK_CHECKSUM) != 0, (flg & FLAG_CONTENT_CHECKSUM) != 0, (flg & FLAG_DICTIONARY_ID) != 0);
            frame.checkBlocks(compressed, end, length);
            return frame;
        }

        private void checkBlocks(ArrowBuf compressed, long end, long length) {
            long in = firstBlock;
            long producible = 0;
            for (int block = 0; ; block++) {
                if (end - in < 4) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: truncated before the size of block " + block);
                }
                int word = littleEndian(compressed.getInt(in));
                in += 4;
                if (word == 0) {
                    break;
                }
                int size = word & ~BLOCK_UNCOMPRESSED;
                if (size > blockMaxSize) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: block " + block + " of " + size
                            + " bytes exceeds the frame's block size " + blockMaxSize);
                }
                long stored = size + (blockChecksum ? 4L : 0L);
                if (stored > end - in) {
                    throw new IllegalArgumentException("corrupt LZ4 frame: block " + block + " claims " + stored
                            + " bytes but " + (end - in) + " are left");
                }
                in += stored;
                producible += (word & BLOCK_UNCOMPRESSED) != 0 ? size : Math.min(blockMaxSize, (long) MAX_EXPANSION * size);
            }
            long trailer = contentChecksum ? 4 : 0;
            if (end - in != trailer) {
                throw new IllegalArgumentException("corrupt LZ4 frame: " + (end - in) + " bytes after the last block, "
                        + trailer + " expected");
            }
            if (length > producible) {
                throw new IllegalArgumentException("corrupt LZ4 frame: the buffer declares " + length
                        + " bytes but its blocks hold at most " + producible);
            }
        }

        String describe() {
            return (independentBlocks ? "independent" : "linked") + " blocks" + (dictionaryId ? ", dictionary id" : "");
        }
    }

    /** The LZ4 frame header checksum: the second byte of XXH32 (seed 0) of the descriptor. */
    private static byte headerChecksum(ByteBuffer buffer, int offset, int length) {
        return (byte) (XXHASH.hash(buffer, offset, length, 0) >>> 8);
    }

    private static int blockSizeId(int blockSize) {
        return switch (blockSize) {
            case 64 << 10 -> 4;
            case 256 << 10 -> 5;
            case 1 << 20 -> 6;
            case 4 << 20 -> 7;
            default -> throw new IllegalArgumentException("not an LZ4 frame block size: " + blockSize);
        };
    }

    private static int littleEndian(int value) {
        return MemoryUtil.LITTLE_ENDIAN ? value : Integer.reverseBytes(value);
    }

    private static long littleEndian(long value) {
        return MemoryUtil.LITTLE_ENDIAN ? value : Long.reverseBytes(value);
    }
}
