package io.mppnode.exec.operator.join;

import io.mppnode.exec.hash.GroupByHash;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.proto.plan.DataType;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorAppender;

/**
 * The build side of a hash join, built once from every build instance's rows, then read by any
 * number of probe instances at once.
 *
 * <p>Layout:
 * <ul>
 *   <li>The build rows, concatenated once into one vector per column ({@link #columns}), so a
 *       build row is a plain int and output columns are gathered from one source vector. One
 *       extra row at the end, {@link #nullRow()}, is NULL in every column: the build side of an
 *       outer probe row that found no partner is gathered from it like any other row.
 *   <li>A {@link GroupByHash} over the keys gives every distinct key a dense group id.
 *   <li>The chains, as two int arrays in compressed-row form: the rows of group {@code g} are
 *       {@code rowsByGroup[groupStarts[g] .. groupStarts[g + 1])}, in build order, so a probe
 *       walks a contiguous run and a cursor into it is one int. The rows with a NULL in some key
 *       (never equal to anything) follow as one more run, group {@link #groupCount()}; so
 *       {@code rowsByGroup} lists every build row exactly once.
 * </ul>
 *
 * <p>Memory: everything lives in the allocator given to {@link #build} (the build operators'),
 * heap arrays accounted through {@link HeapMemory}. Reading ({@link #findGroups}, the arrays,
 * the columns) is thread-safe once the table is published; {@link #matches} and {@link #close}
 * are called under the {@link JoinBridge}'s lock. {@link #close()} frees everything.
 */
final class LookupTable implements AutoCloseable {
    private final Schema schema;
    private final List<DataType> keyTypes;
    private final HeapMemory heap;
    private final GroupByHash hash;
    private final VectorSchemaRoot rows;
    private final int rowCount;
    private final int groupCount;
    private final int[] groupStarts;
    private final int[] rowsByGroup;
    private BuildMatches matches;

    private LookupTable(Schema schema, List<DataType> keyTypes, HeapMemory heap, GroupByHash hash,
            VectorSchemaRoot rows, int rowCount, int[] groupStarts, int[] rowsByGroup) {
        this.schema = schema;
        this.keyTypes = keyTypes;
        this.heap = heap;
        this.hash = hash;
        this.rows = rows;
        this.rowCount = rowCount;
        this.groupCount = groupStarts.length - 2;
        this.groupStarts = groupStarts;
        this.rowsByGroup = rowsByGroup;
    }

    /**
     * Builds the table from the rows of every build instance. Takes ownership of {@code parts}
     * and frees them, whether it succeeds or fails.
     *
     * @param schema the build side's columns, or null when unknown (possible only when there are
     *     no rows: the table then has no columns)
     * @param allocator where the table's memory lives until {@link #close()}
     * @throws org.apache.arrow.memory.OutOfMemoryException when the allocator's limit refuses
     *     it; nothing is left allocated then
     */
    static LookupTable build(Schema schema, List<DataType> keyTypes, List<BuildPart> parts, BufferAllocator allocator) {
        HeapMemory heap = new HeapMemory(allocator);
        GroupByHash hash = null;
        VectorSchemaRoot rows = null;
        try {
            long total = 0;
            int largestBatch = 0;
            for (BuildPart part : parts) {
                total += part.rowCount();
                for (VectorSchemaRoot batch : part.batches()) {
                    largestBatch = Math.max(largestBatch, batch.getRowCount());
                }
            }
            if (total >= Integer.MAX_VALUE - 1) {
                throw new IllegalStateException("a hash join's build side holds at most " + (Integer.MAX_VALUE - 2)
                        + " rows, this one has " + total);
            }
            if (schema == null && total > 0) {
                throw new IllegalStateException("build rows without a schema");
            }
            int rowCount = (int) total;
            hash = new GroupByHash(keyTypes, allocator);

            heap.reserve(((long) rowCount + largestBatch) * Integer.BYTES);
            int[] groupOfRow = new int[rowCount];
            int[] batchGroups = new int[largestBatch];
            int offset = 0;
            for (BuildPart part : parts) {
                for (int index = 0; index < part.batches().size(); index++) {
                    FieldVector[] keys = part.keys(index);
                    int batchRows = part.batches().get(index).getRowCount();
                    hash.putAll(keys, batchRows, batchGroups);
                    System.arraycopy(batchGroups, 0, groupOfRow, offset, batchRows);
                    for (FieldVector key : keys) {
                        markNullKeys(key, batchRows, groupOfRow, offset);
                        key.close(); // the hash keeps its own copy of each distinct key
                    }
                    offset += batchRows;
                }
            }
            int groupCount = hash.groupCount();
            heap.reserve(((long) groupCount + 2 + rowCount) * Integer.BYTES);
            int[] groupStarts = new int[groupCount + 2];
            int[] rowsByGroup = new int[rowCount];
            chain(groupOfRow, groupCount, groupStarts, rowsByGroup);
            heap.release(((long) rowCount + largestBatch) * Integer.BYTES);

            rows = concatenate(schema, parts, rowCount, allocator);
            return new LookupTable(schema, List.copyOf(keyTypes), heap, hash, rows, rowCount, groupStarts, rowsByGroup);
        } catch (RuntimeException | Error e) {
            if (rows != null) {
                rows.close();
            }
            if (hash != null) {
                hash.close();
            }
            heap.close();
            throw e;
        } finally {
            parts.forEach(BuildPart::close);
        }
    }

    /** Sets {@code groupOfRow[offset + row]} to -1 where the key is NULL: such a row joins nothing. */
    private static void markNullKeys(FieldVector key, int rows, int[] groupOfRow, int offset) {
        if (key.getNullCount() == 0) {
            return;
        }
        ArrowBuf validity = key.getValidityBuffer();
        for (int row = 0; row < rows; row++) {
            if (((validity.getByte(row >>> 3) >>> (row & 7)) & 1) == 0) {
                groupOfRow[offset + row] = -1;
            }
        }
    }

    /**
     * A counting sort of the rows by group: NULL-key rows (group -1) go to run {@code groupCount}.
     * Filling from the last row down keeps each run in build order.
     */
    private static void chain(int[] groupOfRow, int groupCount, int[] groupStarts, int[] rowsByGroup) {
        for (int group : groupOfRow) {
            groupStarts[group < 0 ? groupCount : group]++;
        }
        int end = 0;
        for (int group = 0; group <= groupCount; group++) {
            end += groupStarts[group];
            groupStarts[group] = end; // for now, the end of the run
        }
        groupStarts[groupCount + 1] = end;
        for (int row = groupOfRow.length - 1; row >= 0; row--) {
            int group = groupOfRow[row];
            rowsByGroup[--groupStarts[group < 0 ? groupCount : group]] = row;
        }
    }

    /**
     * One vector per column holding every build row, then the NULL row, sized exactly once. Frees
     * each source column as soon as it is copied, so the peak is the rows plus one column.
     */
    private static VectorSchemaRoot concatenate(Schema schema, List<BuildPart> parts, int rowCount,
            BufferAllocator allocator) {
        List<Field> fields = schema == null ? List.of() : schema.getFields();
        List<FieldVector> columns = new ArrayList<>(fields.size());
        try {
            for (int column = 0; column < fields.size(); column++) {
                FieldVector target = fields.get(column).createVector(allocator);
                columns.add(target);
                allocateExactly(target, parts, column, rowCount + 1);
                VectorAppender appender = new VectorAppender(target);
                for (BuildPart part : parts) {
                    for (VectorSchemaRoot batch : part.batches()) {
                        FieldVector source = batch.getVector(column);
                        source.accept(appender, null);
                        source.close();
                    }
                }
                target.setNull(rowCount);
                target.setValueCount(rowCount + 1);
            }
        } catch (RuntimeException | Error e) {
            columns.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(fields, columns, rowCount + 1);
    }

    private static void allocateExactly(FieldVector target, List<BuildPart> parts, int column, int rows) {
        if (target instanceof BaseVariableWidthVector variable) {
            long bytes = 0;
            for (BuildPart part : parts) {
                for (VectorSchemaRoot batch : part.batches()) {
                    FieldVector source = batch.getVector(column);
                    bytes += source.getOffsetBuffer().getInt((long) source.getValueCount() * BaseVariableWidthVector.OFFSET_WIDTH);
                }
            }
            variable.allocateNew(bytes, rows);
        } else {
            target.setInitialCapacity(rows);
            target.allocateNew();
        }
    }

    /** The build side's columns, or null when no build batch came and no schema was given. */
    Schema schema() {
        return schema;
    }

    List<DataType> keyTypes() {
        return keyTypes;
    }

    /** Column {@code index} of the build rows, {@link #rowCount()} + 1 values (the last NULL); read only. */
    FieldVector column(int index) {
        return rows.getVector(index);
    }

    int columnCount() {
        return rows.getFieldVectors().size();
    }

    int rowCount() {
        return rowCount;
    }

    /** The row that is NULL in every column. */
    int nullRow() {
        return rowCount;
    }

    /** The number of key groups; group {@code groupCount()} is the run of rows with a NULL key. */
    int groupCount() {
        return groupCount;
    }

    /** {@code groupCount() + 2} run starts (see the class comment); read only. */
    int[] groupStarts() {
        return groupStarts;
    }

    /** Every build row once, by group; read only. */
    int[] rowsByGroup() {
        return rowsByGroup;
    }

    boolean hasNullKeyRows() {
        return groupStarts[groupCount + 1] > groupStarts[groupCount];
    }

    /**
     * Writes each row's group into {@code groupIds}, or -1 when no build row has its key. Does not
     * look at NULLs: the caller marks rows with a NULL key itself. Thread-safe.
     *
     * @param hashes the rows' partition hashes over the key vectors
     */
    void findGroups(FieldVector[] keys, int rows, long[] hashes, int[] groupIds) {
        hash.findAll(keys, rows, hashes, groupIds);
    }

    /** The shared match flags, made on first use; called under the bridge's lock. */
    BuildMatches matches(boolean byRow) {
        if (matches == null) {
            int size = byRow ? rowCount : groupCount;
            heap.reserve(size);
            matches = byRow ? new BuildMatches(null, new boolean[size]) : new BuildMatches(new boolean[size], null);
        } else if ((matches.rows != null) != byRow) {
            throw new IllegalStateException("the probes of one join disagree on how to record matches");
        }
        return matches;
    }

    @Override
    public void close() {
        rows.close();
        hash.close();
        heap.close();
        matches = null;
    }
}
