package io.mppnode.exec.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** TiDB's record keys: the layout, byte order equal to numeric order, key ranges as handle ranges. */
class RecordKeysTest {
    @Test
    void encodesTidbsLayout() {
        // 't' + int64(108) sign-flipped + "_r" + int64(-1) sign-flipped
        assertThat(HexFormat.of().formatHex(RecordKeys.encode(108, -1)))
                .isEqualTo("74" + "800000000000006c" + "5f72" + "7fffffffffffffff");
        assertThat(HexFormat.of().formatHex(RecordKeys.tablePrefix(108))).isEqualTo("74800000000000006c");
    }

    @Test
    void byteOrderIsNumericOrder() {
        long[] handles = {Long.MIN_VALUE, -5, -1, 0, 1, 255, 256, Long.MAX_VALUE};
        for (int i = 1; i < handles.length; i++) {
            assertThat(Arrays.compareUnsigned(RecordKeys.encode(3, handles[i - 1]), RecordKeys.encode(3, handles[i])))
                    .as(handles[i - 1] + " < " + handles[i]).isNegative();
        }
        assertThat(Arrays.compareUnsigned(RecordKeys.encode(3, Long.MAX_VALUE), RecordKeys.tablePrefix(4))).isNegative();
    }

    @Test
    void keyRangesBecomeHandleRanges() {
        assertThat(RecordKeys.handleRange(9, RecordKeys.encode(9, 10), RecordKeys.encode(9, 20))).isEqualTo(new HandleRange(10, 20));
        assertThat(RecordKeys.handleRange(9, RecordKeys.tablePrefix(9), RecordKeys.tablePrefix(10))).isEqualTo(HandleRange.ALL);
        assertThat(RecordKeys.handleRange(9, new byte[0], new byte[0])).isEqualTo(HandleRange.ALL);
        HandleRange range = new HandleRange(-7, 99);
        assertThat(RecordKeys.handleRange(9, RecordKeys.startKey(9, range), RecordKeys.endKey(9, range))).isEqualTo(range);
    }

    @Test
    void keysOfAnotherTableOrNoRecordKeyAreRefused() {
        assertThatThrownBy(() -> RecordKeys.handleRange(9, RecordKeys.encode(10, 1), RecordKeys.encode(10, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("starts a range after table 9");
        // A range that starts before the table covers it from its first handle.
        assertThat(RecordKeys.handleRange(9, new byte[] {'t', 1, 2}, RecordKeys.encode(9, 5))).isEqualTo(new HandleRange(Long.MIN_VALUE, 5));
        byte[] index = Arrays.copyOf(RecordKeys.tablePrefix(9), 12);
        index[9] = '_';
        index[10] = 'i';
        assertThatThrownBy(() -> RecordKeys.handleRange(9, index, RecordKeys.encode(9, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a record key of table 9");
    }
}
