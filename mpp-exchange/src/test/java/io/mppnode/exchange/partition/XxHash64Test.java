package io.mppnode.exchange.partition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Our XXH64 is the xxHash project's: equal to lz4-java's implementation and the published vectors. */
class XxHash64Test {
    private static final XXHash64 REFERENCE = XXHashFactory.safeInstance().hash64();

    private RootAllocator allocator;

    @BeforeEach
    void createAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void emptyInputHasThePublishedHash() {
        try (ArrowBuf buffer = allocator.buffer(8)) {
            assertThat(XxHash64.hash(buffer, 0, 0)).isEqualTo(0xEF46DB3751D8E999L);
        }
    }

    @Test
    void everyLengthAndAlignmentMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] bytes = new byte[300];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt();
        }
        try (ArrowBuf buffer = allocator.buffer(bytes.length)) {
            buffer.setBytes(0, bytes);
            for (int offset = 0; offset < 9; offset++) {
                for (int length = 0; offset + length <= 200; length++) {
                    assertThat(XxHash64.hash(buffer, offset, length))
                            .as("offset %d length %d", offset, length)
                            .isEqualTo(REFERENCE.hash(bytes, offset, length, 0));
                }
            }
        }
    }

    @Test
    void fixedLengthFormsMatchTheReferenceOverLittleEndianBytes() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 1000; i++) {
            long low = i < 3 ? i - 1 : random.nextLong();
            long high = random.nextLong();
            byte[] bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(low).putLong(high).array();
            assertThat(XxHash64.hash8(low)).isEqualTo(REFERENCE.hash(bytes, 0, 8, 0));
            assertThat(XxHash64.hash16(low, high)).isEqualTo(REFERENCE.hash(bytes, 0, 16, 0));
        }
    }
}
