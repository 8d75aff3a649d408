package io.mppnode.exec.operator.sort;

/**
 * Compares two buffered rows by their numbers (see {@link SortKeys}): negative when
 * {@code left} sorts first, positive when {@code right} does, zero when their keys are equal.
 */
@FunctionalInterface
public interface RowComparator {
    int compare(int left, int right);
}
