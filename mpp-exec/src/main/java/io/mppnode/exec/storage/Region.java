package io.mppnode.exec.storage;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A region of a table: an id, an epoch, the handle range it owns, and its rows in immutable
 * columnar chunks, each written at a commit timestamp. Reads take a snapshot at a timestamp: a
 * row version is visible when its commit ts is at or below it, the newest visible version of a
 * handle wins (for equal commit ts, the later write), and deleted handles are hidden.
 *
 * <p><b>Versions.</b> While no handle was written twice and nothing was deleted (tables loaded
 * directly), the region keeps no index and every chunk is read whole. The first write that
 * could repeat a handle (handles not above every stored one) or a delete builds a
 * {@link VersionIndex} (handle to its newest version) by replaying the chunks; from then on
 * each write marks the version it supersedes with the commit ts that ended it ({@code killedAt},
 * allocated per chunk on its first kill, with the chunk's minimum). A row is visible at
 * {@code startTs} iff {@code commitTs <= startTs < killedAt}, and rows of delete chunks never
 * are; so a snapshot costs one step per chunk, reads chunks with no kill at or below
 * {@code startTs} whole (zero-copy), and looks at rows only in the others. A version older than
 * the newest of its handle (a commit that arrived late) is placed in the chain by one pass over
 * the region's handles: the versions at or below its ts end at it, and it ends at the oldest
 * version above it. That costs a pass over the region's handles (under the lock) per such
 * write; it is meant to be rare: the commits of one handle normally arrive in ts order.
 *
 * <p><b>Compaction</b> at a safe point ({@link #compact}) drops versions no snapshot at or after
 * it can see, merges small chunks, and from then on refuses snapshots below the safe point
 * ({@link ErrorCode#SNAPSHOT_TOO_OLD}) and writes below it. When no handle has more than one
 * version left, the region returns to the index-free path.
 *
 * <p><b>Threads and memory.</b> Writes, snapshots and the swap of a compaction hold the
 * region's lock; a snapshot holds it for one step per chunk plus the rows of chunks with kills
 * at or below its ts, so it reads the kill marks consistently with the writes. A compaction
 * copies rows outside the lock. The region owns its memory (a child allocator); chunks are
 * reference counted ({@link Snapshot}), so a scan keeps the chunks it read readable after a
 * compaction replaced them or the table was dropped, and the last reader frees them. {@link
 * #close()} (the node stops) frees everything at once.
 */
public final class Region implements AutoCloseable {
    /** The most rows a stored chunk holds; larger writes are cut. */
    public static final int MAX_CHUNK_ROWS = 8192;
    /** A chunk at or below the safe point with no dropped row and at least this many rows is kept as it is. */
    private static final int MERGE_BELOW_ROWS = MAX_CHUNK_ROWS / 2;

    private final long id;
    private final HandleRange range;
    private final BufferAllocator allocator;
    private final Runnable onFreed;
    private volatile TableInfo table;
    private volatile Schema schema;
    private volatile RegionEpoch epoch;
    private volatile long rows;
    private volatile long bytes;

    // Guarded by this.
    private final List<Slot> slots = new ArrayList<>();
    /** Null while no handle was written twice or deleted: then every stored row is visible at every ts from its commit. */
    private VersionIndex index;
    private long lastHandle = Long.MIN_VALUE;
    private boolean anyRow;
    private long safePoint;
    private boolean dropped;
    private boolean closed;

    /** Held by a compaction from its plan to its swap, so that two never interleave. */
    private final Object compactionLock = new Object();

    // Guarded by memoryLock: the chunks created and not freed yet, and whether the allocator may close when none is left.
    private final Object memoryLock = new Object();
    private final Set<Chunk> unfreed = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean retiring;
    private boolean allocatorClosed;

    /** {@code onFreed} runs once the region's allocator is closed, after a drop or close. */
    Region(long id, TableInfo table, RegionEpoch epoch, HandleRange range, BufferAllocator parent, Runnable onFreed) {
        this.id = id;
        this.table = requireNonNull(table, "table is null");
        this.schema = Tables.arrowSchema(table.columns());
        this.epoch = requireNonNull(epoch, "epoch is null");
        this.range = requireNonNull(range, "range is null");
        this.onFreed = requireNonNull(onFreed, "onFreed is null");
        this.allocator = parent.newChildAllocator("region-" + id, 0, Long.MAX_VALUE);
    }

    Region(long id, TableInfo table, RegionEpoch epoch, HandleRange range, BufferAllocator parent) {
        this(id, table, epoch, range, parent, () -> {});
    }

    public long id() {
        return id;
    }

    public long tableId() {
        return table.id();
    }

    /** The table's current definition (columns may have been added since the region was created). */
    public TableInfo table() {
        return table;
    }

    public RegionEpoch epoch() {
        return epoch;
    }

    public HandleRange range() {
        return range;
    }

    public byte[] startKey() {
        return RecordKeys.startKey(table.id(), range);
    }

    public byte[] endKey() {
        return RecordKeys.endKey(table.id(), range);
    }

    /** Row versions and deletions stored, not the rows a snapshot sees. */
    public long storedRows() {
        return rows;
    }

    public long bytes() {
        return bytes;
    }

    /** The safe point of the last compaction (0 when never compacted): snapshots below it are refused. */
    public synchronized long safePoint() {
        return safePoint;
    }

    /** Whether the region keeps versions (an index of handles): false for data that was only ever appended with new handles. */
    public synchronized boolean isVersioned() {
        return index != null;
    }

    /** The chunks stored. */
    public synchronized int chunkCount() {
        return slots.size();
    }

    /** The chunks whose memory is not freed yet: the stored ones and those replaced or dropped that scans still read. */
    int unfreedChunks() {
        synchronized (memoryLock) {
            return unfreed.size();
        }
    }

    /**
     * Writes rows at {@code commitTs}: one handle per row, each inside the region's range, each
     * at most once (a transaction reduced to its final effect per handle). A row of a handle that
     * has versions replaces them from {@code commitTs} on. Takes ownership of {@code batch} and
     * {@code handles} (their memory moves to the region), whether it succeeds or not.
     *
     * @throws IllegalArgumentException naming the problem when the schema (the table's current
     *     columns), a handle, the counts or the commit ts (negative, {@link Long#MAX_VALUE}, or
     *     below the safe point) is wrong
     * @throws MppException UNKNOWN_TABLE when the table was dropped
     */
    public void append(VectorSchemaRoot batch, BigIntVector handles, long commitTs) {
        if (batch.getRowCount() > MAX_CHUNK_ROWS && batch.getRowCount() == handles.getValueCount()) {
            // Scans share whole buffers, and a shared buffer counts in full against a query's
            // memory: large batches are stored as chunks of their own memory.
            try {
                synchronized (this) {
                    checkWritable(commitTs);
                }
                for (int from = 0; from < batch.getRowCount(); from += MAX_CHUNK_ROWS) {
                    int count = Math.min(MAX_CHUNK_ROWS, batch.getRowCount() - from);
                    append(copy(batch, from, count), (BigIntVector) copy(handles, from, count), commitTs);
                }
            } finally {
                batch.close();
                handles.close();
            }
            return;
        }
        try {
            synchronized (this) {
                checkWritable(commitTs);
                checkAppend(batch, handles);
                long[] minMax = checkHandles(handles);
                boolean increasing = isStrictlyIncreasing(handles);
                store(newChunk(transfer(batch), (BigIntVector) transfer(handles), commitTs, minMax), increasing);
            }
        } finally {
            batch.close();
            handles.close();
        }
    }

    /**
     * Deletes handles at {@code commitTs} (each at most once). Takes ownership of {@code handles}.
     *
     * @throws IllegalArgumentException as {@link #append}
     * @throws MppException UNKNOWN_TABLE when the table was dropped
     */
    public void delete(BigIntVector handles, long commitTs) {
        try {
            synchronized (this) {
                checkWritable(commitTs);
                long[] minMax = checkHandles(handles);
                store(newChunk(null, (BigIntVector) transfer(handles), commitTs, minMax), false);
            }
        } finally {
            handles.close();
        }
    }

    /** Sets a new epoch (a split, a merge or a membership change elsewhere). */
    public void setEpoch(RegionEpoch newEpoch) {
        this.epoch = requireNonNull(newEpoch, "newEpoch is null");
    }

    /** The table's definition changed (a column was added): writes from now on carry its columns. */
    synchronized void setTable(TableInfo newTable) {
        this.table = requireNonNull(newTable, "newTable is null");
        this.schema = Tables.arrowSchema(newTable.columns());
    }

    /**
     * The rows visible at {@code startTs} whose handles lie in {@code ranges} (in the region's
     * range; an empty list means the whole region), as pieces of chunks in stored order,
     * holding a reference to their chunks: the caller closes the snapshot.
     *
     * @throws MppException SNAPSHOT_TOO_OLD when {@code startTs} is below the safe point,
     *     UNKNOWN_TABLE when the table was dropped
     */
    public Snapshot openSnapshot(long startTs, List<HandleRange> ranges) {
        // Long.MAX_VALUE marks a version nothing superseded; no commit is at it, so reading there means reading the newest.
        long readTs = Math.min(startTs, Long.MAX_VALUE - 1);
        List<HandleRange> wanted = ranges.isEmpty() || ranges.stream().anyMatch(r -> r.covers(range)) ? List.of() : List.copyOf(ranges);
        synchronized (this) {
            checkReadable(startTs);
            List<ScanPiece> pieces = new ArrayList<>();
            for (Slot slot : slots) {
                Chunk chunk = slot.chunk;
                if (chunk.isDelete() || chunk.commitTs() > readTs || chunk.size() == 0) {
                    continue;
                }
                boolean allAlive = slot.minKilledAt > readTs;
                boolean allWanted = wanted.isEmpty()
                        || wanted.stream().anyMatch(r -> r.contains(chunk.minHandle()) && r.contains(chunk.maxHandle()));
                if (allAlive && allWanted) {
                    pieces.add(ScanPiece.whole(chunk));
                    continue;
                }
                int[] selected = select(slot, readTs, allAlive, allWanted ? List.of() : wanted);
                int count = selected.length;
                if (count == 0) {
                    continue;
                }
                if (selected[count - 1] - selected[0] == count - 1) {
                    // One run of rows: still handed out without copying.
                    pieces.add(new ScanPiece(chunk, null, selected[0], selected[0] + count));
                } else {
                    pieces.add(ScanPiece.selected(chunk, selected));
                }
            }
            // Under the lock: no compaction can free a chunk between choosing and retaining it.
            return Snapshot.retaining(pieces);
        }
    }

    /**
     * The pieces of {@link #openSnapshot}, without holding their chunks: they are readable only
     * while the region still stores those chunks (no compaction, drop or close since). For a
     * single-threaded look at the data (tests, tools); scans use {@link #openSnapshot}.
     */
    public List<ScanPiece> snapshot(long startTs, List<HandleRange> ranges) {
        try (Snapshot snapshot = openSnapshot(startTs, ranges)) {
            return snapshot.pieces();
        }
    }

    private static int[] select(Slot slot, long startTs, boolean allAlive, List<HandleRange> wanted) {
        Chunk chunk = slot.chunk;
        long[] killedAt = allAlive ? null : slot.killedAt;
        BigIntVector handles = chunk.handles();
        int[] selected = new int[chunk.size()];
        int count = 0;
        for (int row = 0; row < chunk.size(); row++) {
            if (killedAt != null && killedAt[row] <= startTs) {
                continue;
            }
            if (!wanted.isEmpty()) {
                long handle = handles.get(row);
                boolean in = false;
                for (HandleRange r : wanted) {
                    if (r.contains(handle)) {
                        in = true;
                        break;
                    }
                }
                if (!in) {
                    continue;
                }
            }
            selected[count++] = row;
        }
        return Arrays.copyOf(selected, count);
    }

    /**
     * Compacts at {@code safePoint}: every snapshot at a start ts at or above it sees exactly
     * what it saw before. Drops the versions that ended at or below it and the delete chunks at
     * or below it, and merges the chunks at or below it that lost rows or are small into chunks
     * of up to {@link #MAX_CHUNK_ROWS} rows (each at the largest commit ts of its rows; all are
     * at or below the safe point, so visible at every allowed start ts). From then on snapshots
     * below the safe point and writes below it are refused. A safe point below the current one
     * changes nothing but compacts at the current one.
     *
     * <p>Runs concurrently with writes and scans: the rows are copied outside the region's lock,
     * and the new chunks replace the old ones under it, with the kills and index entries written
     * meanwhile carried over. Scans that hold old chunks keep reading them; their memory is freed
     * when the last of them closes. Compactions of one region run one at a time.
     *
     * @throws MppException UNKNOWN_TABLE when the table was dropped
     */
    public CompactionResult compact(long safePoint) {
        if (safePoint < 0) {
            throw new IllegalArgumentException("safe point is negative: " + safePoint);
        }
        synchronized (compactionLock) {
            CompactionPlan plan;
            synchronized (this) {
                checkOpen();
                this.safePoint = Math.max(this.safePoint, safePoint);
                plan = plan(this.safePoint);
            }
            List<Chunk> merged;
            try {
                merged = plan.copy();
            } catch (RuntimeException | Error e) {
                plan.release();
                throw e;
            }
            try {
                synchronized (this) {
                    if (dropped || closed) {
                        merged.forEach(Chunk::release);
                        return CompactionResult.NONE;
                    }
                    return swap(plan, merged);
                }
            } finally {
                plan.release();
            }
        }
    }

    /** What a compaction rewrites, chosen under the lock: per chunk position, whether it goes and where its rows move. */
    private CompactionPlan plan(long point) {
        CompactionPlan plan = new CompactionPlan(point, slots.size(), schema);
        int outputRows = 0;
        for (int position = 0; position < slots.size(); position++) {
            Slot slot = slots.get(position);
            Chunk chunk = slot.chunk;
            if (chunk.commitTs() > point) {
                continue;
            }
            if (chunk.isDelete() || chunk.size() == 0) {
                plan.drop[position] = true;
                continue;
            }
            if (slot.minKilledAt > point && chunk.size() >= MERGE_BELOW_ROWS) {
                continue;
            }
            long[] moved = new long[chunk.size()];
            for (int row = 0; row < chunk.size(); row++) {
                if (slot.killedAt(row) <= point) {
                    moved[row] = VersionIndex.ABSENT;
                } else {
                    moved[row] = VersionIndex.location(outputRows / MAX_CHUNK_ROWS, outputRows % MAX_CHUNK_ROWS);
                    outputRows++;
                }
            }
            plan.sources.add(new CompactionSource(position, slot, moved));
        }
        if (plan.sources.size() == 1 && outputRows == plan.sources.getFirst().slot.chunk.size()) {
            // One small chunk that loses nothing: copying it would gain nothing.
            plan.sources.clear();
            outputRows = 0;
        }
        for (CompactionSource source : plan.sources) {
            plan.drop[source.position] = true;
            if (!source.slot.chunk.tryRetain()) {
                throw new IllegalStateException("a stored chunk was freed: " + source.slot.chunk);
            }
            plan.retained.add(source.slot.chunk);
        }
        plan.outputRows = outputRows;
        return plan;
    }

    /** Puts the merged chunks in place of the plan's sources; carries over what changed since the plan. */
    private CompactionResult swap(CompactionPlan plan, List<Chunk> merged) {
        long rowsBefore = rows;
        long bytesBefore = bytes;
        int chunksBefore = slots.size();
        List<Slot> next = new ArrayList<>(slots.size());
        for (Chunk chunk : merged) {
            next.add(new Slot(chunk));
        }
        CompactionSource[] sourceAt = new CompactionSource[slots.size()];
        for (CompactionSource source : plan.sources) {
            sourceAt[source.position] = source;
            long[] killedAt = source.slot.killedAt;
            if (killedAt == null) {
                continue;
            }
            // Kills written since the plan (at or above the safe point) move with their rows.
            for (int row = 0; row < killedAt.length; row++) {
                long to = source.moved[row];
                if (to != VersionIndex.ABSENT && killedAt[row] != Long.MAX_VALUE) {
                    next.get(VersionIndex.chunkOf(to)).kill(VersionIndex.rowOf(to), killedAt[row]);
                }
            }
        }
        int[] newPosition = new int[slots.size()];
        for (int position = 0; position < slots.size(); position++) {
            // Chunks written during the copy come after the planned ones and are all kept.
            if (position < plan.drop.length && plan.drop[position]) {
                newPosition[position] = -1;
            } else {
                newPosition[position] = next.size();
                next.add(slots.get(position));
            }
        }
        if (next.stream().noneMatch(slot -> slot.killedAt != null || slot.chunk.isDelete())) {
            // Every handle has one version left: back to the path without an index.
            index = null;
        } else if (index != null) {
            VersionIndex remapped = new VersionIndex(index.size());
            index.forEach((handle, location) -> {
                int position = VersionIndex.chunkOf(location);
                long to;
                if (newPosition[position] >= 0) {
                    to = VersionIndex.location(newPosition[position], VersionIndex.rowOf(location));
                } else if (sourceAt[position] != null) {
                    to = sourceAt[position].moved[VersionIndex.rowOf(location)];
                } else {
                    // A deletion at or below the safe point that nothing followed: every older
                    // version ended at or before it and is gone too.
                    to = VersionIndex.ABSENT;
                }
                if (to != VersionIndex.ABSENT) {
                    remapped.put(handle, to);
                }
            });
            index = remapped;
        }
        for (int position = 0; position < newPosition.length; position++) {
            if (newPosition[position] < 0) {
                slots.get(position).chunk.release();
            }
        }
        slots.clear();
        slots.addAll(next);
        recount();
        lastHandle = Long.MIN_VALUE;
        anyRow = false;
        for (Slot slot : slots) {
            if (slot.chunk.size() > 0) {
                anyRow = true;
                lastHandle = Math.max(lastHandle, slot.chunk.maxHandle());
            }
        }
        return new CompactionResult(rowsBefore, rows, chunksBefore, slots.size(), bytesBefore - bytes);
    }

    private void recount() {
        long rowCount = 0;
        long byteCount = 0;
        for (Slot slot : slots) {
            rowCount += slot.chunk.size();
            byteCount += slot.chunk.bytes();
        }
        rows = rowCount;
        bytes = byteCount;
    }

    /** Adds a chunk and its versions. */
    private void store(Chunk chunk, boolean handlesIncreasing) {
        boolean newHandles = handlesIncreasing && (!anyRow || chunk.size() == 0 || chunk.minHandle() > lastHandle);
        if (index == null && (chunk.isDelete() || !newHandles)) {
            index = buildIndex(chunk.size());
        }
        int position = slots.size();
        Slot slot = new Slot(chunk);
        slots.add(slot);
        rows += chunk.size();
        bytes += chunk.bytes();
        if (chunk.size() > 0 && !chunk.isDelete()) {
            anyRow = true;
            lastHandle = Math.max(lastHandle, chunk.maxHandle());
        }
        if (index != null) {
            addVersions(slot, position);
        }
    }

    /** The index of a region that had none: every stored handle is distinct and alive. */
    private VersionIndex buildIndex(int more) {
        VersionIndex built = new VersionIndex((int) Math.min(1 << 30, rows + more));
        for (int position = 0; position < slots.size(); position++) {
            BigIntVector handles = slots.get(position).chunk.handles();
            for (int row = 0; row < handles.getValueCount(); row++) {
                built.put(handles.get(row), VersionIndex.location(position, row));
            }
        }
        return built;
    }

    /** Makes the new chunk's rows the newest versions of their handles, or places them in their chains when they came late. */
    private void addVersions(Slot slot, int position) {
        Chunk chunk = slot.chunk;
        long commitTs = chunk.commitTs();
        BigIntVector handles = chunk.handles();
        VersionIndex late = null;
        for (int row = 0; row < chunk.size(); row++) {
            long handle = handles.get(row);
            long newest = index.get(handle);
            if (newest == VersionIndex.ABSENT) {
                index.put(handle, VersionIndex.location(position, row));
                continue;
            }
            Slot holder = slots.get(VersionIndex.chunkOf(newest));
            if (commitTs >= holder.chunk.commitTs()) {
                holder.kill(VersionIndex.rowOf(newest), commitTs);
                index.put(handle, VersionIndex.location(position, row));
            } else {
                if (late == null) {
                    late = new VersionIndex(16);
                }
                late.put(handle, row);
            }
        }
        if (late != null) {
            placeLateVersions(slot, position, late);
        }
    }

    /**
     * Versions older than the newest of their handles: every version at or below their commit
     * ts ends at it (for equal ts the later write wins), and each ends at the oldest version
     * above it. One pass over the region's handles.
     */
    private void placeLateVersions(Slot slot, int position, VersionIndex late) {
        long commitTs = slot.chunk.commitTs();
        long[] endsAt = new long[slot.chunk.size()];
        Arrays.fill(endsAt, Long.MAX_VALUE);
        for (int other = 0; other < slots.size(); other++) {
            if (other == position) {
                continue;
            }
            Slot holder = slots.get(other);
            Chunk chunk = holder.chunk;
            BigIntVector handles = chunk.handles();
            for (int row = 0; row < chunk.size(); row++) {
                long lateRow = late.get(handles.get(row));
                if (lateRow == VersionIndex.ABSENT) {
                    continue;
                }
                if (chunk.commitTs() <= commitTs) {
                    holder.kill(row, commitTs);
                } else {
                    endsAt[(int) lateRow] = Math.min(endsAt[(int) lateRow], chunk.commitTs());
                }
            }
        }
        late.forEach((handle, row) -> slot.kill((int) row, endsAt[(int) row]));
    }

    private Chunk newChunk(VectorSchemaRoot data, BigIntVector handles, long commitTs, long[] minMax) {
        Chunk chunk = new Chunk(data, handles, commitTs, minMax[0], minMax[1], this::chunkFreed);
        synchronized (memoryLock) {
            unfreed.add(chunk);
        }
        return chunk;
    }

    private void chunkFreed(Chunk chunk) {
        boolean nowFreed;
        synchronized (memoryLock) {
            unfreed.remove(chunk);
            nowFreed = closeAllocatorIfDone();
        }
        if (nowFreed) {
            onFreed.run();
        }
    }

    /** Closes the allocator once the region is dropped or closed and its last chunk is freed; true when it did. Under memoryLock. */
    private boolean closeAllocatorIfDone() {
        if (!retiring || allocatorClosed || !unfreed.isEmpty()) {
            return false;
        }
        allocatorClosed = true;
        allocator.close();
        return true;
    }

    /**
     * The table was dropped: gives back the region's reference to every chunk and refuses reads
     * and writes from now on. Scans still open keep their chunks; the last one to close frees
     * the memory, then the allocator closes. Idempotent.
     */
    void drop() {
        synchronized (this) {
            if (dropped || closed) {
                return;
            }
            dropped = true;
            slots.forEach(slot -> slot.chunk.release());
            slots.clear();
            index = null;
            rows = 0;
            bytes = 0;
        }
        boolean nowFreed;
        synchronized (memoryLock) {
            retiring = true;
            nowFreed = closeAllocatorIfDone();
        }
        if (nowFreed) {
            onFreed.run();
        }
    }

    private void checkWritable(long commitTs) {
        checkOpen();
        if (commitTs < 0 || commitTs == Long.MAX_VALUE) {
            throw new IllegalArgumentException("commit ts is out of range: " + commitTs);
        }
        if (commitTs < safePoint) {
            throw new IllegalArgumentException("commit ts " + commitTs + " is below the safe point " + safePoint + " of " + this
                    + ": versions before it were compacted away");
        }
    }

    private void checkReadable(long startTs) {
        checkOpen();
        if (startTs < safePoint) {
            throw new MppException(ErrorCode.SNAPSHOT_TOO_OLD, "table '" + table.name() + "' cannot be read at start_ts " + startTs
                    + ": region " + id + " was compacted at safe point " + safePoint + " and versions before it were compacted away");
        }
    }

    private void checkOpen() {
        if (dropped) {
            throw new MppException(ErrorCode.UNKNOWN_TABLE, "table '" + table.name() + "' (id " + table.id() + ") was dropped");
        }
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void checkAppend(VectorSchemaRoot batch, BigIntVector handles) {
        if (!batch.getSchema().getFields().equals(schema.getFields())) {
            List<String> want = schema.getFields().stream().map(Object::toString).toList();
            List<String> got = batch.getSchema().getFields().stream().map(Object::toString).toList();
            throw new IllegalArgumentException("rows for table '" + table.name() + "' have columns " + got + "; the table has " + want);
        }
        if (batch.getRowCount() != handles.getValueCount()) {
            throw new IllegalArgumentException(batch.getRowCount() + " rows came with " + handles.getValueCount() + " handles");
        }
    }

    private long[] checkHandles(BigIntVector handles) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int row = 0; row < handles.getValueCount(); row++) {
            if (handles.isNull(row)) {
                throw new IllegalArgumentException("row " + row + " has a null handle");
            }
            long handle = handles.get(row);
            if (!range.contains(handle)) {
                throw new IllegalArgumentException("handle " + handle + " is outside region " + id + " of table '"
                        + table.name() + "', which holds handles " + range);
            }
            min = Math.min(min, handle);
            max = Math.max(max, handle);
        }
        return new long[] {min, max};
    }

    private static boolean isStrictlyIncreasing(BigIntVector handles) {
        for (int row = 1; row < handles.getValueCount(); row++) {
            if (handles.get(row) <= handles.get(row - 1)) {
                return false;
            }
        }
        return true;
    }

    private VectorSchemaRoot copy(VectorSchemaRoot batch, int from, int count) {
        List<FieldVector> vectors = new ArrayList<>();
        try {
            for (FieldVector vector : batch.getFieldVectors()) {
                vectors.add(copy(vector, from, count));
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, count);
    }

    private FieldVector copy(FieldVector vector, int from, int count) {
        FieldVector target = vector.getField().createVector(allocator);
        try {
            target.setInitialCapacity(count);
            target.allocateNew();
            for (int row = 0; row < count; row++) {
                target.copyFromSafe(from + row, row, vector);
            }
            target.setValueCount(count);
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        return target;
    }

    private VectorSchemaRoot transfer(VectorSchemaRoot batch) {
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector vector : batch.getFieldVectors()) {
            vectors.add(transfer(vector));
        }
        return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
    }

    private FieldVector transfer(FieldVector vector) {
        var pair = vector.getTransferPair(allocator);
        pair.transfer();
        return (FieldVector) pair.getTo();
    }

    /**
     * Frees the region's memory at once, whoever still reads it: the node has stopped its tasks.
     * Waits for a compaction in progress. Idempotent.
     */
    @Override
    public void close() {
        synchronized (compactionLock) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                slots.clear();
                index = null;
            }
            List<Chunk> all;
            synchronized (memoryLock) {
                retiring = true;
                all = new ArrayList<>(unfreed);
            }
            all.forEach(Chunk::forceFree);
            boolean nowFreed;
            synchronized (memoryLock) {
                nowFreed = closeAllocatorIfDone();
            }
            if (nowFreed) {
                onFreed.run();
            }
        }
    }

    @Override
    public String toString() {
        return "region " + id + " of table '" + table.name() + "' " + range + " " + epoch;
    }

    /** A stored chunk and the commit ts at which each of its rows was superseded. Guarded by the region's lock. */
    private static final class Slot {
        final Chunk chunk;
        /** Per row, the commit ts of the version that superseded it ({@link Long#MAX_VALUE}: none); null until the first. */
        long[] killedAt;
        long minKilledAt = Long.MAX_VALUE;

        Slot(Chunk chunk) {
            this.chunk = chunk;
        }

        long killedAt(int row) {
            return killedAt == null ? Long.MAX_VALUE : killedAt[row];
        }

        /** The row was superseded at {@code commitTs}; an earlier end stays. */
        void kill(int row, long commitTs) {
            if (killedAt == null) {
                if (commitTs == Long.MAX_VALUE) {
                    return;
                }
                killedAt = new long[chunk.size()];
                Arrays.fill(killedAt, Long.MAX_VALUE);
            }
            if (commitTs < killedAt[row]) {
                killedAt[row] = commitTs;
                minKilledAt = Math.min(minKilledAt, commitTs);
            }
        }
    }

    /** A chunk a compaction rewrites: its position in the plan, and per row where it moves ({@link VersionIndex#location} in the merged chunks) or ABSENT when dropped. */
    private record CompactionSource(int position, Slot slot, long[] moved) {}

    /** The chunks a compaction drops or rewrites, and the copy of their surviving rows (done outside the region's lock). */
    private final class CompactionPlan {
        final long safePoint;
        final boolean[] drop;
        final Schema schema;
        final List<CompactionSource> sources = new ArrayList<>();
        /** The compaction's own reference to each source chunk, so that a drop during the copy cannot free it. */
        final List<Chunk> retained = new ArrayList<>();
        int outputRows;

        CompactionPlan(long safePoint, int chunks, Schema schema) {
            this.safePoint = safePoint;
            this.drop = new boolean[chunks];
            this.schema = schema;
        }

        /**
         * The merged chunks, in the region's allocator, each holding the region's reference: the
         * surviving rows of the sources in order, as {@link #plan} numbered them.
         */
        List<Chunk> copy() {
            List<Chunk> merged = new ArrayList<>();
            MergedChunk current = null;
            try {
                int written = 0;
                for (CompactionSource source : sources) {
                    Chunk chunk = source.slot.chunk;
                    for (int row = 0; row < source.moved.length; row++) {
                        if (source.moved[row] == VersionIndex.ABSENT) {
                            continue;
                        }
                        if (current == null) {
                            current = new MergedChunk(schema, Math.min(MAX_CHUNK_ROWS, outputRows - written));
                        }
                        current.add(chunk, row);
                        written++;
                        if (current.isFull()) {
                            merged.add(current.finish());
                            current = null;
                        }
                    }
                }
            } catch (RuntimeException | Error e) {
                if (current != null) {
                    current.close();
                }
                merged.forEach(Chunk::release);
                throw e;
            }
            return merged;
        }

        void release() {
            retained.forEach(Chunk::release);
            retained.clear();
        }
    }

    /** The rows of one merged chunk as a compaction copies them. */
    private final class MergedChunk implements AutoCloseable {
        private final VectorSchemaRoot data;
        private final BigIntVector handles;
        private final int capacity;
        private int count;
        private long commitTs;
        private long min = Long.MAX_VALUE;
        private long max = Long.MIN_VALUE;

        MergedChunk(Schema schema, int capacity) {
            this.capacity = capacity;
            this.data = VectorSchemaRoot.create(schema, allocator);
            this.handles = new BigIntVector("_handle", allocator);
            try {
                for (FieldVector vector : data.getFieldVectors()) {
                    vector.setInitialCapacity(capacity);
                    vector.allocateNew();
                }
                handles.allocateNew(capacity);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /** Copies a row; columns the chunk does not hold (added after it was written) stay NULL. */
        void add(Chunk chunk, int row) {
            VectorSchemaRoot rows = chunk.rows();
            for (int column = 0; column < chunk.columnCount(); column++) {
                data.getVector(column).copyFromSafe(row, count, rows.getVector(column));
            }
            long handle = chunk.handles().get(row);
            handles.set(count, handle);
            min = Math.min(min, handle);
            max = Math.max(max, handle);
            commitTs = Math.max(commitTs, chunk.commitTs());
            count++;
        }

        boolean isFull() {
            return count == capacity;
        }

        Chunk finish() {
            for (FieldVector vector : data.getFieldVectors()) {
                vector.setValueCount(count);
            }
            data.setRowCount(count);
            handles.setValueCount(count);
            return newChunk(data, handles, commitTs, new long[] {min, max});
        }

        @Override
        public void close() {
            data.close();
            handles.close();
        }
    }
}
