package io.mppnode.exchange.partition;

import org.apache.arrow.memory.ArrowBuf;

/**
 * XXH64 with seed 0, as specified by the xxHash project (github.com/Cyan4973/xxHash, "xxHash
 * fast digest algorithm", XXH64), over little-endian input. Written here rather than taken from
 * lz4-java because the partition hash reads Arrow memory in place and hashes 8- and 16-byte
 * values with the fixed-length steps inlined; the tests hold it equal to lz4-java's XXH64.
 */
final class XxHash64 {
    private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME64_3 = 0x165667B19E3779F9L;
    private static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME64_5 = 0x27D4EB2F165667C5L;

    private XxHash64() {}

    /** XXH64 of the 8 little-endian bytes of {@code value}. */
    static long hash8(long value) {
        long hash = PRIME64_5 + 8;
        hash ^= round(0, value);
        hash = Long.rotateLeft(hash, 27) * PRIME64_1 + PRIME64_4;
        return avalanche(hash);
    }

    /** XXH64 of 16 bytes: the little-endian bytes of {@code low}, then those of {@code high}. */
    static long hash16(long low, long high) {
        long hash = PRIME64_5 + 16;
        hash ^= round(0, low);
        hash = Long.rotateLeft(hash, 27) * PRIME64_1 + PRIME64_4;
        hash ^= round(0, high);
        hash = Long.rotateLeft(hash, 27) * PRIME64_1 + PRIME64_4;
        return avalanche(hash);
    }

    /** XXH64 of {@code length} bytes of {@code buffer} from {@code index}. */
    static long hash(ArrowBuf buffer, long index, int length) {
        long position = index;
        long end = index + length;
        long hash;
        if (length >= 32) {
            long v1 = PRIME64_1 + PRIME64_2;
            long v2 = PRIME64_2;
            long v3 = 0;
            long v4 = -PRIME64_1;
            long limit = end - 32;
            do {
                v1 = round(v1, buffer.getLong(position));
                v2 = round(v2, buffer.getLong(position + 8));
                v3 = round(v3, buffer.getLong(position + 16));
                v4 = round(v4, buffer.getLong(position + 24));
                position += 32;
            } while (position <= limit);
            hash = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            hash = mergeRound(hash, v1);
            hash = mergeRound(hash, v2);
            hash = mergeRound(hash, v3);
            hash = mergeRound(hash, v4);
        } else {
            hash = PRIME64_5;
        }
        hash += length;
        while (position + 8 <= end) {
            hash ^= round(0, buffer.getLong(position));
            hash = Long.rotateLeft(hash, 27) * PRIME64_1 + PRIME64_4;
            position += 8;
        }
        if (position + 4 <= end) {
            hash ^= (buffer.getInt(position) & 0xFFFFFFFFL) * PRIME64_1;
            hash = Long.rotateLeft(hash, 23) * PRIME64_2 + PRIME64_3;
            position += 4;
        }
        while (position < end) {
            hash ^= (buffer.getByte(position) & 0xFFL) * PRIME64_5;
            hash = Long.rotateLeft(hash, 11) * PRIME64_1;
            position++;
        }
        return avalanche(hash);
    }

    private static long round(long accumulator, long input) {
        return Long.rotateLeft(accumulator + input * PRIME64_2, 31) * PRIME64_1;
    }

    private static long mergeRound(long accumulator, long value) {
        return (accumulator ^ round(0, value)) * PRIME64_1 + PRIME64_4;
    }

    private static long avalanche(long hash) {
        hash ^= hash >>> 33;
        hash *= PRIME64_2;
        hash ^= hash >>> 29;
        hash *= PRIME64_3;
        hash ^= hash >>> 32;
        return hash;
    }
}
