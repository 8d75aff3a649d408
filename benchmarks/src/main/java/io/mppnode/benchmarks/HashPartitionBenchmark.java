package io.mppnode.benchmarks;

import io.mppnode.exchange.partition.HashPartitioner;
import io.mppnode.exchange.partition.PartitionHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of hash partitioning, in rows per second: {@code split} hashes the key columns and
 * copies every row of 128 batches of 8192 rows (1,048,576 rows; int64 id, utf8 name of 18 bytes,
 * float64 amount, int32 quantity; 5% NULL keys) into per-partition batches, which it then closes,
 * as an ExchangeSender would after handing them on; {@code hash} only computes the row hashes,
 * to show what the copy costs on top.
 *
 * <p>Run: {@code bin/mpp bench HashPartitionBenchmark -rf json -rff hash-partition.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HashPartitionBenchmark {
    private static final int BATCH_ROWS = 8192;
    private static final int BATCHES = 128;
    private static final int ROWS = BATCH_ROWS * BATCHES;
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("amount", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("quantity", FieldType.nullable(new ArrowType.Int(32, true)), null)));

    /** The key columns: {@code int64} (id), {@code string} (name), {@code int64_string} (id, name). */
    @Param({"int64", "string", "int64_string"})
    public String key;

    @Param({"4", "64"})
    public int partitions;

    private BufferAllocator allocator;
    private final List<VectorSchemaRoot> batches = new ArrayList<>();
    private HashPartitioner partitioner;
    private PartitionHash hash;
    private final long[] hashes = new long[BATCH_ROWS];

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        SplittableRandom random = new SplittableRandom(42);
        for (int b = 0; b < BATCHES; b++) {
            batches.add(batch(random));
        }
        List<Integer> keyColumns = switch (key) {
            case "int64" -> List.of(0);
            case "string" -> List.of(1);
            case "int64_string" -> List.of(0, 1);
            default -> throw new IllegalArgumentException("unknown key " + key);
        };
        partitioner = new HashPartitioner(SCHEMA, keyColumns, partitions);
        hash = new PartitionHash(SCHEMA, keyColumns);
    }

    private VectorSchemaRoot batch(SplittableRandom random) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator);
        batch.allocateNew();
        BigIntVector id = (BigIntVector) batch.getVector(0);
        VarCharVector name = (VarCharVector) batch.getVector(1);
        Float8Vector amount = (Float8Vector) batch.getVector(2);
        IntVector quantity = (IntVector) batch.getVector(3);
        for (int row = 0; row < BATCH_ROWS; row++) {
            long customer = random.nextLong(1_000_000);
            if (random.nextInt(20) == 0) {
                id.setNull(row);
            } else {
                id.setSafe(row, customer);
            }
            if (random.nextInt(20) == 0) {
                name.setNull(row);
            } else {
                name.setSafe(row, String.format("Customer#%09d", customer).getBytes(StandardCharsets.UTF_8));
            }
            amount.setSafe(row, random.nextInt(1_000_000) / 100.0);
            quantity.setSafe(row, random.nextInt(50));
        }
        batch.setRowCount(BATCH_ROWS);
        return batch;
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long split() {
        long rows = 0;
        for (VectorSchemaRoot batch : batches) {
            for (VectorSchemaRoot partition : partitioner.split(batch, allocator)) {
                if (partition != null) {
                    rows += partition.getRowCount();
                    partition.close();
                }
            }
        }
        return rows;
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long hash() {
        long sum = 0;
        for (VectorSchemaRoot batch : batches) {
            hash.hashRows(batch, hashes);
            for (int row = 0; row < BATCH_ROWS; row++) {
                sum += PartitionHash.partition(hashes[row], partitions);
            }
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batches.forEach(VectorSchemaRoot::close);
        batches.clear();
        allocator.close();
    }
}
