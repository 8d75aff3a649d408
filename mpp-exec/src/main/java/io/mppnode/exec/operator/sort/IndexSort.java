package io.mppnode.exec.operator.sort;

/**
 * Sorts an array of row numbers by a {@link RowComparator}: a stable merge sort (rows with equal
 * keys keep their order, so the output is deterministic), with insertion sort for short runs and
 * no merge where two runs are already in order (presorted input costs about n comparisons). It
 * sorts primitives in place, with no boxing and no allocation: the caller gives the scratch array
 * (and counts its memory).
 */
public final class IndexSort {
    private static final int INSERTION_SORT_MAX = 24;

    private IndexSort() {}

    /** The length {@link #sort} needs of its scratch array for {@code count} rows. */
    public static int scratchLength(int count) {
        return (count + 1) / 2;
    }

    /**
     * Sorts {@code rows[0 .. count)}.
     *
     * @param scratch at least {@link #scratchLength}(count) long; its contents are overwritten
     */
    public static void sort(int[] rows, int count, int[] scratch, RowComparator comparator) {
        if (count < 0 || count > rows.length) {
            throw new IllegalArgumentException("cannot sort " + count + " of " + rows.length + " rows");
        }
        if (scratch.length < scratchLength(count)) {
            throw new IllegalArgumentException("scratch of " + scratch.length + " for " + count + " rows");
        }
        mergeSort(rows, 0, count, scratch, comparator);
    }

    private static void mergeSort(int[] rows, int from, int to, int[] scratch, RowComparator comparator) {
        if (to - from <= INSERTION_SORT_MAX) {
            insertionSort(rows, from, to, comparator);
            return;
        }
        int middle = (from + to) >>> 1;
        mergeSort(rows, from, middle, scratch, comparator);
        mergeSort(rows, middle, to, scratch, comparator);
        if (comparator.compare(rows[middle - 1], rows[middle]) <= 0) {
            return;
        }
        // Merge: the left run moves to the scratch, the output overwrites rows from the left.
        int leftLength = middle - from;
        System.arraycopy(rows, from, scratch, 0, leftLength);
        int left = 0;
        int right = middle;
        int out = from;
        while (left < leftLength && right < to) {
            // Take from the right only when strictly smaller: equal keys keep their order.
            if (comparator.compare(rows[right], scratch[left]) < 0) {
                rows[out++] = rows[right++];
            } else {
                rows[out++] = scratch[left++];
            }
        }
        System.arraycopy(scratch, left, rows, out, leftLength - left);
    }

    private static void insertionSort(int[] rows, int from, int to, RowComparator comparator) {
        for (int i = from + 1; i < to; i++) {
            int row = rows[i];
            int j = i - 1;
            while (j >= from && comparator.compare(rows[j], row) > 0) {
                rows[j + 1] = rows[j];
                j--;
            }
            rows[j + 1] = row;
        }
    }
}
