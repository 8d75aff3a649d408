package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.Compression;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.mppnode.exchange.packet.InboundPacket;
import io.mppnode.exchange.receiver.ExchangeConnector;
import io.mppnode.exchange.receiver.ExchangeReceiver;
import io.mppnode.exchange.receiver.ExchangeSource;
import io.mppnode.exchange.tunnel.LocalPacket;
import io.mppnode.exchange.tunnel.PacketStream;
import io.mppnode.exchange.tunnel.Tunnel;
import io.mppnode.exchange.tunnel.TunnelListener;
import io.mppnode.exchange.tunnel.TunnelPacket;
import io.mppnode.exec.planner.ExchangeReceiverFactory;
import io.mppnode.exec.plan.PlanValidator;
import io.mppnode.exec.planner.ExecutionContext;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.RegionRead;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.CancelTaskResponse;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.config.NodeConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's registry of tasks, query -> gather -> task, and their lifecycle as DESIGN section
 * 4 describes: dispatch, connections (waiting for a task that is not there yet, without a
 * thread), cancel (remembered when it comes first), completion, and status reports.
 *
 * <p>Thread-safe. The registry's maps are guarded by one lock, held only for map updates; tasks
 * are started, aborted and connected outside it. Every failure of a request comes back as an
 * {@link MppException} translated into the response, so the node keeps serving.
 */
public final class MppTaskManager {
    private static final Logger log = LoggerFactory.getLogger(MppTaskManager.class);

    private final NodeConfig config;
    private final BufferAllocator rootAllocator;
    private final Catalog catalog;
    private final PlanValidator validator;
    private final Executor workers;
    private final ScheduledExecutorService timer;
    private final TaskStatusReporter reporter;

    private final Object lock = new Object();
    private final Map<QueryId, QueryEntry> queries = new HashMap<>();
    private final Map<TaskId, List<PendingConnection>> pendingConnections = new HashMap<>();
    private int taskCount;
    private boolean shuttingDown;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private final Cache<GatherId, String> cancelledGathers;
    /** Recently ended tasks and how they ended (summaries left out), for connections that come late. */
    private final Cache<TaskId, TaskOutcome> endedTasks;

    private final Counter dispatched;
    private final Map<TaskState, Counter> ended = new EnumMap<>(TaskState.class);
    private final Supplier<String> selfAddress;
    private final ExchangeConnector remoteConnector;
    private final ExchangeMetrics exchangeMetrics;
    private final ExchangeConnector connector = new NodeConnector();
    private final ReadGate readGate;

    /**
     * @param selfAddress this node's advertised address, known once its server listens: a
     *     receiver at this address is local
     * @param remoteConnector how receivers reach senders on other nodes
     */
    public MppTaskManager(NodeConfig config, BufferAllocator rootAllocator, Catalog catalog, Executor workers,
            ScheduledExecutorService timer, TaskStatusReporter reporter, MeterRegistry meters, Supplier<String> selfAddress,
            ExchangeConnector remoteConnector, ExchangeMetrics exchangeMetrics, ReadGate readGate) {
        this.readGate = requireNonNull(readGate, "readGate is null");
        this.selfAddress = requireNonNull(selfAddress, "selfAddress is null");
        this.remoteConnector = requireNonNull(remoteConnector, "remoteConnector is null");
        this.exchangeMetrics = requireNonNull(exchangeMetrics, "exchangeMetrics is null");
        this.config = requireNonNull(config, "config is null");
        this.rootAllocator = requireNonNull(rootAllocator, "rootAllocator is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.validator = new PlanValidator(catalog);
        this.workers = requireNonNull(workers, "workers is null");
        this.timer = requireNonNull(timer, "timer is null");
        this.reporter = requireNonNull(reporter, "reporter is null");
        this.cancelledGathers = Caffeine.newBuilder()
                .maximumSize(config.cancelledGatherCacheSize())
                .expireAfterWrite(config.cancelledGatherTtl())
                .build();
        this.endedTasks = Caffeine.newBuilder()
                .maximumSize(config.cancelledGatherCacheSize())
                .expireAfterWrite(config.cancelledGatherTtl())
                .build();
        Gauge.builder("mpp.tasks.running", this, MppTaskManager::taskCount)
                .description("tasks registered on this node").register(meters);
        Gauge.builder("mpp.connections.waiting", this, MppTaskManager::waitingConnectionCount)
                .description("connections waiting for their task to be dispatched").register(meters);
        this.dispatched = Counter.builder("mpp.tasks.dispatched").description("tasks accepted by dispatch").register(meters);
        for (TaskState state : TaskState.values()) {
            if (state.isDone()) {
                ended.put(state, Counter.builder("mpp.tasks.ended").tag("state", state.name().toLowerCase(java.util.Locale.ROOT))
                        .description("tasks that ended, by final state").register(meters));
            }
        }
    }

    // ----- DispatchMPPTask -----

    /** Validates, registers and starts a task; every failure comes back in the response's error. */
    public DispatchTaskResponse dispatch(DispatchTaskRequest request) {
        TaskMeta meta = request.getMeta();
        try {
            if (!request.hasMeta()) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "DispatchTaskRequest has no meta");
            }
            MppVersions.check(meta.getMppVersion());
            if (meta.getAddress().isEmpty()) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "TaskMeta.address is empty: a task must name the node it runs on");
            }
            if (meta.getTaskId() < 0) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "task_id " + meta.getTaskId()
                        + " is not valid for a dispatched task: ids below 0 are reserved (-1 is the coordinator)");
            }
            if (request.getTimeout() < 0) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "timeout must not be negative, got " + request.getTimeout());
            }
            Plan plan;
            try {
                plan = Plan.parseFrom(request.getEncodedPlan());
            } catch (InvalidProtocolBufferException e) {
                throw new MppException(ErrorCode.MALFORMED_PLAN, "encoded_plan is not a valid mppnode.plan.Plan: " + e.getMessage());
            }
            validator.validate(plan, config.queryMemoryLimitBytes());
            DispatchRegions regions = DispatchRegions.resolve(catalog, plan, request);
            Duration timeout = request.getTimeout() > 0 ? Duration.ofSeconds(request.getTimeout()) : config.taskTimeout();
            register(meta, plan, timeout, regions.reads());
            if (!regions.retry().isEmpty()) {
                log.info("task {} runs without {} regions this node lacks or holds at another epoch: {}", meta.getTaskId(),
                        regions.retry().size(), regions.retry().stream().map(region -> region.getId()).toList());
            }
            return DispatchTaskResponse.newBuilder().addAllRetryRegions(regions.retry()).build();
        } catch (RuntimeException e) {
            MppException error = MppException.wrap(e);
            log.info("dispatch of task {} refused: {}", meta.getTaskId(), error.getMessage());
            return DispatchTaskResponse.newBuilder().setError(error.toWire(MppVersions.CURRENT)).build();
        }
    }

    private void register(TaskMeta meta, Plan plan, Duration timeout, Map<Long, List<RegionRead>> regions) {
        TaskId id = TaskId.of(meta);
        MppTask task;
        List<PendingConnection> waiting;
        synchronized (lock) {
            if (shuttingDown) {
                throw new MppException(ErrorCode.NODE_SHUTTING_DOWN, "the node is shutting down and takes no new tasks");
            }
            String cancelReason = cancelledGathers.getIfPresent(id.gatherId());
            if (cancelReason != null) {
                throw new MppException(ErrorCode.QUERY_CANCELLED, id.gatherId() + " was cancelled before this task was dispatched: " + cancelReason);
            }
            QueryEntry query = queries.get(id.queryId());
            if ((query != null && query.task(id) != null) || endedTasks.getIfPresent(id) != null) {
                throw new MppException(ErrorCode.DUPLICATE_TASK, id + " was already dispatched to this node");
            }
            if (query == null) {
                long limit = plan.getMemoryLimitBytes() > 0 ? plan.getMemoryLimitBytes() : config.queryMemoryLimitBytes();
                query = new QueryEntry(rootAllocator.newChildAllocator(id.queryId().toString(), 0, limit));
                queries.put(id.queryId(), query);
            }
            task = createTask(id, meta, plan, query.allocator, regions);
            query.gathers.computeIfAbsent(id.gatherId().gatherId(), ignored -> new HashMap<>()).put(id.taskId(), task);
            taskCount++;
            waiting = pendingConnections.remove(id);
        }
        dispatched.increment();
        task.completion().whenComplete((outcome, error) -> onTaskEnded(task, outcome));
        if (waiting != null) {
            for (PendingConnection connection : waiting) {
                connection.timeout.cancel(false);
                connect(task, connection.receiverTaskId, connection.stream);
            }
        }
        timer.schedule(() -> checkReceiversConnected(task, timeout), timeout.toMillis(), TimeUnit.MILLISECONDS);
        CompletableFuture<Void> readable = readGate.await(DispatchRegions.scannedTables(plan), meta.getStartTs(), timeout);
        if (readable.isDone() && !readable.isCompletedExceptionally()) {
            task.start();
            return;
        }
        readable.whenComplete((ignored, error) -> {
            if (error == null) {
                task.start();
            } else {
                task.abort(MppException.wrap(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error), TaskState.FAILED);
            }
        });
    }

    private MppTask createTask(TaskId id, TaskMeta meta, Plan plan, BufferAllocator queryAllocator, Map<Long, List<RegionRead>> regions) {
        Map<Long, Tunnel<?>> tunnels = new LinkedHashMap<>();
        var sender = plan.getRoot().getExchangeSender();
        Compression compression = Compression.fromPlan(sender.getCompression());
        java.util.concurrent.atomic.LongAdder remoteBytes = new java.util.concurrent.atomic.LongAdder();
        for (TaskMeta receiver : sender.getReceiversList()) {
            String name = "tunnel from task " + id.taskId() + " to task " + receiver.getTaskId() + " at " + receiver.getAddress();
            boolean local = isLocal(receiver);
            tunnels.put(receiver.getTaskId(), local
                    ? Tunnel.local(name, config.tunnelBufferBytes(), exchangeMetrics.tunnelListener(compression, true))
                    : Tunnel.remote(name, config.tunnelBufferBytes(), meta.getMppVersion(),
                            counting(exchangeMetrics.tunnelListener(compression, false), remoteBytes)));
        }
        BufferAllocator allocator = queryAllocator.newChildAllocator("task " + id.taskId(), 0, Long.MAX_VALUE);
        ExchangeReceiverFactory receivers = (executorId, senders, schema, receiverAllocator) ->
                receiver(id, meta, executorId, senders, schema, receiverAllocator);
        ExecutionContext context = new ExecutionContext(allocator, catalog, meta.getStartTs(),
                new ArrayList<>(tunnels.values()), receivers, ExecutionContext.DEFAULT_BATCH_ROWS, config.taskConcurrency(), regions);
        return new MppTask(id, meta, plan, tunnels, allocator, context, workers, remoteBytes::sum);
    }

    /** The listener, also adding the bytes of each sent packet to {@code bytes}. */
    private static TunnelListener counting(TunnelListener listener, java.util.concurrent.atomic.LongAdder bytes) {
        return new TunnelListener() {
            @Override
            public void packetSent(long packetBytes) {
                bytes.add(packetBytes);
                listener.packetSent(packetBytes);
            }

            @Override
            public void bufferedBytesChanged(long delta) {
                listener.bufferedBytesChanged(delta);
            }

            @Override
            public void writerBlocked(long nanos) {
                listener.writerBlocked(nanos);
            }
        };
    }

    /** A task on this node is local; the coordinator (task -1) always connects over gRPC. */
    private boolean isLocal(TaskMeta peer) {
        return peer.getTaskId() >= 0 && peer.getAddress().equals(selfAddress.get());
    }

    private ExchangeReceiver receiver(TaskId id, TaskMeta meta, String executorId, List<TaskMeta> senders, Schema schema,
            BufferAllocator allocator) {
        List<ExchangeSource> sources = new ArrayList<>(senders.size());
        for (TaskMeta sender : senders) {
            sources.add(new ExchangeSource(sender, meta, isLocal(sender)));
        }
        return new ExchangeReceiver("receiver '" + executorId + "' of " + id, sources, schema, allocator,
                config.tunnelBufferBytes(), connector, timer, exchangeMetrics);
    }

    private void checkReceiversConnected(MppTask task, Duration timeout) {
        for (Tunnel<?> tunnel : task.tunnels()) {
            if (tunnel.state() == Tunnel.State.WAITING_FOR_RECEIVER) {
                task.abort(new MppException(ErrorCode.TIMEOUT, "the receiver of the " + tunnel.name()
                        + " did not connect within " + timeout.toMillis() + " ms"), TaskState.FAILED);
                return;
            }
        }
    }

    private void onTaskEnded(MppTask task, TaskOutcome outcome) {
        TaskId id = task.id();
        boolean drainedNow = false;
        synchronized (lock) {
            endedTasks.put(id, new TaskOutcome(outcome.state(), outcome.error(), ExecutionSummaries.getDefaultInstance()));
            QueryEntry query = queries.get(id.queryId());
            if (query != null) {
                Map<Long, MppTask> gather = query.gathers.get(id.gatherId().gatherId());
                if (gather != null && gather.remove(id.taskId()) != null) {
                    taskCount--;
                    if (gather.isEmpty()) {
                        query.gathers.remove(id.gatherId().gatherId());
                    }
                }
                if (query.gathers.isEmpty()) {
                    queries.remove(id.queryId());
                    try {
                        query.allocator.close();
                    } catch (RuntimeException e) {
                        log.error("{}: memory was not released: {}", id.queryId(), e.getMessage());
                    }
                }
            }
            if (shuttingDown && taskCount == 0) {
                drainedNow = true;
            }
        }
        ended.get(outcome.state()).increment();
        if (outcome.state() == TaskState.FAILED) {
            log.info("{} failed: {}", id, outcome.error().map(Throwable::getMessage).orElse(""));
        }
        TaskMeta meta = task.meta();
        if (!meta.getCoordinatorAddress().isEmpty()
                && (outcome.state() == TaskState.FAILED || meta.getReportExecutionSummary())) {
            ReportTaskStatusRequest.Builder report = ReportTaskStatusRequest.newBuilder()
                    .setMeta(meta)
                    .setData(outcome.summaries().toByteString());
            outcome.error().ifPresent(error -> report.setError(error.toWire(meta.getMppVersion())));
            reporter.report(meta.getCoordinatorAddress(), report.build());
        }
        if (drainedNow) {
            drained.complete(null);
        }
    }

    // ----- EstablishMPPConnection -----

    /**
     * Connects a receiver to its sender task's tunnel. A task not dispatched yet is waited for
     * (no thread is held) up to the task timeout; every failure is answered in band with one
     * error packet and a normal end of stream.
     */
    public void establish(EstablishMPPConnectionRequest request, ReceiverStream<?> stream) {
        try {
            if (!request.hasSenderMeta() || !request.hasReceiverMeta()) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "EstablishMPPConnectionRequest needs both sender_meta and receiver_meta");
            }
            MppVersions.check(request.getSenderMeta().getMppVersion());
            TaskId sender = TaskId.of(request.getSenderMeta());
            long receiverTaskId = request.getReceiverMeta().getTaskId();
            MppTask task;
            synchronized (lock) {
                task = findTask(sender);
                if (task == null) {
                    TaskOutcome ended = endedTasks.getIfPresent(sender);
                    if (ended != null) {
                        if (ended.state() == TaskState.FAILED && ended.error().isPresent()) {
                            // The receiver learns why, with the failure's own code, as if it had been connected.
                            MppException cause = ended.error().get();
                            throw new MppException(cause.code(), sender + " failed: " + cause.getMessage(), cause);
                        }
                        throw new MppException(ErrorCode.TASK_ALREADY_DONE, sender + " has already ended (" + ended.describe() + ")");
                    }
                    String cancelReason = cancelledGathers.getIfPresent(sender.gatherId());
                    if (cancelReason != null) {
                        throw new MppException(ErrorCode.QUERY_CANCELLED, sender.gatherId() + " was cancelled: " + cancelReason);
                    }
                    if (shuttingDown) {
                        throw new MppException(ErrorCode.NODE_SHUTTING_DOWN, "the node is shutting down");
                    }
                    PendingConnection connection = new PendingConnection(sender, receiverTaskId, stream);
                    pendingConnections.computeIfAbsent(sender, ignored -> new ArrayList<>()).add(connection);
                    connection.timeout = timer.schedule(() -> expire(connection),
                            config.taskTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    stream.onCancelledBeforeAttach(() -> forget(connection));
                    return;
                }
            }
            connect(task, receiverTaskId, stream);
        } catch (RuntimeException e) {
            fail(stream, MppException.wrap(e), request.getSenderMeta().getMppVersion());
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void connect(MppTask task, long receiverTaskId, ReceiverStream<?> stream) {
        try {
            Tunnel<?> tunnel = task.tunnel(receiverTaskId);
            if (tunnel == null) {
                throw new MppException(ErrorCode.INVALID_REQUEST, task.id() + " does not send to receiver task " + receiverTaskId);
            }
            if (tunnel.isLocal() != stream.isLocal()) {
                throw new MppException(ErrorCode.INVALID_REQUEST, "the " + tunnel.name() + " is " + (tunnel.isLocal() ? "local" : "remote")
                        + " but the receiver connected " + (stream.isLocal() ? "in-process" : "over the network")
                        + ": a receiver at the sender's own address must run on that node");
            }
            ((Tunnel) tunnel).connect((PacketStream) stream);
            ((ReceiverStream) stream).attach(tunnel);
        } catch (RuntimeException e) {
            fail(stream, MppException.wrap(e), task.meta().getMppVersion());
        }
    }

    private void expire(PendingConnection connection) {
        if (forget(connection)) {
            fail(connection.stream, new MppException(ErrorCode.TIMEOUT, connection.sender + " was not dispatched to this node within "
                    + config.taskTimeout().toMillis() + " ms"), MppVersions.CURRENT);
        }
    }

    /** Removes a waiting connection; true if it was still waiting. */
    private boolean forget(PendingConnection connection) {
        synchronized (lock) {
            List<PendingConnection> waiting = pendingConnections.get(connection.sender);
            if (waiting == null || !waiting.remove(connection)) {
                return false;
            }
            if (waiting.isEmpty()) {
                pendingConnections.remove(connection.sender);
            }
        }
        connection.timeout.cancel(false);
        return true;
    }

    private static void fail(ReceiverStream<?> stream, MppException error, long mppVersion) {
        stream.fail(error, mppVersion);
    }

    // ----- CancelMPPTask -----

    /**
     * Aborts every task of the request's gather on this node, and remembers the gather as
     * cancelled so that a dispatch arriving later is refused. A gather with no task here is
     * still remembered, and answered with an error that says so.
     */
    public CancelTaskResponse cancel(CancelTaskRequest request) {
        if (!request.hasMeta()) {
            return CancelTaskResponse.newBuilder().setError(new MppException(ErrorCode.INVALID_REQUEST,
                    "CancelTaskRequest has no meta").toWire(MppVersions.CURRENT)).build();
        }
        GatherId gather = GatherId.of(request.getMeta());
        String reason = request.hasError() && !request.getError().getMsg().isEmpty()
                ? request.getError().getMsg() : "cancelled by the coordinator";
        List<MppTask> victims = new ArrayList<>();
        List<PendingConnection> waiting = new ArrayList<>();
        synchronized (lock) {
            cancelledGathers.put(gather, reason);
            QueryEntry query = queries.get(gather.queryId());
            if (query != null && query.gathers.containsKey(gather.gatherId())) {
                victims.addAll(query.gathers.get(gather.gatherId()).values());
            }
            pendingConnections.entrySet().removeIf(entry -> {
                if (entry.getKey().gatherId().equals(gather)) {
                    waiting.addAll(entry.getValue());
                    return true;
                }
                return false;
            });
        }
        MppException cause = new MppException(ErrorCode.QUERY_CANCELLED, gather + " was cancelled: " + reason);
        for (MppTask task : victims) {
            task.abort(cause, TaskState.CANCELLED);
        }
        for (PendingConnection connection : waiting) {
            connection.timeout.cancel(false);
            fail(connection.stream, cause, request.getMeta().getMppVersion());
        }
        if (victims.isEmpty()) {
            log.info("cancel of {}: no task of it on this node; remembered", gather);
            return CancelTaskResponse.newBuilder().setError(new MppException(ErrorCode.GATHER_NOT_FOUND,
                    gather + " has no task on this node; the cancel is remembered, so a late dispatch of it is refused")
                    .toWire(MppVersions.CURRENT)).build();
        }
        log.info("cancelled {} ({} tasks): {}", gather, victims.size(), reason);
        return CancelTaskResponse.getDefaultInstance();
    }

    // ----- state, shutdown -----

    public boolean isAvailable() {
        synchronized (lock) {
            return !shuttingDown;
        }
    }

    public int taskCount() {
        synchronized (lock) {
            return taskCount;
        }
    }

    public int queryCount() {
        synchronized (lock) {
            return queries.size();
        }
    }

    public int waitingConnectionCount() {
        synchronized (lock) {
            return pendingConnections.values().stream().mapToInt(List::size).sum();
        }
    }

    /** The state of a registered task, or null when no such task is registered. */
    public TaskState taskState(TaskMeta meta) {
        synchronized (lock) {
            MppTask task = findTask(TaskId.of(meta));
            return task == null ? null : task.state();
        }
    }

    /**
     * Stops taking tasks (IsAlive answers unavailable) and refuses waiting connections. The
     * returned future completes when no task is left.
     */
    public CompletableFuture<Void> beginShutdown() {
        List<PendingConnection> waiting = new ArrayList<>();
        synchronized (lock) {
            shuttingDown = true;
            pendingConnections.values().forEach(waiting::addAll);
            pendingConnections.clear();
            if (taskCount == 0) {
                drained.complete(null);
            }
        }
        MppException cause = new MppException(ErrorCode.NODE_SHUTTING_DOWN, "the node is shutting down");
        for (PendingConnection connection : waiting) {
            connection.timeout.cancel(false);
            fail(connection.stream, cause, MppVersions.CURRENT);
        }
        return drained;
    }

    /** Fails every task still registered with this cause. */
    public void abortAll(MppException cause) {
        List<MppTask> tasks = new ArrayList<>();
        synchronized (lock) {
            for (QueryEntry query : queries.values()) {
                query.gathers.values().forEach(gather -> tasks.addAll(gather.values()));
            }
        }
        for (MppTask task : tasks) {
            task.abort(cause, TaskState.FAILED);
        }
    }

    private MppTask findTask(TaskId id) {
        QueryEntry query = queries.get(id.queryId());
        return query == null ? null : query.task(id);
    }

    /** Local sources through this registry (with the same waiting as a remote connection), remote ones through the transport. */
    private final class NodeConnector implements ExchangeConnector {
        @Override
        public RemoteConnection openRemote(ExchangeSource source, BufferAllocator allocator, RemoteListener listener) {
            return remoteConnector.openRemote(source, allocator, listener);
        }

        @Override
        public LocalConnection openLocal(ExchangeSource source, PacketStream<LocalPacket> end) {
            LocalReceiverStream stream = new LocalReceiverStream(end);
            establish(EstablishMPPConnectionRequest.newBuilder()
                    .setSenderMeta(source.sender())
                    .setReceiverMeta(source.receiver())
                    .build(), stream);
            return stream;
        }
    }

    /** A query's tasks on this node and its allocator, which every task's memory comes from. */
    private static final class QueryEntry {
        final BufferAllocator allocator;
        final Map<Long, Map<Long, MppTask>> gathers = new HashMap<>();

        QueryEntry(BufferAllocator allocator) {
            this.allocator = allocator;
        }

        MppTask task(TaskId id) {
            Map<Long, MppTask> gather = gathers.get(id.gatherId().gatherId());
            return gather == null ? null : gather.get(id.taskId());
        }
    }

    private static final class PendingConnection {
        final TaskId sender;
        final long receiverTaskId;
        final ReceiverStream<?> stream;
        ScheduledFuture<?> timeout;

        PendingConnection(TaskId sender, long receiverTaskId, ReceiverStream<?> stream) {
            this.sender = sender;
            this.receiverTaskId = receiverTaskId;
            this.stream = stream;
        }
    }
}
