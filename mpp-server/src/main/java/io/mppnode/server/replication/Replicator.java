package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.GtidSet;
import com.github.shyiko.mysql.binlog.MariadbGtidSet;
import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.GtidEventData;
import com.github.shyiko.mysql.binlog.event.MariadbGtidEventData;
import com.github.shyiko.mysql.binlog.event.QueryEventData;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.network.AuthenticationException;
import com.github.shyiko.mysql.binlog.network.ServerException;
import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.CreateTable;
import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.RowChange;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.binlog.TableMutation;
import io.mppnode.proto.binlog.Update;
import io.mppnode.proto.replication.FilePosition;
import io.mppnode.proto.replication.ReplicaStateResponse;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.proto.replication.StartPoint;
import io.mppnode.server.binlog.BinlogEvents;
import io.mppnode.server.binlog.Tso;
import io.mppnode.server.replication.SourceStatement.TableName;
import java.io.IOException;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication from one MySQL/MariaDB server into the nodes holding the replicated tables. One
 * thread ("replication") does everything in upstream order:
 *
 * <ol>
 *   <li>Connect: check the source (credentials, {@code log_bin}, {@code binlog_format=ROW},
 *       {@code binlog_row_image=FULL}), and ask every node for the source position it holds.
 *   <li>Start point: a held position always wins (the smallest held by any node; a node skips
 *       what it already holds, and prewrites left waiting by a crash are rolled back). Else the
 *       spec's start point: the initial snapshot, "now", a file and position, or a GTID set.
 *   <li>Stream: the source's events (a bounded queue between the socket and this thread gives
 *       backpressure) are put together into transactions up to their XID (or COMMIT); each
 *       becomes one PREWRITE per node holding rows of it and one COMMIT with one commit ts, the
 *       COMMIT carrying the source position after it. DDL becomes DDL entities; other DDL on a
 *       replicated table stops replication naming the statement.
 *   <li>When idle, a heartbeat (with the position) to every node moves their resolved ts on, so
 *       that reads at a new start ts do not wait.
 *   <li>A lost source: reconnect with backoff from the applied position. A mistake that a retry
 *       cannot mend: state FAILED, with a message saying what to do.
 * </ol>
 */
public final class Replicator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long IDLE_HEARTBEAT_MILLIS = 250;
    private static final long FIRST_TABLE_ID = 1L << 32;
    private static final Event END = new Event(null, null);

    private final ReplicationSpec spec;
    private final List<ReplicaTarget> targets;
    private final RegionLayout layout;
    private final Tso tso = new Tso();
    private final TableFilter filter;
    private final String server;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile SourceClient client;
    private final Object wakeUp = new Object();

    // ----- status (read by other threads) -----
    private volatile ReplicationState state = ReplicationState.CONNECTING;
    private volatile String lastError = "";
    private volatile SourcePosition applied = SourcePosition.getDefaultInstance();
    private volatile FilePosition sourceEnd = FilePosition.getDefaultInstance();
    private final AtomicLong eventsReceived = new AtomicLong();
    private final AtomicLong transactionsApplied = new AtomicLong();
    private final AtomicLong rowsApplied = new AtomicLong();
    private final AtomicLong heartbeatsReceived = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private volatile long lagBytes;
    private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(8192);
    private volatile Transaction open;
    private final CompletableFuture<ReplicationState> finished = new CompletableFuture<>();

    // ----- stream state (the replication thread only) -----
    private final Map<String, TableMapping> mappings = new LinkedHashMap<>();
    private final Map<Long, TableMapEventData> tableMaps = new HashMap<>();
    /** What each target holds; a transaction at or before it is not sent to that target again. */
    private final Map<ReplicaTarget, SourcePosition> held = new HashMap<>();
    private String file = "";
    private GtidSet gtids;
    private boolean mariaDb;
    private Connection schema;
    private long lastWriteMillis;
    private long lastEndCheckMillis;

    Replicator(ReplicationSpec spec, List<ReplicaTarget> targets) {
        this.spec = requireNonNull(spec, "spec is null");
        this.targets = List.copyOf(targets);
        this.layout = new RegionLayout(targets.size(), spec.getRegionsPerNode() == 0 ? 2 : spec.getRegionsPerNode());
        this.filter = new TableFilter(spec.getTablesList());
        this.server = spec.getHost() + ":" + spec.getPort();
        this.thread = Thread.ofPlatform().name("replication-" + server).daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Completes with the final state (CAUGHT_UP, FAILED or STOPPED) when the thread ends. */
    CompletableFuture<ReplicationState> finished() {
        return finished;
    }

    ReplicationSpec spec() {
        return spec;
    }

    ReplicationStatus status() {
        Transaction transaction = open;
        Event oldest = queue.peek();
        long oldestMillis = transaction != null ? transaction.firstEventMillis : oldest != null && oldest != END
                && oldest.getHeader() != null ? oldest.getHeader().getTimestamp() : 0;
        long lagEvents = queue.size() + (transaction == null ? 0 : transaction.events);
        double lagSeconds = lagEvents == 0 || oldestMillis <= 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldestMillis) / 1000.0;
        return ReplicationStatus.newBuilder()
                .setState(state)
                .setSource(server)
                .setApplied(applied)
                .setSourceEnd(sourceEnd)
                .setLagEvents(lagEvents)
                .setLagBytes(lagBytes)
                .setLagSeconds(lagSeconds)
                .setEventsReceived(eventsReceived.get())
                .setTransactionsApplied(transactionsApplied.get())
                .setRowsApplied(rowsApplied.get())
                .setHeartbeatsReceived(heartbeatsReceived.get())
                .setReconnects(reconnects.get())
                .setLastError(lastError)
                .setSpec(spec.toBuilder().clearPassword())
                .addAllNodes(targets.stream().map(ReplicaTarget::address).toList())
                .build();
    }

    @Override
    public void close() {
        stopping = true;
        disconnect();
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        targets.forEach(ReplicaTarget::close);
    }

    // ----- the replication thread -----

    private void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        long maxBackoff = spec.getMaxBackoffMillis() == 0 ? 30_000 : spec.getMaxBackoffMillis();
        try {
            while (!stopping) {
                try {
                    state = ReplicationState.CONNECTING;
                    boolean progressed = session();
                    if (spec.getNonBlocking()) {
                        state = ReplicationState.CAUGHT_UP;
                        log.info("replication from {} caught up at {}", server, SourcePositions.describe(applied));
                        return;
                    }
                    if (progressed) {
                        backoff = FIRST_BACKOFF_MILLIS;
                    }
                    throw new ReplicationException("the source closed the binlog stream", true);
                } catch (ReplicationException e) {
                    if (stopping) {
                        return;
                    }
                    lastError = e.getMessage();
                    if (!e.retryable()) {
                        state = ReplicationState.FAILED;
                        log.error("replication from {} stopped: {}", server, e.getMessage(), e.getCause());
                        return;
                    }
                    state = ReplicationState.RETRYING;
                    reconnects.incrementAndGet();
                    log.warn("replication from {}: {}; retrying in {} ms", server, e.getMessage(), backoff);
                    pause(backoff);
                    backoff = Math.min(maxBackoff, backoff * 2);
                }
            }
        } catch (RuntimeException | Error e) {
            state = ReplicationState.FAILED;
            lastError = "internal error: " + e;
            log.error("replication from {} failed", server, e);
        } finally {
            closeSchemaConnection();
            if (stopping && state != ReplicationState.FAILED && state != ReplicationState.CAUGHT_UP) {
                state = ReplicationState.STOPPED;
            }
            finished.complete(state);
        }
    }

    private void pause(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (wakeUp) {
            long left;
            while (!stopping && (left = deadline - System.currentTimeMillis()) > 0) {
                try {
                    wakeUp.wait(left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One connection to the source, up to its end; returns whether anything was applied. */
    private boolean session() {
        closeSchemaConnection();
        schema = SourceChecks.connect(spec);
        mariaDb = SourceChecks.check(schema, spec);
        long before = transactionsApplied.get();
        Optional<SourcePosition> resume = prepareTargets();
        SourcePosition from;
        if (resume.isPresent()) {
            from = resume.get();
            loadMappings();
        } else {
            from = initialPosition();
        }
        // The state first: a status must not show the start position (caught up) with the state before it (snapshot).
        state = ReplicationState.STREAMING;
        applied = from;
        stream(from);
        return transactionsApplied.get() > before;
    }

    /**
     * Asks every target what it holds, rolls back prewrites a crash left waiting, and returns
     * the smallest position held (empty: no target holds one, replication starts afresh).
     */
    private Optional<SourcePosition> prepareTargets() {
        held.clear();
        Optional<SourcePosition> smallest = Optional.empty();
        int without = 0;
        for (ReplicaTarget target : targets) {
            ReplicaStateResponse state = targetState(target);
            for (long startTs : state.getWaitingPrewritesList()) {
                log.info("replication: rolling back the prewrite of start_ts {} left waiting on {}", startTs, target.address());
                await(List.of(target.write(BinlogEvents.rollback(startTs))), "roll back a waiting prewrite");
            }
            if (state.hasSource()) {
                held.put(target, state.getSource());
                if (smallest.isEmpty() || SourcePositions.ORDER.compare(state.getSource(), smallest.get()) < 0) {
                    smallest = Optional.of(state.getSource());
                }
            } else {
                without++;
            }
        }
        if (smallest.isPresent() && without > 0) {
            throw ReplicationException.fatal(without + " of the " + targets.size() + " nodes hold no replication position while the others"
                    + " do; nodes cannot join a running replication: replicate into a fresh set of nodes");
        }
        return smallest;
    }

    private ReplicaStateResponse targetState(ReplicaTarget target) {
        try {
            return target.state();
        } catch (RuntimeException e) {
            throw new ReplicationException("node " + target.address() + " does not answer: " + e.getMessage(), true, e);
        }
    }

    /** Rebuilds the table mappings from the tables the nodes hold (resume). */
    private void loadMappings() {
        mappings.clear();
        ReplicaStateResponse first = targetState(targets.getFirst());
        for (CreateTable table : first.getTablesList()) {
            TableName name = TableFilter.parse(table.getName());
            if (name == null || !filter.selects(name)) {
                continue;
            }
            Optional<SourceTable> upstream = loadSchema(name);
            if (upstream.isEmpty()) {
                throw ReplicationException.fatal("replicated table " + name.qualified() + " no longer exists on the source, but the"
                        + " binlog from " + SourcePositions.describe(applied) + " may still change it; start afresh with a snapshot"
                        + " (new nodes or a new data dir)");
            }
            TableMapping mapping = mapping(upstream.get(), table.getTableId());
            if (mapping.nodeTable().columns().size() < table.getColumnsCount()) {
                throw ReplicationException.fatal("replicated table " + name.qualified() + " has fewer columns on the source ("
                        + mapping.nodeTable().columns().size() + ") than on the nodes (" + table.getColumnsCount() + "): a column was"
                        + " dropped; start afresh with a snapshot");
            }
            for (int c = 0; c < table.getColumnsCount(); c++) {
                if (!mapping.nodeTable().columns().get(c).type().equals(table.getColumns(c).getType())) {
                    throw ReplicationException.fatal("replicated table " + name.qualified() + " column '" + table.getColumns(c).getName()
                            + "' has another type on the source now than on the nodes: start afresh with a snapshot");
                }
            }
            mappings.put(name.qualified(), mapping(firstColumns(upstream.get(), table.getColumnsCount()), table.getTableId()));
        }
    }

    /**
     * The table with its first {@code count} columns: the columns the nodes hold. Columns the
     * source added later come with their ADD COLUMN further on in the binlog.
     */
    private static SourceTable firstColumns(SourceTable table, int count) {
        return new SourceTable(table.database(), table.name(), table.columns().subList(0, count), table.primaryKey());
    }

    private TableMapping mapping(SourceTable table, long tableId) {
        try {
            return TableMapping.of(table, tableId, table.database() + "." + table.name());
        } catch (UnsupportedColumnException | IllegalArgumentException e) {
            throw ReplicationException.fatal(e.getMessage());
        }
    }

    private Optional<SourceTable> loadSchema(TableName name) {
        try {
            return SourceSchemas.load(schema, name.database(), name.table());
        } catch (SQLException e) {
            throw SourceChecks.failure("reading the schema of " + name.qualified(), e);
        }
    }

    private long tableIdFor(TableName name) {
        Long configured = spec.getTableIdsMap().get(name.qualified());
        if (configured != null) {
            return configured;
        }
        long next = FIRST_TABLE_ID;
        for (TableMapping mapping : mappings.values()) {
            next = Math.max(next, mapping.nodeTable().id() + 1);
        }
        return next;
    }

    /** No position held: drop leftovers of an interrupted start, then start as the spec says. */
    private SourcePosition initialPosition() {
        mappings.clear();
        for (ReplicaTarget target : targets) {
            for (CreateTable leftover : targetState(target).getTablesList()) {
                TableName name = TableFilter.parse(leftover.getName());
                if (name != null && filter.selects(name)) {
                    log.info("replication: dropping {} on {}, left by a start that did not finish", leftover.getName(), target.address());
                    await(List.of(target.write(BinlogEvents.dropTable(leftover.getTableId(), tso.next()))), "drop a leftover table");
                }
            }
        }
        StartPoint start = spec.getStart();
        SourcePosition position;
        switch (start.getPointCase()) {
            case SNAPSHOT, POINT_NOT_SET -> {
                state = ReplicationState.SNAPSHOT;
                position = new SourceSnapshot(schema, mariaDb, server).copy(this::selectedTables, this::createTable, this::writeRows);
            }
            case NOW -> {
                position = SourceChecks.endOfBinlog(schema, mariaDb, server);
                selectedTables().forEach(this::createTable);
            }
            case FILE -> {
                String startFile = start.getFile().getFile().isEmpty() ? SourceChecks.oldestBinlog(schema) : start.getFile().getFile();
                long offset = Math.max(4, start.getFile().getPosition());
                position = SourcePosition.newBuilder().setServer(server).setFile(startFile).setPosition(offset)
                        .setGtidSet(mariaDb ? SourceChecks.gtidAt(schema, startFile, offset) : "").build();
                selectedTables().forEach(this::createTable);
            }
            case GTID_SET -> {
                position = SourcePosition.newBuilder().setServer(server).setGtidSet(start.getGtidSet()).build();
                selectedTables().forEach(this::createTable);
            }
            default -> throw new IllegalStateException("unknown start point " + start.getPointCase());
        }
        heartbeat(position); // every node holds the start position: a restart resumes there
        log.info("replication from {}: tables {} start at {}", server, mappings.keySet(), SourcePositions.describe(position));
        return position;
    }

    /**
     * The source's tables that the spec selects, with their schema (as they are now); each is
     * checked to map to a node table before any is created, so that a table replication cannot
     * take stops it before the others are half copied.
     */
    private List<SourceTable> selectedTables() {
        List<SourceTable> result = new ArrayList<>();
        try {
            for (TableName name : filter.expand(db -> SourceSchemas.tables(schema, db))) {
                loadSchema(name).ifPresent(result::add);
            }
        } catch (SQLException e) {
            throw SourceChecks.failure("listing the tables to replicate", e);
        }
        result.forEach(table -> mapping(table, FIRST_TABLE_ID));
        return result;
    }

    /** Creates the node table of {@code table} on every target; returns its mapping. */
    private TableMapping createTable(SourceTable table) {
        TableName name = new TableName(table.database(), table.name());
        TableMapping mapping = mapping(table, tableIdFor(name));
        long commitTs = tso.next();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            BinlogEvent create = BinlogEvents.createTable(mapping.nodeTable(), layout.regionsOf(mapping.nodeTable().id(), i), commitTs);
            writes.add(targets.get(i).write(create));
        }
        await(writes, "create table " + name.qualified());
        mappings.put(name.qualified(), mapping);
        return mapping;
    }

    /** Writes snapshot rows of one table as one transaction. */
    private void writeRows(TableMapping mapping, List<Row> rows) {
        Transaction transaction = new Transaction(0);
        for (Row row : rows) {
            transaction.add(mapping, RowChange.newBuilder().setInsert(row).build());
        }
        commit(transaction, null);
    }

    // ----- streaming -----

    private void stream(SourcePosition from) {
        state = ReplicationState.STREAMING;
        file = from.getFile();
        gtids = from.getGtidSet().isEmpty() ? (mariaDb ? new MariadbGtidSet("") : new GtidSet(""))
                : mariaDb ? new MariadbGtidSet(from.getGtidSet()) : new GtidSet(from.getGtidSet());
        tableMaps.clear();
        queue.clear();
        open = null;
        AtomicReference<Exception> failure = new AtomicReference<>();
        // Set when this thread stops taking events: the reader must not wait for room in the queue then.
        AtomicBoolean ended = new AtomicBoolean();
        SourceClient source = new SourceClient(spec.getHost(), spec.getPort(), spec.getUser(), spec.getPassword(), spec.getNonBlocking());
        source.setServerId(Integer.toUnsignedLong(spec.getServerId())); // uint32 in the spec
        source.setKeepAlive(false);
        source.setEventDeserializer(BinlogValues.deserializer());
        source.setConnectTimeout(10_000);
        if (spec.getHeartbeatMillis() > 0) {
            source.setHeartbeatInterval(spec.getHeartbeatMillis());
        }
        if (from.getFile().isEmpty()) {
            source.setGtidSet(from.getGtidSet());
        } else {
            source.setBinlogFilename(from.getFile());
            source.setBinlogPosition(from.getPosition());
        }
        source.registerEventListener(event -> {
            try {
                // The reader holds the client's connect lock while it waits here, and disconnect() waits for
                // that lock: once nobody takes events any more, drop them (the next session reads them again
                // from the applied position) instead of waiting for room forever.
                while (!queue.offer(event, 100, TimeUnit.MILLISECONDS)) {
                    if (stopping || ended.get()) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        source.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
            @Override
            public void onCommunicationFailure(BinaryLogClient c, Exception e) {
                failure.compareAndSet(null, e);
            }

            @Override
            public void onEventDeserializationFailure(BinaryLogClient c, Exception e) {
                // the library would skip the event: that would lose rows, so the stream stops here
                failure.compareAndSet(null, e);
                try {
                    c.disconnect();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        });
        client = source;
        Thread reader = Thread.ofPlatform().name("replication-source-" + server).daemon().start(() -> {
            try {
                source.connect();
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            } finally {
                if (failure.get() != null) {
                    queue.clear(); // a reconnect reads them again from the applied position
                }
                try {
                    while (!queue.offer(END, 100, TimeUnit.MILLISECONDS)) {
                        if (stopping || ended.get()) {
                            queue.clear();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            lastWriteMillis = System.currentTimeMillis();
            while (!stopping) {
                Event event = queue.poll(IDLE_HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
                if (event == END) {
                    break;
                }
                if (event == null) {
                    idle();
                    continue;
                }
                eventsReceived.incrementAndGet();
                try {
                    handle(event);
                } catch (UnsupportedColumnException | IllegalArgumentException e) {
                    throw ReplicationException.fatal(e.getMessage() + " (at " + file + ":" + ((EventHeaderV4) event.getHeader()).getPosition() + ")");
                }
                idle();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ended.set(true);
            disconnect();
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            client = null;
            open = null;
        }
        if (stopping) {
            return;
        }
        Exception error = failure.get();
        if (error != null) {
            throw SourceChecks.streamFailure(error, from, spec);
        }
        if (spec.getNonBlocking()) {
            heartbeat(applied);
        }
    }

    private void disconnect() {
        SourceClient current = client;
        if (current != null) {
            try {
                current.disconnect();
            } catch (IOException e) {
                log.debug("disconnect: {}", e.getMessage());
            }
        }
    }

    private void idle() {
        long now = System.currentTimeMillis();
        if (now - lastWriteMillis >= IDLE_HEARTBEAT_MILLIS && open == null) {
            heartbeat(applied);
        }
        if (now - lastEndCheckMillis >= 1000) {
            lastEndCheckMillis = now;
            refreshSourceEnd();
        }
    }

    private void refreshSourceEnd() {
        try {
            SourcePosition end = SourceChecks.endOfBinlog(schema, mariaDb, server);
            sourceEnd = FilePosition.newBuilder().setFile(end.getFile()).setPosition(end.getPosition()).build();
            lagBytes = SourceChecks.bytesBetween(schema, applied, end);
        } catch (ReplicationException e) {
            log.debug("replication: source end unknown: {}", e.getMessage());
        }
    }

    private void handle(Event event) {
        EventHeaderV4 header = event.getHeader();
        EventType type = header.getEventType();
        Transaction transaction = open;
        if (transaction != null) {
            transaction.events++;
        }
        switch (type) {
            case ROTATE -> {
                RotateEventData rotate = event.getData();
                file = rotate.getBinlogFilename();
            }
            case HEARTBEAT -> {
                if (!spec.getSkipHeartbeats()) {
                    heartbeatsReceived.incrementAndGet();
                }
            }
            case MARIADB_GTID -> {
                MariadbGtidEventData gtid = event.getData();
                Transaction next = new Transaction(header.getTimestamp());
                next.gtid = gtid.getDomainId() + "-" + header.getServerId() + "-" + gtid.getSequence();
                next.standalone = (gtid.getFlags() & MariadbGtidEventData.FL_STANDALONE) != 0;
                open = next;
            }
            case GTID -> {
                GtidEventData gtid = event.getData();
                Transaction next = new Transaction(header.getTimestamp());
                next.gtid = gtid.getMySqlGtid().toString();
                open = next;
            }
            case QUERY -> query(event.getData(), header);
            case TABLE_MAP -> {
                TableMapEventData map = event.getData();
                tableMaps.put(map.getTableId(), map);
                TableMapping mapping = mappings.get(map.getDatabase() + "." + map.getTable());
                if (mapping != null) {
                    String problem = mapping.tableMapProblem(map);
                    if (problem != null) {
                        throw ReplicationException.fatal(problem + "; start afresh with a snapshot");
                    }
                }
            }
            case WRITE_ROWS, EXT_WRITE_ROWS -> {
                WriteRowsEventData rows = event.getData();
                TableMapping mapping = rowsMapping(rows.getTableId(), header);
                if (mapping != null) {
                    for (Serializable[] row : rows.getRows()) {
                        current(header).add(mapping, RowChange.newBuilder().setInsert(mapping.row(row, rows.getIncludedColumns())).build());
                    }
                }
            }
            case UPDATE_ROWS, EXT_UPDATE_ROWS -> {
                UpdateRowsEventData rows = event.getData();
                TableMapping mapping = rowsMapping(rows.getTableId(), header);
                if (mapping != null) {
                    for (Map.Entry<Serializable[], Serializable[]> row : rows.getRows()) {
                        Row before = mapping.row(row.getKey(), rows.getIncludedColumnsBeforeUpdate());
                        Row after = mapping.row(row.getValue(), rows.getIncludedColumns());
                        current(header).add(mapping, RowChange.newBuilder()
                                .setUpdate(Update.newBuilder().setOldRow(Row.newBuilder().setHandle(before.getHandle())).setNewRow(after))
                                .build());
                    }
                }
            }
            case DELETE_ROWS, EXT_DELETE_ROWS -> {
                DeleteRowsEventData rows = event.getData();
                TableMapping mapping = rowsMapping(rows.getTableId(), header);
                if (mapping != null) {
                    for (Serializable[] row : rows.getRows()) {
                        long handle = mapping.row(row, rows.getIncludedColumns()).getHandle();
                        current(header).add(mapping, RowChange.newBuilder().setDelete(Row.newBuilder().setHandle(handle)).build());
                    }
                }
            }
            case XID -> finish(header);
            case XA_PREPARE -> throw ReplicationException.fatal("the source's binlog has an XA PREPARE at " + file + ":" + header.getPosition()
                    + "; XA transactions are not replicated: commit them on the source without XA, or leave their tables out");
            case TRANSACTION_PAYLOAD -> throw ReplicationException.fatal("the source writes compressed transactions"
                    + " (binlog_transaction_compression=ON); turn it off for replication");
            // Events between transactions (MariaDB writes a BINLOG_CHECKPOINT after commits, a file starts with its
            // FORMAT_DESCRIPTION and GTID list): the position moves past them, so that a caught-up replica stands at
            // the end of the source's binlog. Artificial events sent at the start of a dump have no next position.
            case BINLOG_CHECKPOINT, FORMAT_DESCRIPTION, MARIADB_GTID_LIST, PREVIOUS_GTIDS, STOP -> {
                if (open == null && header.getNextPosition() > 0) {
                    advance(header, null);
                }
            }
            default -> { }
        }
    }

    private Transaction current(EventHeaderV4 header) {
        Transaction transaction = open;
        if (transaction == null) {
            transaction = new Transaction(header.getTimestamp());
            transaction.events = 1;
            open = transaction;
        }
        return transaction;
    }

    private TableMapping rowsMapping(long tableId, EventHeaderV4 header) {
        TableMapEventData map = tableMaps.get(tableId);
        if (map == null) {
            throw ReplicationException.fatal("a rows event at " + file + ":" + header.getPosition() + " names table map " + tableId
                    + ", which no TABLE_MAP event defined; the stream was cut: start again from a transaction boundary");
        }
        TableName name = new TableName(map.getDatabase(), map.getTable());
        TableMapping mapping = mappings.get(name.qualified());
        if (mapping == null && filter.selects(name)) {
            throw ReplicationException.fatal("rows of replicated table " + name.qualified() + " at " + file + ":" + header.getPosition()
                    + ", a table this replica never created (its CREATE TABLE is before the start point); start with a snapshot");
        }
        return mapping;
    }

    private void query(QueryEventData query, EventHeaderV4 header) {
        SourceStatement statement = SourceStatement.of(query.getSql(), query.getDatabase());
        switch (statement) {
            case SourceStatement.Control control -> {
                switch (control.keyword()) {
                    case "BEGIN" -> current(header);
                    case "COMMIT" -> finish(header);
                    case "ROLLBACK" -> {
                        open = null; // a non-transactional table's rollback: nothing was applied
                    }
                    default -> { }
                }
            }
            case SourceStatement.CreateTable create -> {
                if (filter.selects(create.table())) {
                    if (mappings.containsKey(create.table().qualified())) {
                        if (create.orReplace()) {
                            throw unsupported(query.getSql(), header);
                        }
                    } else {
                        loadSchema(create.table()).ifPresent(this::createTable);
                    }
                }
                ddlDone(header);
            }
            case SourceStatement.AddColumns add -> {
                TableMapping mapping = mappings.get(add.table().qualified());
                if (mapping != null) {
                    addColumns(mapping, add, query.getSql(), header);
                }
                ddlDone(header);
            }
            case SourceStatement.DropTables drop -> {
                for (TableName name : drop.tables()) {
                    TableMapping mapping = mappings.remove(name.qualified());
                    if (mapping != null) {
                        long commitTs = tso.next();
                        await(targets.stream().map(t -> t.write(BinlogEvents.dropTable(mapping.nodeTable().id(), commitTs))).toList(),
                                "drop table " + name.qualified());
                    }
                }
                ddlDone(header);
            }
            case SourceStatement.DropDatabase drop -> {
                if (mappings.keySet().stream().anyMatch(name -> name.startsWith(drop.database() + "."))) {
                    throw unsupported(query.getSql(), header);
                }
                ddlDone(header);
            }
            case SourceStatement.Unsupported other -> {
                if (other.tables().stream().anyMatch(filter::selects)) {
                    if (other.rows()) {
                        throw ReplicationException.fatal("the source logged a statement, not rows, for replicated table "
                                + other.tables().stream().filter(filter::selects).findFirst().orElseThrow().qualified() + " at " + file + ":" + header.getPosition() + ": '"
                                + abbreviate(query.getSql()) + "'; its session ran with binlog_format other than ROW: set binlog_format=ROW"
                                + " globally (and for every writing session), then start afresh with a snapshot");
                    }
                    throw unsupported(query.getSql(), header);
                }
                if (!other.rows()) {
                    ddlDone(header);
                }
            }
            case SourceStatement.Ignored ignored -> {
                if (open == null || open.standalone) {
                    ddlDone(header);
                }
            }
        }
    }

    private ReplicationException unsupported(String sql, EventHeaderV4 header) {
        return ReplicationException.fatal("the source ran DDL that replication does not apply, at " + file + ":" + header.getPosition()
                + ": '" + abbreviate(sql) + "'; only CREATE TABLE, ALTER TABLE ... ADD COLUMN (at the end) and DROP TABLE are replicated."
                + " Replication stopped before it; what is applied is consistent up to " + SourcePositions.describe(applied)
                + ". Start afresh with a snapshot (new nodes or a new data dir) to take the new schema");
    }

    private static String abbreviate(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
    }

    private void addColumns(TableMapping mapping, SourceStatement.AddColumns add, String sql, EventHeaderV4 header) {
        SourceTable upstream = loadSchema(add.table()).orElseThrow(() -> ReplicationException.fatal("table " + add.table().qualified()
                + " was altered but no longer exists on the source; start afresh with a snapshot"));
        TableMapping now = mapping(upstream, mapping.nodeTable().id());
        int have = mapping.nodeTable().columns().size();
        for (String column : add.columns()) {
            int index = -1;
            for (int c = 0; c < now.nodeTable().columns().size(); c++) {
                if (now.nodeTable().columns().get(c).name().equalsIgnoreCase(column)) {
                    index = c;
                }
            }
            if (index < 0) {
                throw ReplicationException.fatal("column '" + column + "' added by '" + abbreviate(sql) + "' is not on the source's "
                        + add.table().qualified() + " any more; start afresh with a snapshot");
            }
            if (index < have) {
                continue; // the table was created after this ALTER ran: it has the column already
            }
            if (index != have) {
                throw unsupported(sql, header);
            }
            long commitTs = tso.next();
            io.mppnode.exec.storage.ColumnSchema added = now.nodeTable().columns().get(index);
            await(targets.stream().map(t -> t.write(BinlogEvents.addColumn(mapping.nodeTable().id(), added, commitTs))).toList(),
                    "add column " + column + " to " + add.table().qualified());
            have++;
        }
        mappings.put(add.table().qualified(), mapping(firstColumns(upstream, have), mapping.nodeTable().id()));
    }

    /** A DDL (or another statement outside transactions) ended: its position is applied. */
    private void ddlDone(EventHeaderV4 header) {
        Transaction transaction = open;
        if (transaction != null && !transaction.standalone && !transaction.changes.isEmpty()) {
            return; // inside a transaction with rows: the XID ends it
        }
        open = null;
        advance(header, transaction);
        heartbeat(applied);
    }

    /** The transaction ends (XID or COMMIT): one commit on every node holding its rows. */
    private void finish(EventHeaderV4 header) {
        Transaction transaction = open;
        open = null;
        if (transaction == null) {
            advance(header, null);
            return;
        }
        SourcePosition after = nextPosition(header, transaction);
        commit(transaction, after);
        applied = after;
    }

    private void advance(EventHeaderV4 header, Transaction transaction) {
        applied = nextPosition(header, transaction);
    }

    private SourcePosition nextPosition(EventHeaderV4 header, Transaction transaction) {
        if (transaction != null && transaction.gtid != null) {
            gtids.add(transaction.gtid);
        }
        return SourcePosition.newBuilder()
                .setServer(server)
                .setFile(file)
                .setPosition(header.getNextPosition() > 0 ? header.getNextPosition() : applied.getPosition())
                .setGtidSet(gtids == null ? "" : gtids.toString())
                .setEventMillis(header.getTimestamp())
                .build();
    }

    /**
     * Writes a transaction: PREWRITE to each node holding rows of it (that does not hold the
     * position already), then COMMIT with one commit ts and the position after it.
     */
    private void commit(Transaction transaction, SourcePosition after) {
        if (transaction.changes.isEmpty()) {
            return;
        }
        Map<Integer, Map<Long, TableMutation.Builder>> byTarget = new LinkedHashMap<>();
        long rows = 0;
        for (Change change : transaction.changes) {
            rows++;
            route(change, byTarget);
        }
        long startTs = tso.next();
        List<Integer> writing = new ArrayList<>();
        List<CompletableFuture<Void>> prewrites = new ArrayList<>();
        for (Map.Entry<Integer, Map<Long, TableMutation.Builder>> entry : byTarget.entrySet()) {
            ReplicaTarget target = targets.get(entry.getKey());
            if (after != null && held.containsKey(target) && SourcePositions.covered(after, held.get(target))) {
                continue; // this node applied the transaction before a restart
            }
            writing.add(entry.getKey());
            prewrites.add(target.write(BinlogEvents.prewrite(startTs,
                    entry.getValue().values().stream().map(TableMutation.Builder::build).toList())));
        }
        if (writing.isEmpty()) {
            return;
        }
        await(prewrites, "prewrite");
        long commitTs = tso.next();
        BinlogEvent commit = BinlogEvents.commit(startTs, commitTs);
        if (after != null) {
            commit = commit.toBuilder().setSource(after).build();
        }
        BinlogEvent toSend = commit;
        await(writing.stream().map(index -> targets.get(index).write(toSend)).toList(), "commit");
        lastWriteMillis = System.currentTimeMillis();
        transactionsApplied.incrementAndGet();
        rowsApplied.addAndGet(rows);
    }

    private void route(Change change, Map<Integer, Map<Long, TableMutation.Builder>> byTarget) {
        long tableId = change.mapping.nodeTable().id();
        RowChange row = change.row;
        switch (row.getChangeCase()) {
            case INSERT -> mutation(byTarget, layout.nodeOf(row.getInsert().getHandle()), tableId).addChanges(row);
            case DELETE -> mutation(byTarget, layout.nodeOf(row.getDelete().getHandle()), tableId).addChanges(row);
            case UPDATE -> {
                int from = layout.nodeOf(row.getUpdate().getOldRow().getHandle());
                int to = layout.nodeOf(row.getUpdate().getNewRow().getHandle());
                if (from == to) {
                    mutation(byTarget, to, tableId).addChanges(row);
                } else { // the key moved to another node: delete there, insert here
                    mutation(byTarget, from, tableId).addChanges(RowChange.newBuilder().setDelete(row.getUpdate().getOldRow()));
                    mutation(byTarget, to, tableId).addChanges(RowChange.newBuilder().setInsert(row.getUpdate().getNewRow()));
                }
            }
            case CHANGE_NOT_SET -> throw new IllegalStateException("empty row change");
        }
    }

    private static TableMutation.Builder mutation(Map<Integer, Map<Long, TableMutation.Builder>> byTarget, int target, long tableId) {
        return byTarget.computeIfAbsent(target, t -> new LinkedHashMap<>())
                .computeIfAbsent(tableId, id -> TableMutation.newBuilder().setTableId(id));
    }

    /**
     * A heartbeat to every node: their resolved ts moves on. It carries {@code position} to each
     * node that holds no later one (after a crash a node may be ahead of the others until the
     * stream passes its position), so that the node then holds it.
     */
    private void heartbeat(SourcePosition position) {
        long ts = tso.next();
        boolean known = !position.getFile().isEmpty() || !position.getGtidSet().isEmpty();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (ReplicaTarget target : targets) {
            BinlogEvent heartbeat = BinlogEvents.heartbeat(ts);
            SourcePosition before = held.get(target);
            boolean carries = known && (before == null || !SourcePositions.covered(position, before) || position.equals(before));
            if (carries) {
                heartbeat = heartbeat.toBuilder().setSource(position).build();
                held.put(target, position);
            }
            writes.add(target.write(heartbeat));
        }
        await(writes, "heartbeat");
        lastWriteMillis = System.currentTimeMillis();
    }

    private void await(List<CompletableFuture<Void>> writes, String what) {
        try {
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof io.grpc.StatusRuntimeException) {
                throw new ReplicationException("a node did not take the " + what + ": " + cause.getMessage(), true, cause);
            }
            throw ReplicationException.fatal("a node refused the " + what + ": " + cause.getMessage());
        }
    }

    private void closeSchemaConnection() {
        if (schema != null) {
            try {
                schema.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
            schema = null;
        }
    }

    /** A row change of a replicated table. */
    private record Change(TableMapping mapping, RowChange row) {}

    /** An upstream transaction being put together. */
    private static final class Transaction {
        final long firstEventMillis;
        final List<Change> changes = new ArrayList<>();
        String gtid;
        boolean standalone;
        int events = 1;

        Transaction(long firstEventMillis) {
            this.firstEventMillis = firstEventMillis;
        }

        void add(TableMapping mapping, RowChange row) {
            changes.add(new Change(mapping, row));
        }
    }
}
