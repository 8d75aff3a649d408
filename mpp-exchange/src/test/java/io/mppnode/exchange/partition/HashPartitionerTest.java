package io.mppnode.exchange.partition;

import static io.mppnode.exchange.partition.TestingKeyBatches.ALL_TYPES;
import static io.mppnode.exchange.partition.TestingKeyBatches.batch;
import static io.mppnode.exchange.partition.TestingKeyBatches.field;
import static io.mppnode.exchange.partition.TestingKeyBatches.randomRows;
import static io.mppnode.exchange.partition.TestingKeyBatches.rows;
import static io.mppnode.exchange.partition.TestingKeyBatches.schema;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HashPartitionerTest {
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
    void everyRowLandsOnceWithAllColumnsInItsHashPartitionForEveryKeyType() {
        List<Object[]> input = randomRows(10, 700);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, input)) {
            for (int column = 0; column < ALL_TYPES.getFields().size(); column++) {
                assertSplitsExactly(batch, List.of(column), 7);
            }
            assertSplitsExactly(batch, List.of(9, 3, 7), 5);
            assertSplitsExactly(batch, IntStream.range(0, ALL_TYPES.getFields().size()).boxed().toList(), 16);
            // The input is still the caller's and unchanged.
            assertThat(rows(batch)).isEqualTo(TestingKeyBatches.asLists(input));
        }
    }

    @Test
    void splittingIsDeterministic() {
        List<Object[]> input = randomRows(11, 300);
        HashPartitioner partitioner = new HashPartitioner(ALL_TYPES, List.of(4, 9), 8);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, input)) {
            List<List<List<Object>>> first = splitRows(partitioner, batch);
            List<List<List<Object>>> second = splitRows(new HashPartitioner(ALL_TYPES, List.of(4, 9), 8), batch);
            List<List<List<Object>>> again = splitRows(partitioner, batch);
            assertThat(second).isEqualTo(first);
            assertThat(again).isEqualTo(first);
        }
    }

    @Test
    void zeroRowsGiveNoBatches() {
        HashPartitioner partitioner = new HashPartitioner(ALL_TYPES, List.of(4), 4);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, List.of())) {
            long before = allocator.getAllocatedMemory();
            VectorSchemaRoot[] partitions = partitioner.split(batch, allocator);
            assertThat(partitions).hasSize(4).containsOnlyNulls();
            assertThat(allocator.getAllocatedMemory()).isEqualTo(before);
        }
    }

    @Test
    void onePartitionCopiesTheWholeBatch() {
        List<Object[]> input = randomRows(12, 100);
        HashPartitioner partitioner = new HashPartitioner(ALL_TYPES, List.of(9), 1);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, input)) {
            VectorSchemaRoot[] partitions = partitioner.split(batch, allocator);
            assertThat(partitions).hasSize(1);
            try (VectorSchemaRoot only = partitions[0]) {
                assertThat(only.getSchema()).isEqualTo(batch.getSchema());
                assertThat(rows(only)).isEqualTo(TestingKeyBatches.asLists(input));
            }
            // The copy shares nothing: the input reads the same after the output is closed.
            assertThat(rows(batch)).isEqualTo(TestingKeyBatches.asLists(input));
        }
    }

    @Test
    void manyPartitions() {
        List<Object[]> input = new ArrayList<>();
        for (long id = 0; id < 5000; id++) {
            input.add(new Object[] {id, "row " + id});
        }
        Schema schema = schema(field("id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE));
        try (VectorSchemaRoot batch = batch(allocator, schema, input)) {
            List<List<List<Object>>> partitions = assertSplitsExactly(batch, List.of(0), 256);
            // 5000 distinct keys spread over all 256 partitions, none with more than twice its share.
            assertThat(partitions).allSatisfy(rows -> assertThat(rows).isNotEmpty().hasSizeLessThan(2 * 5000 / 256));
        }
    }

    @Test
    void equalKeysLandTogether() {
        List<Object[]> input = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            input.add(new Object[] {(long) (i % 10), i % 3 == 0 ? null : "k" + (i % 4)});
        }
        Schema schema = schema(field("id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE));
        try (VectorSchemaRoot batch = batch(allocator, schema, input)) {
            List<List<List<Object>>> partitions = assertSplitsExactly(batch, List.of(0, 1), 64);
            Map<List<Object>, Set<Integer>> partitionsOfKey = new HashMap<>();
            for (int partition = 0; partition < partitions.size(); partition++) {
                for (List<Object> row : partitions.get(partition)) {
                    partitionsOfKey.computeIfAbsent(row, key -> new HashSet<>()).add(partition);
                }
            }
            assertThat(partitionsOfKey).hasSize((int) TestingKeyBatches.asLists(input).stream().distinct().count());
            assertThat(partitionsOfKey.values()).allSatisfy(where -> assertThat(where).hasSize(1));
        }
    }

    @Test
    void splitsASlicedBatch() {
        List<Object[]> input = randomRows(13, 300);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, input)) {
            List<FieldVector> vectors = new ArrayList<>();
            for (FieldVector vector : batch.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(allocator);
                pair.splitAndTransfer(37, 201);
                vectors.add((FieldVector) pair.getTo());
            }
            try (VectorSchemaRoot sliced = new VectorSchemaRoot(vectors)) {
                assertThat(rows(sliced)).isEqualTo(TestingKeyBatches.asLists(input.subList(37, 238)));
                assertSplitsExactly(sliced, List.of(9, 6), 6);
            }
        }
    }

    @Test
    void carriesColumnsOfOtherTypesAlong() {
        // A list column takes the generic copy path; a Null-type column has no buffers at all.
        Field list = new Field("list", FieldType.nullable(new ArrowType.List()),
                List.of(new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null)));
        Schema schema = schema(field("id", new ArrowType.Int(64, true)), list, field("nothing", ArrowType.Null.INSTANCE));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
            batch.allocateNew();
            BigIntVector ids = (BigIntVector) batch.getVector(0);
            UnionListWriter writer = ((ListVector) batch.getVector(1)).getWriter();
            for (int row = 0; row < 100; row++) {
                ids.setSafe(row, row);
                writer.setPosition(row);
                if (row % 7 != 0) {
                    writer.startList();
                    for (int item = 0; item < row % 4; item++) {
                        writer.writeInt(row * 10 + item);
                    }
                    writer.endList();
                }
            }
            batch.setRowCount(100);
            assertSplitsExactly(batch, List.of(0), 3);
            assertSplitsExactly(batch, List.of(2, 0), 3);
        }
    }

    @Test
    void aFailedSplitLeavesNothingAllocated() {
        List<Object[]> input = randomRows(14, 2000);
        HashPartitioner partitioner = new HashPartitioner(ALL_TYPES, List.of(3), 4);
        try (VectorSchemaRoot batch = batch(allocator, ALL_TYPES, input);
                BufferAllocator small = allocator.newChildAllocator("small", 0, 64 * 1024)) {
            assertThatThrownBy(() -> partitioner.split(batch, small)).isInstanceOf(OutOfMemoryException.class);
            assertThat(small.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> new HashPartitioner(ALL_TYPES, List.of(0), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitionCount must be at least 1");
        Schema ints = schema(field("id", new ArrowType.Int(32, true)));
        HashPartitioner partitioner = new HashPartitioner(schema(field("id", new ArrowType.Int(64, true))), List.of(0), 2);
        try (VectorSchemaRoot batch = batch(allocator, ints, List.<Object[]>of(new Object[] {1}))) {
            assertThatThrownBy(() -> partitioner.split(batch, allocator)).hasMessageContaining("expected Int(64, true)");
            assertThat(((IntVector) batch.getVector(0)).get(0)).isEqualTo(1);
        }
    }

    /**
     * Splits the batch and checks that partition {@code p} holds exactly the input rows whose hash
     * names {@code p}, in input order, with every column; returns the rows of each partition.
     */
    private List<List<List<Object>>> assertSplitsExactly(VectorSchemaRoot batch, List<Integer> keys, int partitionCount) {
        long[] hashes = new long[batch.getRowCount()];
        new PartitionHash(batch.getSchema(), keys).hashRows(batch, hashes);
        List<List<Object>> inputRows = rows(batch);
        List<List<List<Object>>> expected = new ArrayList<>();
        for (int partition = 0; partition < partitionCount; partition++) {
            expected.add(new ArrayList<>());
        }
        for (int row = 0; row < inputRows.size(); row++) {
            expected.get(PartitionHash.partition(hashes[row], partitionCount)).add(inputRows.get(row));
        }

        List<List<List<Object>>> actual = splitRows(new HashPartitioner(batch.getSchema(), keys, partitionCount), batch);
        assertThat(actual).as("keys %s into %d partitions", keys, partitionCount).isEqualTo(expected);
        assertThat(actual.stream().flatMap(List::stream).toList())
                .containsExactlyInAnyOrderElementsOf(inputRows);
        return actual;
    }

    /** The rows of each partition, an empty list where the partitioner gave no batch. */
    private List<List<List<Object>>> splitRows(HashPartitioner partitioner, VectorSchemaRoot batch) {
        VectorSchemaRoot[] partitions = partitioner.split(batch, allocator);
        try {
            assertThat(partitions).hasSize(partitioner.partitionCount());
            List<List<List<Object>>> result = new ArrayList<>();
            for (VectorSchemaRoot partition : partitions) {
                if (partition == null) {
                    result.add(List.of());
                } else {
                    assertThat(partition.getRowCount()).isPositive();
                    assertThat(partition.getSchema()).isEqualTo(batch.getSchema());
                    result.add(rows(partition));
                }
            }
            return result;
        } finally {
            Arrays.stream(partitions).filter(Objects::nonNull).forEach(VectorSchemaRoot::close);
        }
    }
}
