package io.mppnode.server.binlog;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.CreateTable;
import io.mppnode.proto.binlog.DdlChange;
import io.mppnode.proto.binlog.RegionSpec;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.RowChange;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.proto.plan.Field;
import io.mppnode.server.binlog.log.LogPosition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The columnar replica's side of the binlog: checks entities before they are written, and
 * applies them in log order (DESIGN section 8).
 *
 * <ul>
 *   <li>A PREWRITE waits, in memory, for the COMMIT or ROLLBACK with the same start ts.
 *   <li>A COMMIT writes the prewrite's changes as row versions at its commit ts, all of them
 *       or none ({@link CommitWrites}); a ROLLBACK drops them. A ROLLBACK with commit ts equal
 *       to its start ts and no prewrite is a heartbeat.
 *   <li>A DDL creates a table (with the regions this node holds), adds a column, or drops a
 *       table. Only tables created through the binlog take binlog changes.
 *   <li>The resolved ts: everything committed at or below it has been applied. It is the
 *       newest commit ts seen, held below the oldest waiting prewrite (whose commit ts will be
 *       above its start ts), and never goes back. A commit at or below it is refused: a reader
 *       may already have read that snapshot without it.
 * </ul>
 *
 * <p>{@link #check} judges an entity against what is applied; the caller writes it to the log
 * and then calls {@link #apply} in log order. Thread-safe: both take the replica's lock.
 */
public final class BinlogReplica implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogReplica.class);

    private record Prewrite(BinlogEvent event, LogPosition position) {}

    private record Waiter(long ts, CompletableFuture<Void> future) {}

    /**
     * What a checkpoint writes: the tables and the snapshot of each region at the resolved ts
     * (the caller closes them), and where a replay must start to rebuild the rest.
     */
    public record Capture(long resolvedTs, long newestCommitTs, LogPosition replayFrom, List<Table> tables,
            java.util.Map<Long, io.mppnode.exec.storage.Snapshot> regionSnapshots, Optional<SourcePosition> source) implements AutoCloseable {
        @Override
        public void close() {
            regionSnapshots.values().forEach(io.mppnode.exec.storage.Snapshot::close);
        }
    }

    private final Catalog catalog;
    private final BufferAllocator allocator;
    private final Set<Long> tables = ConcurrentHashMap.newKeySet();
    private final TreeMap<Long, Prewrite> pending = new TreeMap<>();
    /** Prewrite positions of commits applied above the resolved ts: a checkpoint's replay must cover them. */
    private final TreeMap<Long, LogPosition> committedAboveResolved = new TreeMap<>();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.ts, b.ts));
    private long newestCommitTs;
    private volatile long resolvedTs;
    private volatile LogPosition applied;
    /** The upstream position of the newest applied entity that carried one (replication from MySQL/MariaDB). */
    private volatile SourcePosition source;
    private final AtomicLong entitiesApplied = new AtomicLong();
    private final Counter appliedCounter;
    private final Counter skippedCounter;

    public BinlogReplica(Catalog catalog, BufferAllocator parent, MeterRegistry meters) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.allocator = parent.newChildAllocator("binlog-apply", 0, Long.MAX_VALUE);
        this.appliedCounter = Counter.builder("mpp.binlog.entities.applied").description("binlog entities applied to the replica").register(meters);
        this.skippedCounter = Counter.builder("mpp.binlog.changes.skipped")
                .description("committed table changes skipped because the table was dropped after the prewrite").register(meters);
        Gauge.builder("mpp.binlog.resolved.ts", this, BinlogReplica::resolvedTs)
                .description("everything committed at or below this ts is applied").register(meters);
        Gauge.builder("mpp.binlog.apply.lag.ms", this, BinlogReplica::lagMillis)
                .description("newest commit ts applied minus the resolved ts, in milliseconds (prewrites waiting for their commit)")
                .register(meters);
        Gauge.builder("mpp.binlog.prewrites.waiting", this, replica -> replica.waitingPrewrites())
                .description("prewrites waiting for their commit or rollback").register(meters);
    }

    /** Everything committed at or below this ts is applied. */
    public long resolvedTs() {
        return resolvedTs;
    }

    /** The position of the last entity applied, if any. */
    public Optional<LogPosition> appliedPosition() {
        return Optional.ofNullable(applied);
    }

    /**
     * Where the upstream MySQL/MariaDB binlog stands after everything applied here: the source
     * position of the newest applied entity that carried one.
     */
    public Optional<SourcePosition> sourcePosition() {
        return Optional.ofNullable(source);
    }

    /** The start ts of the prewrites waiting for their commit or rollback. */
    public synchronized List<Long> waitingPrewriteStartTs() {
        return List.copyOf(pending.keySet());
    }

    /** The binlog-fed tables with the regions this node holds, as CREATE TABLE carries them. */
    public List<CreateTable> replicatedTables() {
        List<CreateTable> result = new ArrayList<>();
        for (Table table : catalog.tables()) {
            if (tables.contains(table.id())) {
                result.add(BinlogEvents.tableSpec(table.info(),
                        table.regions().stream().map(region -> BinlogEvents.region(region.id(), region.range())).toList()));
            }
        }
        return result;
    }

    public long entitiesApplied() {
        return entitiesApplied.get();
    }

    public synchronized int waitingPrewrites() {
        return pending.size();
    }

    /** The start ts of waiting prewrites and their positions (the log must keep them). */
    public synchronized Optional<LogPosition> oldestWaitingPrewrite() {
        return pending.values().stream().map(Prewrite::position).min(LogPosition::compareTo);
    }

    /** Whether the table was created through the binlog (its reads wait for the resolved ts). */
    public boolean isReplicated(long tableId) {
        return tables.contains(tableId);
    }

    /** Completes once the resolved ts is at or above {@code ts}; never fails. */
    public CompletableFuture<Void> awaitResolved(long ts) {
        synchronized (this) {
            if (resolvedTs >= ts) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> future = new CompletableFuture<>();
            waiters.add(new Waiter(ts, future));
            return future;
        }
    }

    private double lagMillis() {
        long newest;
        synchronized (this) {
            newest = newestCommitTs;
        }
        return Math.max(0, Tso.physicalMillis(newest) - Tso.physicalMillis(resolvedTs));
    }

    // ----- checks before writing -----

    /** @throws BinlogRefusal saying why the entity cannot be taken */
    public synchronized void check(BinlogEvent event) {
        if (event.getStartTs() <= 0) {
            throw new BinlogRefusal(event.getType() + " has start_ts " + event.getStartTs() + "; it must be positive");
        }
        if (event.getType() != io.mppnode.proto.binlog.EventType.PREWRITE && event.getMutationsCount() > 0) {
            throw new BinlogRefusal(event.getType() + " carries mutations; only a PREWRITE does");
        }
        if (event.getType() != io.mppnode.proto.binlog.EventType.DDL && event.hasDdl()) {
            throw new BinlogRefusal(event.getType() + " carries a ddl; only a DDL does");
        }
        switch (event.getType()) {
            case PREWRITE -> checkPrewrite(event);
            case COMMIT -> {
                if (!pending.containsKey(event.getStartTs())) {
                    throw new BinlogRefusal("COMMIT for start_ts " + event.getStartTs() + ", but no prewrite with that start_ts is waiting"
                            + " (it was never written, or was already committed or rolled back)");
                }
                if (event.getCommitTs() <= event.getStartTs()) {
                    throw new BinlogRefusal("COMMIT of start_ts " + event.getStartTs() + " has commit_ts " + event.getCommitTs()
                            + "; it must be above the start_ts");
                }
                checkAboveResolved("COMMIT", event.getCommitTs());
            }
            case ROLLBACK -> {
                boolean heartbeat = !pending.containsKey(event.getStartTs()) && event.getCommitTs() == event.getStartTs();
                if (!heartbeat && !pending.containsKey(event.getStartTs())) {
                    throw new BinlogRefusal("ROLLBACK for start_ts " + event.getStartTs() + ", but no prewrite with that start_ts is waiting"
                            + " (a heartbeat has commit_ts equal to start_ts)");
                }
                if (!heartbeat && event.getCommitTs() != 0 && event.getCommitTs() != event.getStartTs()) {
                    throw new BinlogRefusal("ROLLBACK of start_ts " + event.getStartTs() + " has commit_ts " + event.getCommitTs()
                            + "; a rollback has commit_ts 0 (or equal to start_ts)");
                }
            }
            case DDL -> checkDdl(event);
            case UNRECOGNIZED -> throw new BinlogRefusal("unknown binlog event type " + event.getTypeValue());
        }
    }

    private void checkAboveResolved(String what, long commitTs) {
        if (commitTs <= resolvedTs) {
            throw new BinlogRefusal(what + " at commit_ts " + commitTs + " is at or below the replica's resolved ts " + resolvedTs
                    + ": snapshots up to it may already have been read without it");
        }
    }

    private void checkPrewrite(BinlogEvent event) {
        if (event.getCommitTs() != 0) {
            throw new BinlogRefusal("PREWRITE of start_ts " + event.getStartTs() + " has commit_ts " + event.getCommitTs()
                    + "; the commit ts comes with the COMMIT");
        }
        if (pending.containsKey(event.getStartTs())) {
            throw new BinlogRefusal("a PREWRITE with start_ts " + event.getStartTs() + " is already waiting for its commit");
        }
        for (int m = 0; m < event.getMutationsCount(); m++) {
            TableMutation mutation = event.getMutations(m);
            Table table = replicatedTable(mutation.getTableId(), "PREWRITE of start_ts " + event.getStartTs());
            List<Region> regions = table.regions();
            TableInfo info = table.info();
            for (int c = 0; c < mutation.getChangesCount(); c++) {
                RowChange change = mutation.getChanges(c);
                int index = c;
                // Built only when a row is refused: this runs for every change written.
                java.util.function.Function<String, String> where = side -> "PREWRITE of start_ts " + event.getStartTs()
                        + ", table '" + info.name() + "', change " + index + side;
                switch (change.getChangeCase()) {
                    case INSERT -> checkRow(where, " (insert)", info, regions, change.getInsert(), true);
                    case UPDATE -> {
                        checkRow(where, " (update, old row)", info, regions, change.getUpdate().getOldRow(), false);
                        checkRow(where, " (update, new row)", info, regions, change.getUpdate().getNewRow(), true);
                    }
                    case DELETE -> checkRow(where, " (delete)", info, regions, change.getDelete(), false);
                    case CHANGE_NOT_SET -> throw new BinlogRefusal(where.apply("") + " is neither an insert, an update nor a delete");
                }
            }
        }
    }

    private Table replicatedTable(long tableId, String where) {
        if (!tables.contains(tableId)) {
            if (catalog.tables().stream().noneMatch(table -> table.id() == tableId)) {
                throw new BinlogRefusal(where + ": unknown table id " + tableId);
            }
            throw new BinlogRefusal(where + ": table id " + tableId + " was not created through the binlog; tables loaded"
                    + " directly take no binlog changes");
        }
        return catalog.table(tableId);
    }

    private static void checkRow(java.util.function.Function<String, String> whereOf, String side, TableInfo info, List<Region> regions,
            Row row, boolean valuesRequired) {
        if (CommitWrites.regionOf(regions, row.getHandle()) == null) {
            throw new BinlogRefusal(whereOf.apply(side) + ": handle " + row.getHandle() + " is in no region of this node (it holds "
                    + regions.stream().map(region -> region.id() + " " + region.range()).toList() + ")");
        }
        if (row.getValuesCount() == 0 && !valuesRequired) {
            return;
        }
        if (row.getValuesCount() != info.columns().size()) {
            throw new BinlogRefusal(whereOf.apply(side) + ": the row of handle " + row.getHandle() + " has " + row.getValuesCount()
                    + " values; the table has " + info.columns().size() + " columns");
        }
        for (int column = 0; column < row.getValuesCount(); column++) {
            String problem = RowValues.problem(info.columns().get(column), row.getValues(column));
            if (problem != null) {
                throw new BinlogRefusal(whereOf.apply(side) + ", handle " + row.getHandle() + ": " + problem);
            }
        }
    }

    private void checkDdl(BinlogEvent event) {
        if (!event.hasDdl()) {
            throw new BinlogRefusal("DDL of start_ts " + event.getStartTs() + " has no ddl");
        }
        checkAboveResolved("DDL", event.getCommitTs());
        DdlChange ddl = event.getDdl();
        String where = "DDL at commit_ts " + event.getCommitTs();
        switch (ddl.getChangeCase()) {
            case CREATE_TABLE -> {
                CreateTable create = ddl.getCreateTable();
                TableInfo info = tableInfo(create, where);
                if (catalog.tables().stream().anyMatch(table -> table.id() == info.id())) {
                    throw new BinlogRefusal(where + ": create table '" + info.name() + "': table id " + info.id() + " exists");
                }
                if (catalog.table(info.name()).isPresent()) {
                    throw new BinlogRefusal(where + ": create table: a table named '" + info.name() + "' exists");
                }
                List<HandleRange> ranges = new ArrayList<>();
                Set<Long> ids = new HashSet<>();
                for (RegionSpec spec : create.getRegionsList()) {
                    HandleRange range = range(spec, where);
                    if (catalog.region(spec.getRegionId()).isPresent() || !ids.add(spec.getRegionId())) {
                        throw new BinlogRefusal(where + ": create table '" + info.name() + "': region id " + spec.getRegionId() + " is taken");
                    }
                    for (HandleRange other : ranges) {
                        if (other.overlaps(range)) {
                            throw new BinlogRefusal(where + ": create table '" + info.name() + "': region " + spec.getRegionId() + " "
                                    + range + " overlaps " + other);
                        }
                    }
                    ranges.add(range);
                }
            }
            case ADD_COLUMN -> {
                Table table = replicatedTable(ddl.getAddColumn().getTableId(), where + ", add column");
                ColumnSchema column = column(ddl.getAddColumn().getColumn(), where + ", add column to '" + table.name() + "'");
                if (table.column(column.name()).isPresent()) {
                    throw new BinlogRefusal(where + ": table '" + table.name() + "' already has a column '" + column.name() + "'");
                }
            }
            case DROP_TABLE -> replicatedTable(ddl.getDropTable().getTableId(), where + ", drop table");
            case CHANGE_NOT_SET -> throw new BinlogRefusal(where + ": the ddl names no change (create_table, add_column, drop_table)");
        }
    }

    static TableInfo tableInfo(CreateTable create, String where) {
        List<ColumnSchema> columns = new ArrayList<>();
        for (Field field : create.getColumnsList()) {
            columns.add(column(field, where + ", create table '" + create.getName() + "'"));
        }
        try {
            return new TableInfo(create.getTableId(), create.getName(), columns);
        } catch (IllegalArgumentException e) {
            throw new BinlogRefusal(where + ": create table: " + e.getMessage());
        }
    }

    private static ColumnSchema column(Field field, String where) {
        try {
            ColumnTypes.check(field.getType(), "column '" + field.getName() + "'");
            return new ColumnSchema(field.getName(), field.getType());
        } catch (RuntimeException e) {
            throw new BinlogRefusal(where + ": " + e.getMessage());
        }
    }

    static HandleRange range(RegionSpec spec, String where) {
        long start = spec.getUnboundedStart() ? Long.MIN_VALUE : spec.getStartHandle();
        long end = spec.getUnboundedEnd() ? Long.MAX_VALUE : spec.getEndHandle();
        if (spec.getRegionId() == 0) {
            throw new BinlogRefusal(where + ": a region has id 0");
        }
        if (start > end || (!spec.getUnboundedEnd() && end == Long.MAX_VALUE)) {
            throw new BinlogRefusal(where + ": region " + spec.getRegionId() + " has handles [" + spec.getStartHandle() + ", "
                    + spec.getEndHandle() + "), which is not a range");
        }
        return new HandleRange(start, end);
    }

    // ----- applying, in log order -----

    /**
     * Applies an entity that {@link #check} accepted and that is now in the log at
     * {@code position}. Also used to replay the log at start, where an entity whose prewrite or
     * table is gone is skipped with a warning rather than failing the node.
     */
    public void apply(BinlogEvent event, LogPosition position) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            switch (event.getType()) {
                case PREWRITE -> pending.put(event.getStartTs(), new Prewrite(event, position));
                case COMMIT -> {
                    Prewrite prewrite = pending.remove(event.getStartTs());
                    if (prewrite == null) {
                        log.warn("binlog entity at {}: COMMIT of start_ts {} has no waiting prewrite; skipped", position, event.getStartTs());
                    } else {
                        writeCommit(prewrite.event(), event.getCommitTs(), position);
                        committedAboveResolved.merge(event.getCommitTs(), prewrite.position(),
                                (a, b) -> a.compareTo(b) <= 0 ? a : b);
                    }
                    newestCommitTs = Math.max(newestCommitTs, event.getCommitTs());
                }
                case ROLLBACK -> {
                    if (pending.remove(event.getStartTs()) == null) {
                        newestCommitTs = Math.max(newestCommitTs, event.getCommitTs());
                    }
                }
                case DDL -> {
                    applyDdl(event, position);
                    newestCommitTs = Math.max(newestCommitTs, event.getCommitTs());
                }
                case UNRECOGNIZED -> log.warn("binlog entity at {} has unknown type {}; skipped", position, event.getTypeValue());
            }
            long candidate = pending.isEmpty() ? newestCommitTs : Math.min(newestCommitTs, pending.firstKey() - 1);
            if (candidate > resolvedTs) {
                resolvedTs = candidate;
                committedAboveResolved.headMap(candidate, true).clear();
                while (!waiters.isEmpty() && waiters.peek().ts <= candidate) {
                    ready.add(waiters.poll().future);
                }
            }
            applied = position;
            if (event.hasSource() && event.getType() != io.mppnode.proto.binlog.EventType.PREWRITE) {
                source = event.getSource();
            }
        }
        entitiesApplied.incrementAndGet();
        appliedCounter.increment();
        ready.forEach(future -> future.complete(null));
    }

    private void writeCommit(BinlogEvent prewrite, long commitTs, LogPosition position) {
        try (CommitWrites writes = CommitWrites.prepare(prewrite.getMutationsList(),
                id -> tables.contains(id) ? catalog.table(id) : null, allocator)) {
            if (!writes.skippedTables().isEmpty()) {
                skippedCounter.increment(writes.skippedTables().size());
                log.warn("binlog entity at {}: COMMIT of start_ts {} changes tables {} that were dropped after its prewrite; their changes"
                        + " are skipped", position, prewrite.getStartTs(), writes.skippedTables());
            }
            writes.apply(commitTs);
        } catch (RuntimeException e) {
            log.error("binlog entity at {}: COMMIT of start_ts {} could not be applied, nothing of it was: {}", position,
                    prewrite.getStartTs(), e.getMessage(), e);
            throw new MppException(ErrorCode.INTERNAL_ERROR, "the commit of start_ts " + prewrite.getStartTs()
                    + " is in the binlog but could not be applied: " + e.getMessage());
        }
    }

    private void applyDdl(BinlogEvent event, LogPosition position) {
        DdlChange ddl = event.getDdl();
        try {
            switch (ddl.getChangeCase()) {
                case CREATE_TABLE -> {
                    CreateTable create = ddl.getCreateTable();
                    TableInfo info = tableInfo(create, "DDL");
                    catalog.createTable(info);
                    tables.add(info.id());
                    if (create.getRegionsCount() == 0) {
                        catalog.addRegion(info.id(), catalog.nextFreeRegionId(), RegionEpoch.INITIAL, HandleRange.ALL);
                    }
                    for (RegionSpec spec : create.getRegionsList()) {
                        catalog.addRegion(info.id(), spec.getRegionId(), RegionEpoch.INITIAL, range(spec, "DDL"));
                    }
                }
                case ADD_COLUMN -> catalog.addColumn(ddl.getAddColumn().getTableId(), column(ddl.getAddColumn().getColumn(), "DDL"));
                case DROP_TABLE -> {
                    tables.remove(ddl.getDropTable().getTableId());
                    catalog.dropTable(ddl.getDropTable().getTableId());
                }
                case CHANGE_NOT_SET -> { }
            }
        } catch (RuntimeException e) {
            log.warn("binlog entity at {}: DDL '{}' could not be applied: {}", position, ddl.getQuery(), e.getMessage());
        }
    }

    /**
     * Captures the replica for a checkpoint, consistently with the applied log: the snapshot of
     * every binlog-fed region at the resolved ts, and the position from which a replay rebuilds
     * everything else (the oldest waiting prewrite, the prewrite of any commit above the
     * resolved ts, or the last entity applied; replaying an applied entity again is harmless).
     */
    public synchronized Optional<Capture> capture() {
        if (applied == null) {
            return Optional.empty();
        }
        LogPosition replayFrom = applied;
        for (Prewrite prewrite : pending.values()) {
            replayFrom = prewrite.position().compareTo(replayFrom) < 0 ? prewrite.position() : replayFrom;
        }
        for (LogPosition position : committedAboveResolved.values()) {
            replayFrom = position.compareTo(replayFrom) < 0 ? position : replayFrom;
        }
        List<Table> captured = new ArrayList<>();
        java.util.Map<Long, io.mppnode.exec.storage.Snapshot> snapshots = new java.util.HashMap<>();
        try {
            for (Table table : catalog.tables()) {
                if (tables.contains(table.id())) {
                    captured.add(table);
                    for (Region region : table.regions()) {
                        snapshots.put(region.id(), region.openSnapshot(resolvedTs, List.of()));
                    }
                }
            }
        } catch (RuntimeException e) {
            snapshots.values().forEach(io.mppnode.exec.storage.Snapshot::close);
            throw e;
        }
        return Optional.of(new Capture(resolvedTs, newestCommitTs, replayFrom, captured, snapshots, Optional.ofNullable(source)));
    }

    /** Sets the state a checkpoint restored (before the replay of the log after it). */
    public synchronized void restored(Set<Long> tableIds, long resolved, long newestCommit, Optional<SourcePosition> sourcePosition) {
        tables.addAll(tableIds);
        source = sourcePosition.orElse(null);
        resolvedTs = resolved;
        newestCommitTs = newestCommit;
    }

    @Override
    public synchronized void close() {
        pending.clear();
        waiters.forEach(waiter -> waiter.future.complete(null));
        waiters.clear();
        allocator.close();
    }
}
