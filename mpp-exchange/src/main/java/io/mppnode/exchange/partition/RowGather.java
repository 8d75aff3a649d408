package io.mppnode.exchange.partition;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.NullVector;

/**
 * Copies selected rows of a vector into a new vector of the same type, with a bulk path per
 * layout: fixed-width values and bits are moved with one buffer read and write per row, strings
 * with one memory copy per row into a buffer sized exactly once; other types (lists, structs,
 * ...) fall back to {@code copyFromSafe}. The source is only read; the target must be empty and
 * receives the rows {@code rows[from .. from + count)} of the source, in that order. Shared by
 * the hash partitioner and the executor's Selection.
 */
public final class RowGather {
    private RowGather() {}

    public static void gather(FieldVector source, int[] rows, int from, int count, FieldVector target) {
        switch (source) {
            case BitVector bits -> gatherBits((BitVector) target, bits, rows, from, count);
            case BaseFixedWidthVector fixed -> gatherFixedWidth((BaseFixedWidthVector) target, fixed, rows, from, count);
            case BaseVariableWidthVector variable ->
                    gatherVariableWidth((BaseVariableWidthVector) target, variable, rows, from, count);
            case BaseLargeVariableWidthVector variable ->
                    gatherLargeVariableWidth((BaseLargeVariableWidthVector) target, variable, rows, from, count);
            case NullVector nulls -> target.setValueCount(count);
            default -> gatherByCopy(target, source, rows, from, count);
        }
    }

    private static void gatherBits(BitVector target, BitVector source, int[] rows, int from, int count) {
        target.allocateNew(count);
        gatherBitmap(target.getDataBuffer(), source.getDataBuffer(), rows, from, count);
        gatherBitmap(target.getValidityBuffer(), source.getValidityBuffer(), rows, from, count);
        target.setValueCount(count);
    }

    private static void gatherFixedWidth(BaseFixedWidthVector target, BaseFixedWidthVector source, int[] rows,
            int from, int count) {
        target.allocateNew(count);
        ArrowBuf in = source.getDataBuffer();
        ArrowBuf out = target.getDataBuffer();
        int width = source.getTypeWidth();
        // One loop per width so the JIT sees a constant-size load and store.
        switch (width) {
            case 1 -> {
                for (int i = 0; i < count; i++) {
                    out.setByte(i, in.getByte(rows[from + i]));
                }
            }
            case 2 -> {
                for (int i = 0; i < count; i++) {
                    out.setShort((long) i << 1, in.getShort((long) rows[from + i] << 1));
                }
            }
            case 4 -> {
                for (int i = 0; i < count; i++) {
                    out.setInt((long) i << 2, in.getInt((long) rows[from + i] << 2));
                }
            }
            case 8 -> {
                for (int i = 0; i < count; i++) {
                    out.setLong((long) i << 3, in.getLong((long) rows[from + i] << 3));
                }
            }
            case 16 -> {
                for (int i = 0; i < count; i++) {
                    long row = (long) rows[from + i] << 4;
                    long index = (long) i << 4;
                    out.setLong(index, in.getLong(row));
                    out.setLong(index + 8, in.getLong(row + 8));
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    out.setBytes((long) i * width, in, (long) rows[from + i] * width, width);
                }
            }
        }
        gatherBitmap(target.getValidityBuffer(), source.getValidityBuffer(), rows, from, count);
        target.setValueCount(count);
    }

    private static void gatherVariableWidth(BaseVariableWidthVector target, BaseVariableWidthVector source,
            int[] rows, int from, int count) {
        ArrowBuf inOffsets = source.getOffsetBuffer();
        long totalBytes = 0;
        for (int i = 0; i < count; i++) {
            long row = rows[from + i];
            totalBytes += inOffsets.getInt((row + 1) << 2) - inOffsets.getInt(row << 2);
        }
        target.allocateNew(totalBytes, count);
        ArrowBuf in = source.getDataBuffer();
        ArrowBuf out = target.getDataBuffer();
        ArrowBuf outOffsets = target.getOffsetBuffer();
        int position = 0;
        outOffsets.setInt(0, 0);
        for (int i = 0; i < count; i++) {
            long row = rows[from + i];
            int start = inOffsets.getInt(row << 2);
            int length = inOffsets.getInt((row + 1) << 2) - start;
            out.setBytes(position, in, start, length);
            position += length;
            outOffsets.setInt((long) (i + 1) << 2, position);
        }
        gatherBitmap(target.getValidityBuffer(), source.getValidityBuffer(), rows, from, count);
        // Without lastSet, setValueCount would take the rows for unwritten ones and reset their offsets.
        target.setLastSet(count - 1);
        target.setValueCount(count);
    }

    private static void gatherLargeVariableWidth(BaseLargeVariableWidthVector target,
            BaseLargeVariableWidthVector source, int[] rows, int from, int count) {
        ArrowBuf inOffsets = source.getOffsetBuffer();
        long totalBytes = 0;
        for (int i = 0; i < count; i++) {
            long row = rows[from + i];
            totalBytes += inOffsets.getLong((row + 1) << 3) - inOffsets.getLong(row << 3);
        }
        target.allocateNew(totalBytes, count);
        ArrowBuf in = source.getDataBuffer();
        ArrowBuf out = target.getDataBuffer();
        ArrowBuf outOffsets = target.getOffsetBuffer();
        long position = 0;
        outOffsets.setLong(0, 0);
        for (int i = 0; i < count; i++) {
            long row = rows[from + i];
            long start = inOffsets.getLong(row << 3);
            long length = inOffsets.getLong((row + 1) << 3) - start;
            out.setBytes(position, in, start, length);
            position += length;
            outOffsets.setLong((long) (i + 1) << 3, position);
        }
        gatherBitmap(target.getValidityBuffer(), source.getValidityBuffer(), rows, from, count);
        target.setLastSet(count - 1);
        target.setValueCount(count);
    }

    private static void gatherByCopy(FieldVector target, FieldVector source, int[] rows, int from, int count) {
        target.allocateNew();
        for (int i = 0; i < count; i++) {
            target.copyFromSafe(rows[from + i], i, source);
        }
        target.setValueCount(count);
    }

    /** Gathers bits into a zeroed bitmap, a byte of output at a time. */
    private static void gatherBitmap(ArrowBuf out, ArrowBuf in, int[] rows, int from, int count) {
        for (int start = 0; start < count; start += 8) {
            int end = Math.min(start + 8, count);
            int bits = 0;
            for (int i = start; i < end; i++) {
                int row = rows[from + i];
                bits |= ((in.getByte(row >>> 3) >>> (row & 7)) & 1) << (i - start);
            }
            out.setByte(start >>> 3, bits);
        }
    }
}
