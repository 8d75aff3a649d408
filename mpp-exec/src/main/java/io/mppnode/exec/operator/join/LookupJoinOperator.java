package io.mppnode.exec.operator.join;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.MppException;
import io.mppnode.exchange.partition.PartitionHash;
import io.mppnode.exchange.partition.RowGather;
import io.mppnode.exec.expr.VectorExpr;
import io.mppnode.exec.memory.HeapMemory;
import io.mppnode.exec.operator.Operator;
import io.mppnode.exec.operator.OperatorContext;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.BuildSide;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.JoinType;
import io.mppnode.proto.plan.TypeKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The probe half of a hash join: looks each probe batch up in the {@link LookupTable} its
 * {@link JoinBridge} publishes, and emits the joined rows. Blocked (an incomplete future from
 * {@link #isBlocked()}) until the table is published; fails with an {@link MppException} if the
 * build never completes.
 *
 * <p>Output columns: the left child's then the right child's for INNER, LEFT_OUTER and
 * RIGHT_OUTER; only the left child's for SEMI, ANTI_SEMI and NULL_AWARE_ANTI_SEMI. The left child
 * is the probe side with BUILD_RIGHT, the build side with BUILD_LEFT. A pair of rows matches when
 * their keys are equal (a NULL key matches nothing) and the other condition, if any, is TRUE.
 * NULL_AWARE_ANTI_SEMI is NOT IN: a left row is kept when no right row has the condition TRUE (or
 * no condition) and keys equal or either key NULL.
 *
 * <p>Output is incremental: at most {@code batchRows} rows per batch, and each call builds at
 * most one such batch. A cursor into the probe batch and into the build rows of its current key
 * remembers where the next batch starts, so a key repeated many times on both sides streams out
 * rather than being materialized, and memory stays bounded by a few batches.
 *
 * <p>Rows that can only be told at the end, the build rows of a RIGHT_OUTER join with
 * BUILD_RIGHT or of a LEFT_OUTER, SEMI, ANTI_SEMI or NULL_AWARE_ANTI_SEMI join with BUILD_LEFT,
 * are decided by match flags shared by all probe instances; the last instance to finish emits
 * them, so they come out once however many instances probe.
 *
 * <p>Memory: each probe batch moves into this operator's allocator until it is used up; output
 * batches come from that allocator and belong to the caller. Heap arrays are accounted with
 * {@link HeapMemory}. {@link #close()} frees everything it holds, at any point.
 */
public final class LookupJoinOperator implements Operator {
    private static final int NOT_FOUND = -1;
    private static final int NULL_KEY = -2;

    private enum Phase {
        /** Walking the candidate pairs of the probe batch. */
        CANDIDATES,
        /** Emitting probe rows decided by their match flag (outer rows, or a semi/anti join's). */
        PROBE_ROWS,
        /** No probe batch in progress. */
        DONE
    }

    private final OperatorContext context;
    private final JoinBridge bridge;
    private final List<VectorExpr> probeKeys;
    private final List<DataType> keyTypes;
    private final VectorExpr otherCondition;
    private final int batchRows;

    // What the join does, from its type and build side.
    private final boolean probeIsLeft;
    /** INNER and OUTER: emits joined pairs. */
    private final boolean emitsPairs;
    /** Emits probe rows without a match, padded with NULLs. */
    private final boolean probeOuter;
    /** Emits build rows without a match, padded with NULLs, at the end. */
    private final boolean buildOuter;
    /** A semi or anti join whose left side is the probe: emits probe rows by their match flag. */
    private final boolean filtersProbe;
    /** A semi or anti join whose left side is the build: marks build rows, emits them at the end. */
    private final boolean marksBuild;
    /** SEMI keeps the matched rows, the anti joins the unmatched. */
    private final boolean keepsMatched;
    private final boolean nullAware;
    private final boolean tracksBuild;

    private final HeapMemory heap;
    private final List<Field> keyFields;
    private final PartitionHash keyHash;
    private final int[] pairProbeRows;
    private final int[] pairBuildRows;
    private final int[] selected;
    private int[] nullRows;

    private LookupTable table;
    private BuildMatches matches;
    private Schema probeSchema;
    private Schema joinedSchema;
    private int joinedProbeColumns;

    // The probe batch in progress, its keys, and per-row state (arrays sized to the largest batch).
    private VectorSchemaRoot probe;
    private FieldVector[] probeKeyVectors;
    private int probeRows;
    private int capacity;
    private int[] groupIds = new int[0];
    private long[] rowHashes = new long[0];
    private boolean[] probeMatched = new boolean[0];
    private Phase phase = Phase.DONE;

    // The cursor: the next probe row to start, the row in progress, and its candidate build rows
    // as positions in the table's rowsByGroup: [position, end) now, then [secondStart, secondEnd).
    private int nextProbeRow;
    private int currentProbeRow;
    private int position;
    private int end;
    private int secondStart;
    private int secondEnd;
    private int emitProbeRow;

    private boolean finishing;
    private boolean reportedFinish;
    private boolean emittingBuild;
    private int emitGroup;
    private int emitPosition;
    private boolean finished;
    private boolean closed;

    /**
     * Registers with the bridge as one of its probe instances.
     *
     * @param probeKeys the join keys over the probe side's columns, at least one (exactly one for
     *     NULL_AWARE_ANTI_SEMI), of the build keys' types
     * @param otherCondition a BOOLEAN expression over the joined columns (left's, then right's),
     *     or null when there is none
     * @param batchRows the most rows of an output batch
     * @throws IllegalArgumentException on an unknown type or build side, no key, several keys for
     *     NULL_AWARE_ANTI_SEMI, a condition that is not BOOLEAN, or {@code batchRows < 1}
     * @throws IllegalStateException when the bridge already has all its probe instances
     */
    public LookupJoinOperator(OperatorContext context, JoinBridge bridge, JoinType type, BuildSide buildSide,
            List<VectorExpr> probeKeys, VectorExpr otherCondition, int batchRows) {
        this.context = requireNonNull(context, "context is null");
        this.bridge = requireNonNull(bridge, "bridge is null");
        requireNonNull(type, "type is null");
        requireNonNull(buildSide, "buildSide is null");
        this.probeKeys = List.copyOf(probeKeys);
        this.otherCondition = otherCondition;
        this.batchRows = batchRows;
        String executor = "executor '" + context.executorId() + "': ";
        if (batchRows < 1) {
            throw new IllegalArgumentException(executor + "batchRows must be positive: " + batchRows);
        }
        if (buildSide == BuildSide.UNRECOGNIZED) {
            throw new IllegalArgumentException(executor + "unknown build side");
        }
        if (this.probeKeys.isEmpty()) {
            throw new IllegalArgumentException(executor + "a hash join needs at least one key");
        }
        if (type == JoinType.NULL_AWARE_ANTI_SEMI && this.probeKeys.size() > 1) {
            throw new IllegalArgumentException(executor + "a null-aware anti semi join (NOT IN) takes one key, got "
                    + this.probeKeys.size());
        }
        if (otherCondition != null && otherCondition.type().getKind() != TypeKind.BOOLEAN) {
            throw new IllegalArgumentException(executor + "the join's other condition must be boolean, found "
                    + ColumnTypes.describe(otherCondition.type()));
        }
        this.keyTypes = this.probeKeys.stream().map(VectorExpr::type).toList();

        probeIsLeft = buildSide == BuildSide.BUILD_RIGHT;
        boolean semiLike = switch (type) {
            case INNER, LEFT_OUTER, RIGHT_OUTER -> false;
            case SEMI, ANTI_SEMI, NULL_AWARE_ANTI_SEMI -> true;
            case UNRECOGNIZED -> throw new IllegalArgumentException(executor + "unknown join type");
        };
        emitsPairs = !semiLike;
        probeOuter = type == (probeIsLeft ? JoinType.LEFT_OUTER : JoinType.RIGHT_OUTER);
        buildOuter = type == (probeIsLeft ? JoinType.RIGHT_OUTER : JoinType.LEFT_OUTER);
        filtersProbe = semiLike && probeIsLeft;
        marksBuild = semiLike && !probeIsLeft;
        keepsMatched = type == JoinType.SEMI;
        nullAware = type == JoinType.NULL_AWARE_ANTI_SEMI;
        tracksBuild = buildOuter || marksBuild;

        keyFields = IntStream.range(0, keyTypes.size())
                .mapToObj(i -> ColumnTypes.toArrowField("key" + i, keyTypes.get(i))).toList();
        keyHash = new PartitionHash(new Schema(keyFields), IntStream.range(0, keyTypes.size()).boxed().toList());
        heap = new HeapMemory(context.allocator());
        try {
            heap.reserve(3L * batchRows * Integer.BYTES);
            pairProbeRows = new int[batchRows];
            pairBuildRows = new int[batchRows];
            selected = new int[batchRows];
            bridge.registerProbe();
        } catch (RuntimeException | Error e) {
            heap.close();
            throw e;
        }
    }

    @Override
    public OperatorContext context() {
        return context;
    }

    @Override
    public CompletableFuture<Void> isBlocked() {
        if (table == null && !closed) {
            CompletableFuture<Void> built = bridge.whenBuilt();
            if (!built.isDone()) {
                return built;
            }
        }
        return NOT_BLOCKED;
    }

    @Override
    public boolean needsInput() {
        return !closed && !finishing && phase == Phase.DONE && (table != null || bridge.isPublished());
    }

    /** Takes ownership of {@code batch}: its buffers move into this operator's allocator until it is used up. */
    @Override
    public void addInput(VectorSchemaRoot batch) {
        if (!needsInput()) {
            batch.close();
            throw new IllegalStateException("operator '" + context.executorId() + "' does not take input now");
        }
        probe = Batches.transfer(batch, context.allocator());
        try {
            acquireTable();
            if (probeSchema == null) {
                bridge.recordProbeSchema(probe.getSchema());
                probeSchema = probe.getSchema();
            }
            probeRows = probe.getRowCount();
            if (probeRows > 0) {
                startProbe();
            }
        } catch (RuntimeException | Error e) {
            releaseProbe();
            throw e;
        }
        if (phase == Phase.DONE) {
            releaseProbe();
        }
    }

    /**
     * The next output batch (the caller's), or null when there is none now.
     *
     * @throws MppException when the build side stopped or failed, so the table will never come
     * @throws org.apache.arrow.memory.OutOfMemoryException when the allocator's limit refuses a batch
     */
    @Override
    public VectorSchemaRoot getOutput() {
        if (closed || finished || !acquireTable()) {
            return null;
        }
        if (phase != Phase.DONE) {
            VectorSchemaRoot output = phase == Phase.CANDIDATES ? nextCandidates() : nextProbeRows();
            if (phase == Phase.DONE) {
                releaseProbe();
            }
            return output;
        }
        if (!finishing) {
            return null;
        }
        if (!reportedFinish) {
            reportedFinish = true;
            // After this, every match this instance found is visible to the last instance.
            emittingBuild = bridge.probeFinished() && tracksBuild;
        }
        if (emittingBuild) {
            VectorSchemaRoot output = nextBuildRows();
            if (!emittingBuild) {
                finished = true;
            }
            return output;
        }
        finished = true;
        return null;
    }

    @Override
    public void finish() {
        finishing = true;
    }

    @Override
    public boolean isFinished() {
        return finished || closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            releaseProbe();
            heap.close();
        } finally {
            table = null;
            matches = null;
            bridge.probeClosed();
        }
    }

    // ----- the table -----

    /** Whether the table is here (taking it when published). */
    private boolean acquireTable() {
        if (table != null) {
            return true;
        }
        if (!bridge.whenBuilt().isDone()) {
            return false;
        }
        LookupTable published;
        try {
            published = bridge.table();
        } catch (MppException e) {
            throw new MppException(e.code(), "executor '" + context.executorId() + "': " + e.getMessage(), e);
        }
        if (!published.keyTypes().equals(keyTypes)) {
            throw new IllegalArgumentException("executor '" + context.executorId() + "': the probe keys have types "
                    + keyTypes.stream().map(ColumnTypes::describe).toList() + ", the build keys "
                    + published.keyTypes().stream().map(ColumnTypes::describe).toList());
        }
        if (tracksBuild) {
            matches = bridge.matches(otherCondition != null);
        }
        if (probeOuter) {
            heap.reserve((long) batchRows * Integer.BYTES);
            nullRows = new int[batchRows];
            Arrays.fill(nullRows, published.nullRow());
        }
        table = published;
        return true;
    }

    // ----- one probe batch -----

    /** Looks the probe batch's keys up, records what needs no candidate walk, and sets the phase. */
    private void startProbe() {
        ensureCapacity(probeRows);
        probeKeyVectors = Batches.evaluateAll(probeKeys, probe, context.allocator());
        if (table.groupCount() == 0) {
            Arrays.fill(groupIds, 0, probeRows, NOT_FOUND);
        } else {
            // A root over the key vectors only to hash them: it owns nothing and is never closed.
            VectorSchemaRoot keys = new VectorSchemaRoot(keyFields, Arrays.asList(probeKeyVectors), probeRows);
            keyHash.hashRows(keys, rowHashes);
            table.findGroups(probeKeyVectors, probeRows, rowHashes, groupIds);
        }
        for (FieldVector key : probeKeyVectors) {
            markNullKeys(key);
        }
        Arrays.fill(probeMatched, 0, probeRows, false);
        if (otherCondition == null) {
            recordMatchesByKey();
        }
        nextProbeRow = 0;
        position = 0;
        end = 0;
        secondStart = 0;
        secondEnd = 0;
        emitProbeRow = 0;
        phase = emitsPairs || otherCondition != null ? Phase.CANDIDATES : afterCandidates();
    }

    private Phase afterCandidates() {
        return probeOuter || filtersProbe ? Phase.PROBE_ROWS : Phase.DONE;
    }

    private void markNullKeys(FieldVector key) {
        if (key.getNullCount() == 0) {
            return;
        }
        ArrowBuf validity = key.getValidityBuffer();
        int[] groups = groupIds;
        for (int row = 0; row < probeRows; row++) {
            if (((validity.getByte(row >>> 3) >>> (row & 7)) & 1) == 0) {
                groups[row] = NULL_KEY;
            }
        }
    }

    /** Without another condition, a key lookup decides every match at once. */
    private void recordMatchesByKey() {
        int[] groups = groupIds;
        boolean[] matched = probeMatched;
        int rows = probeRows;
        if (probeOuter || (filtersProbe && !nullAware)) {
            for (int row = 0; row < rows; row++) {
                matched[row] = groups[row] >= 0;
            }
        } else if (filtersProbe) {
            // NOT IN: a NULL on either side makes the comparison unknown, which is not FALSE.
            if (table.rowCount() > 0) {
                if (table.hasNullKeyRows()) {
                    Arrays.fill(matched, 0, rows, true);
                } else {
                    for (int row = 0; row < rows; row++) {
                        matched[row] = groups[row] != NOT_FOUND;
                    }
                }
            }
        }
        if (tracksBuild) {
            boolean[] groupFlags = matches.groups;
            for (int row = 0; row < rows; row++) {
                int group = groups[row];
                if (group >= 0 && !groupFlags[group]) {
                    groupFlags[group] = true;
                }
            }
            if (nullAware) {
                matches.nullKeyRowsMatched = true;
                for (int row = 0; row < rows; row++) {
                    if (groups[row] == NULL_KEY) {
                        matches.allRowsMatched = true;
                        break;
                    }
                }
            }
        }
    }

    /**
     * The next batch of candidate pairs, as joined rows: all of them without another condition,
     * else those for which it is TRUE (recording the matches); null when none came out this time.
     */
    private VectorSchemaRoot nextCandidates() {
        int count = fillCandidates();
        if (count == 0) {
            phase = afterCandidates();
            return null;
        }
        VectorSchemaRoot candidates = joined(count, pairProbeRows, pairBuildRows);
        if (otherCondition == null) {
            return candidates;
        }
        int passed;
        try {
            passed = evaluateCondition(candidates, count);
        } catch (RuntimeException | Error e) {
            candidates.close();
            throw e;
        }
        if (!emitsPairs || passed == 0) {
            candidates.close();
            return null;
        }
        if (passed == count) {
            return candidates;
        }
        try (candidates) {
            return gather(candidates, selected, passed);
        }
    }

    /** Fills the pair arrays with up to {@code batchRows} candidate pairs from the cursor on; returns how many. */
    private int fillCandidates() {
        int[] byGroup = table.rowsByGroup();
        boolean skipDecidedProbeRows = filtersProbe;
        boolean[] buildMatched = marksBuild ? matches.rows : null;
        int count = 0;
        while (count < batchRows) {
            if (position < end) {
                if (skipDecidedProbeRows && probeMatched[currentProbeRow]) {
                    // A semi or anti join needs one TRUE pair per probe row: skip the rest.
                    position = end;
                    secondStart = secondEnd;
                    continue;
                }
                int taken = Math.min(batchRows - count, end - position);
                if (buildMatched != null) {
                    // Build rows another pair already matched need no more evaluation.
                    for (int i = position; i < position + taken; i++) {
                        int buildRow = byGroup[i];
                        if (!buildMatched[buildRow]) {
                            pairProbeRows[count] = currentProbeRow;
                            pairBuildRows[count++] = buildRow;
                        }
                    }
                } else {
                    System.arraycopy(byGroup, position, pairBuildRows, count, taken);
                    Arrays.fill(pairProbeRows, count, count + taken, currentProbeRow);
                    count += taken;
                }
                position += taken;
            } else if (secondStart < secondEnd) {
                position = secondStart;
                end = secondEnd;
                secondStart = 0;
                secondEnd = 0;
            } else if (nextProbeRow < probeRows) {
                currentProbeRow = nextProbeRow++;
                startCandidates(currentProbeRow);
            } else {
                break;
            }
        }
        return count;
    }

    /** Points the cursor at the candidate build rows of probe row {@code row}. */
    private void startCandidates(int row) {
        int[] starts = table.groupStarts();
        int group = groupIds[row];
        if (group >= 0) {
            position = starts[group];
            end = starts[group + 1];
        } else {
            position = 0;
            end = 0;
        }
        secondStart = 0;
        secondEnd = 0;
        if (nullAware) {
            // NOT IN: a NULL key compares unknown with every key, so the NULL-key build rows are
            // candidates for every probe row, and every build row for a probe row with a NULL key.
            if (group == NULL_KEY) {
                position = 0;
                end = table.rowCount();
            } else {
                int nullRun = table.groupCount();
                secondStart = starts[nullRun];
                secondEnd = starts[nullRun + 1];
            }
        }
    }

    /** Evaluates the other condition over the candidates; records and selects the TRUE pairs. */
    private int evaluateCondition(VectorSchemaRoot candidates, int count) {
        try (FieldVector result = otherCondition.evaluate(candidates, context.allocator())) {
            BitVector bits = (BitVector) result;
            ArrowBuf validity = bits.getValidityBuffer();
            ArrowBuf values = bits.getDataBuffer();
            boolean[] probeFlags = probeMatched;
            boolean[] buildFlags = tracksBuild ? matches.rows : null;
            int passed = 0;
            for (int i = 0; i < count; i++) {
                int byteIndex = i >>> 3;
                int bit = i & 7;
                if ((((validity.getByte(byteIndex) & values.getByte(byteIndex)) >>> bit) & 1) != 0) {
                    selected[passed++] = i;
                    probeFlags[pairProbeRows[i]] = true;
                    if (buildFlags != null) {
                        buildFlags[pairBuildRows[i]] = true;
                    }
                }
            }
            return passed;
        }
    }

    /** The next batch of probe rows decided by their flag: unmatched outer rows, or a semi/anti join's rows. */
    private VectorSchemaRoot nextProbeRows() {
        boolean wanted = !probeOuter && keepsMatched;
        boolean[] flags = probeMatched;
        int first = emitProbeRow;
        int row = emitProbeRow;
        int count = 0;
        while (row < probeRows && count < batchRows) {
            if (flags[row] == wanted) {
                selected[count++] = row;
            }
            row++;
        }
        emitProbeRow = row;
        if (row == probeRows) {
            phase = Phase.DONE;
        }
        if (count == 0) {
            return null;
        }
        if (filtersProbe && first == 0 && count == probeRows) {
            // Every row passes: the batch goes on as it is.
            VectorSchemaRoot whole = probe;
            probe = null;
            return whole;
        }
        if (probeOuter) {
            return joined(count, selected, nullRows);
        }
        return gather(probe, selected, count);
    }

    private void releaseProbe() {
        Batches.closeAll(probeKeyVectors);
        probeKeyVectors = null;
        if (probe != null) {
            probe.close();
            probe = null;
        }
        phase = Phase.DONE;
    }

    private void ensureCapacity(int rows) {
        if (rows <= capacity) {
            return;
        }
        // Group ids, row hashes (and the partition hash's scratch of as many), match flags.
        heap.reserve((long) (rows - capacity) * (Integer.BYTES + 2 * Long.BYTES + 1));
        groupIds = new int[rows];
        rowHashes = new long[rows];
        probeMatched = new boolean[rows];
        capacity = rows;
    }

    // ----- the build rows, once, from the last probe instance -----

    /** The next batch of build rows decided by the shared flags; clears {@link #emittingBuild} after the last. */
    private VectorSchemaRoot nextBuildRows() {
        int groupCount = table.groupCount();
        int[] starts = table.groupStarts();
        int[] byGroup = table.rowsByGroup();
        boolean[] rowFlags = matches.rows;
        boolean wanted = !buildOuter && keepsMatched;
        int count = 0;
        while (count < batchRows && emitGroup <= groupCount) {
            int runEnd = starts[emitGroup + 1];
            if (emitPosition >= runEnd) {
                emitGroup++; // runs are contiguous: the position is already at the next run's start
                continue;
            }
            boolean groupMatched = matches.groupMatched(emitGroup, groupCount);
            if (rowFlags == null || groupMatched) {
                if (groupMatched == wanted) {
                    int taken = Math.min(batchRows - count, runEnd - emitPosition);
                    System.arraycopy(byGroup, emitPosition, selected, count, taken);
                    count += taken;
                    emitPosition += taken;
                } else {
                    emitPosition = runEnd;
                }
            } else {
                while (emitPosition < runEnd && count < batchRows) {
                    int row = byGroup[emitPosition++];
                    if (rowFlags[row] == wanted) {
                        selected[count++] = row;
                    }
                }
            }
        }
        if (emitGroup > groupCount) {
            emittingBuild = false;
        }
        if (count == 0) {
            return null;
        }
        if (buildOuter) {
            return joined(count, null, selected);
        }
        return buildRows(count, selected);
    }

    // ----- assembling batches -----

    /**
     * Joined rows: probe row {@code probeRowIndexes[i]} (all NULL when the array is null) with build
     * row {@code buildRowIndexes[i]}, left columns first. The batch is the caller's.
     */
    private VectorSchemaRoot joined(int count, int[] probeRowIndexes, int[] buildRowIndexes) {
        Schema schema = joinedSchema();
        int buildColumns = table.columnCount();
        int probeOffset = probeIsLeft ? 0 : buildColumns;
        int buildOffset = probeIsLeft ? joinedProbeColumns : 0;
        VectorSchemaRoot output = VectorSchemaRoot.create(schema, context.allocator());
        try {
            for (int column = 0; column < joinedProbeColumns; column++) {
                FieldVector target = output.getVector(probeOffset + column);
                if (probeRowIndexes == null) {
                    Batches.fillNulls(target, count);
                } else {
                    RowGather.gather(probe.getVector(column), probeRowIndexes, 0, count, target);
                }
            }
            for (int column = 0; column < buildColumns; column++) {
                RowGather.gather(table.column(column), buildRowIndexes, 0, count, output.getVector(buildOffset + column));
            }
            output.setRowCount(count);
        } catch (RuntimeException | Error e) {
            output.close();
            throw e;
        }
        return output;
    }

    private Schema joinedSchema() {
        if (joinedSchema == null) {
            Schema probeColumns = probeSchema != null ? probeSchema : bridge.probeSchema();
            Schema buildColumns = table.schema();
            if (probeColumns == null || buildColumns == null) {
                throw new IllegalStateException("executor '" + context.executorId() + "': the join's "
                        + (probeColumns == null ? "probe" : "build") + " side produced no batch, so the types of its"
                        + " columns are unknown; give them to the JoinBridge");
            }
            List<Field> fields = new ArrayList<>();
            for (Field field : (probeIsLeft ? probeColumns : buildColumns).getFields()) {
                fields.add(Batches.nullable(field));
            }
            for (Field field : (probeIsLeft ? buildColumns : probeColumns).getFields()) {
                fields.add(Batches.nullable(field));
            }
            joinedProbeColumns = probeColumns.getFields().size();
            joinedSchema = new Schema(fields);
        }
        return joinedSchema;
    }

    /** Build rows {@code rows[0 .. count)}, build columns only. */
    private VectorSchemaRoot buildRows(int count, int[] rows) {
        VectorSchemaRoot output = VectorSchemaRoot.create(table.schema(), context.allocator());
        try {
            for (int column = 0; column < table.columnCount(); column++) {
                RowGather.gather(table.column(column), rows, 0, count, output.getVector(column));
            }
            output.setRowCount(count);
        } catch (RuntimeException | Error e) {
            output.close();
            throw e;
        }
        return output;
    }

    /** Rows {@code rows[0 .. count)} of {@code batch}, in a new batch that is the caller's. */
    private VectorSchemaRoot gather(VectorSchemaRoot batch, int[] rows, int count) {
        BufferAllocator allocator = context.allocator();
        VectorSchemaRoot output = VectorSchemaRoot.create(batch.getSchema(), allocator);
        try {
            for (int column = 0; column < batch.getFieldVectors().size(); column++) {
                RowGather.gather(batch.getVector(column), rows, 0, count, output.getVector(column));
            }
            output.setRowCount(count);
        } catch (RuntimeException | Error e) {
            output.close();
            throw e;
        }
        return output;
    }
}
