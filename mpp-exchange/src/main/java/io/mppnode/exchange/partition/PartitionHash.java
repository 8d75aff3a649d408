package io.mppnode.exchange.partition;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The partition hash of hash exchanges (DESIGN section 6): one 64-bit hash per row over the key
 * columns, the same for the same key values on every node and in every batch layout, so the
 * senders of a join's two sides, or of an aggregation's partial results, send equal keys to the
 * same receiver.
 *
 * <h2>Specification (version 1)</h2>
 *
 * For a row whose key values are {@code k1 .. kn}, in the order the keys are given:
 * <pre>
 *   h = 0
 *   for each key value k:  h = h * 31 + valueHash(k)      (64-bit, wrapping)
 *   partition = Long.remainderUnsigned(h, partitionCount)  (h read as unsigned)
 * </pre>
 * {@code valueHash(NULL)} is the constant 0x9E3779B97F4A7C15 for every type; it is not the
 * hash of any byte string (the empty string hashes to 0xEF46DB3751D8E999). Every other value
 * hashes as XXH64, seed 0 (the xxHash project's 64-bit function), of its canonical bytes:
 * <ul>
 *   <li>bool: the int64 0 (false) or 1 (true), 8 bytes little-endian;
 *   <li>int8, int16, int32, int64: the value sign-extended to int64, 8 bytes little-endian;
 *   <li>float32, float64: the value as float64 (a float32 widens exactly), with -0.0 replaced by
 *       0.0 and every NaN by the NaN 0x7FF8000000000000, as IEEE 754 binary64 bits, 8 bytes
 *       little-endian;
 *   <li>decimal(p, s), 128-bit: the unscaled value as a 128-bit two's complement integer, 16 bytes
 *       little-endian (Arrow's own layout);
 *   <li>utf8, large utf8, binary, large binary: the value's bytes as stored (UTF-8 for strings,
 *       no normalization), any length including 0;
 *   <li>date (day unit): the int32 days since 1970-01-01, sign-extended to int64, 8 bytes
 *       little-endian;
 *   <li>timestamp (microsecond unit, with or without a time zone): the int64 microseconds since
 *       1970-01-01T00:00Z, 8 bytes little-endian; the zone is ignored, as Arrow stores UTC;
 *   <li>the Null type: every row is NULL.
 * </ul>
 * So for one key column the row hash is just XXH64 of the value, which any xxHash library
 * reproduces. What hashes equally: int8, int16, int32 and int64 of the same number (all widen to
 * int64); float32 and float64 of the same number; 0.0 and -0.0; all NaNs; utf8 and large utf8 (and
 * binary) of the same bytes; timestamps of the same instant whatever their zone; decimals of the
 * same value <em>and scale</em>, whatever their precision. What does not: an integer and a float
 * or a decimal of the same number (5, 5.0, 5.00), or decimals of different scales (1.5 in
 * decimal(5, 1) and 1.50 in decimal(5, 2)) — a plan joining those casts its keys to one type
 * first. A date hashes as the int64 of its day number and a bool as 0 or 1; no plan joins those
 * with integers, so these coincidences are harmless. Values that are not equal may collide; that
 * only affects balance. A value is NULL when its validity bit is clear (or its column is of the
 * Null type); whatever bytes lie under a NULL slot do not affect the hash. Nothing depends on how
 * rows are split into batches or how vectors are sliced.
 *
 * <p>Hashing is vectorized: {@link #hashRows} computes one column's value hashes into a
 * {@code long[]} in one loop per column (the type is resolved when the hash is created), then
 * folds them into the row hashes in a second loop.
 *
 * <p>Not thread-safe (it keeps a scratch array): use one per driver. It reads the batches it is
 * given and never retains or closes them.
 */
public final class PartitionHash {
    /** {@code valueHash(NULL)}: 2^64 divided by the golden ratio, as in many hash constants. */
    public static final long NULL_HASH = 0x9E3779B97F4A7C15L;
    /** The multiplier of the combine step {@code h = h * 31 + valueHash}. */
    public static final long COMBINE_MULTIPLIER = 31;

    private final int[] keyColumns;
    private final ArrowType[] keyTypes;
    private final ValueHasher[] hashers;
    private long[] valueHashes = new long[0];

    /**
     * @param schema the schema of the batches to hash
     * @param keyColumns the indices of the key columns in {@code schema}, in key order
     * @throws IllegalArgumentException when there is no key, a key index is out of range, or a key
     *     column's type has no canonical form above
     */
    public PartitionHash(Schema schema, List<Integer> keyColumns) {
        requireNonNull(schema, "schema is null");
        requireNonNull(keyColumns, "keyColumns is null");
        if (keyColumns.isEmpty()) {
            throw new IllegalArgumentException("a partition hash needs at least one key column");
        }
        List<Field> fields = schema.getFields();
        this.keyColumns = new int[keyColumns.size()];
        this.keyTypes = new ArrowType[keyColumns.size()];
        this.hashers = new ValueHasher[keyColumns.size()];
        for (int key = 0; key < keyColumns.size(); key++) {
            int column = requireNonNull(keyColumns.get(key), "key column is null");
            if (column < 0 || column >= fields.size()) {
                throw new IllegalArgumentException("key column " + column + " is out of range: the schema has "
                        + fields.size() + " columns");
            }
            Field field = fields.get(column);
            ValueHasher hasher = ValueHasher.forType(field.getType());
            if (hasher == null || field.getDictionary() != null) {
                throw new IllegalArgumentException("key column " + column + " (" + field.getName() + ") has type "
                        + field.getType() + (field.getDictionary() != null ? " (dictionary-encoded)" : "")
                        + ", which the partition hash does not define; supported: bool, int8/16/32/64,"
                        + " float32/64, decimal128, utf8, large utf8, binary, large binary, date(day),"
                        + " timestamp(microsecond), null");
            }
            this.keyColumns[key] = column;
            this.keyTypes[key] = field.getType();
            this.hashers[key] = hasher;
        }
    }

    /** The key column indices, in key order. */
    public List<Integer> keyColumns() {
        return Arrays.stream(keyColumns).boxed().toList();
    }

    /**
     * Writes the hash of every row of {@code batch} into {@code hashes[0 .. rowCount)}.
     *
     * @throws IllegalArgumentException when {@code hashes} is shorter than the batch, or a key
     *     column of the batch does not have the type this hash was created for
     */
    public void hashRows(VectorSchemaRoot batch, long[] hashes) {
        requireNonNull(batch, "batch is null");
        requireNonNull(hashes, "hashes is null");
        int rowCount = batch.getRowCount();
        if (hashes.length < rowCount) {
            throw new IllegalArgumentException("hashes has room for " + hashes.length + " rows, the batch has " + rowCount);
        }
        if (valueHashes.length < rowCount) {
            valueHashes = new long[rowCount];
        }
        Arrays.fill(hashes, 0, rowCount, 0L);
        for (int key = 0; key < keyColumns.length; key++) {
            FieldVector vector = batch.getVector(keyColumns[key]);
            if (!vector.getField().getType().equals(keyTypes[key])) {
                throw new IllegalArgumentException("key column " + keyColumns[key] + " (" + vector.getName()
                        + ") has type " + vector.getField().getType() + ", expected " + keyTypes[key]);
            }
            if (vector.getValueCount() < rowCount) {
                throw new IllegalArgumentException("key column " + keyColumns[key] + " (" + vector.getName()
                        + ") has " + vector.getValueCount() + " values, the batch has " + rowCount + " rows");
            }
            combine(vector, hashers[key], rowCount, hashes);
        }
    }

    /** The partition of a row hash: {@code Long.remainderUnsigned(hash, partitionCount)}. */
    public static int partition(long hash, int partitionCount) {
        if (partitionCount < 1) {
            throw new IllegalArgumentException("partitionCount must be at least 1, was " + partitionCount);
        }
        return (int) Long.remainderUnsigned(hash, partitionCount);
    }

    private void combine(FieldVector vector, ValueHasher hasher, int rowCount, long[] hashes) {
        long[] values = valueHashes;
        int nullCount = vector.getNullCount();
        if (hasher == ValueHasher.ALWAYS_NULL || (nullCount == rowCount && rowCount == vector.getValueCount())) {
            // Every row is NULL; the Null type's vectors have no validity buffer to read.
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = hashes[row] * COMBINE_MULTIPLIER + NULL_HASH;
            }
            return;
        }
        hasher.hash(vector, rowCount, values);
        if (nullCount == 0) {
            for (int row = 0; row < rowCount; row++) {
                hashes[row] = hashes[row] * COMBINE_MULTIPLIER + values[row];
            }
            return;
        }
        ArrowBuf validity = vector.getValidityBuffer();
        for (int row = 0; row < rowCount; row++) {
            boolean valid = ((validity.getByte(row >>> 3) >>> (row & 7)) & 1) != 0;
            hashes[row] = hashes[row] * COMBINE_MULTIPLIER + (valid ? values[row] : NULL_HASH);
        }
    }
}
