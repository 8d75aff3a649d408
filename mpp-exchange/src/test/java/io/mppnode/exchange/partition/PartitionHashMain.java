package io.mppnode.exchange.partition;

import static io.mppnode.exchange.partition.TestingKeyBatches.ALL_TYPES;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The other process of {@link PartitionHashAcrossProcessesTest}: hashes a fixed generated data
 * set of every key type and prints one line per row. Arguments: seed, row count, batch size,
 * partition count.
 */
public final class PartitionHashMain {
    private PartitionHashMain() {}

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int rowCount = Integer.parseInt(args[1]);
        int batchSize = Integer.parseInt(args[2]);
        int partitionCount = Integer.parseInt(args[3]);
        List<String> lines = lines(seed, rowCount, batchSize, partitionCount);
        PrintStream out = System.out;
        lines.forEach(out::println);
        out.flush();
    }

    /**
     * Per row: the partition of the key of every column, then the hash of each column alone, then
     * the hash of the key of every column, in hex.
     */
    static List<String> lines(long seed, int rowCount, int batchSize, int partitionCount) {
        List<Object[]> rows = TestingKeyBatches.randomRows(seed, rowCount);
        int columnCount = ALL_TYPES.getFields().size();
        List<PartitionHash> single = IntStream.range(0, columnCount)
                .mapToObj(column -> new PartitionHash(ALL_TYPES, List.of(column)))
                .toList();
        PartitionHash all = new PartitionHash(ALL_TYPES, IntStream.range(0, columnCount).boxed().toList());
        List<String> lines = new ArrayList<>(rowCount);
        try (RootAllocator allocator = new RootAllocator()) {
            for (int start = 0; start < rowCount; start += batchSize) {
                try (VectorSchemaRoot batch = TestingKeyBatches.batch(allocator, ALL_TYPES,
                        rows.subList(start, Math.min(rowCount, start + batchSize)))) {
                    int size = batch.getRowCount();
                    long[][] columnHashes = new long[columnCount][size];
                    for (int column = 0; column < columnCount; column++) {
                        single.get(column).hashRows(batch, columnHashes[column]);
                    }
                    long[] rowHashes = new long[size];
                    all.hashRows(batch, rowHashes);
                    for (int row = 0; row < size; row++) {
                        StringBuilder line = new StringBuilder();
                        line.append(PartitionHash.partition(rowHashes[row], partitionCount));
                        for (int column = 0; column < columnCount; column++) {
                            line.append(' ').append(Long.toHexString(columnHashes[column][row]));
                        }
                        line.append(' ').append(Long.toHexString(rowHashes[row]));
                        lines.add(line.toString());
                    }
                }
            }
        }
        return lines;
    }
}
