package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exchange.codec.PacketFormat;
import io.mppnode.exchange.packet.InboundPacket;
import org.apache.arrow.memory.ArrowBuf;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.proto.Coprocessor.TableRegions;
import io.mppnode.proto.Mpp;
import io.mppnode.proto.Mpp.CancelTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskRequest;
import io.mppnode.proto.Mpp.DispatchTaskResponse;
import io.mppnode.proto.Mpp.EstablishMPPConnectionRequest;
import io.mppnode.proto.Mpp.MPPDataPacket;
import io.mppnode.proto.Mpp.ReportTaskStatusRequest;
import io.mppnode.proto.Mpp.TaskMeta;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.proto.plan.ExecutionSummaries;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.rpc.ChannelPool;
import io.mppnode.server.task.MppVersions;
import io.mppnode.server.task.QueryId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference coordinator: fills in the TaskMetas of a query's fragments, dispatches every
 * task, pulls the root stream of each root task, takes the ReportMPPTaskStatus calls of its
 * queries (through the {@link CoordinatorRegistry} of the node process it runs in), and cancels
 * the whole gather on every node on an error or a timeout.
 *
 * <p>Thread-safe: any number of queries may run at once, each on its caller's thread. Root
 * streams use gRPC flow control, a few packets ahead of the consumer.
 */
public final class Coordinator {
    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
    private static final AtomicLong LOCAL_QUERY_IDS = new AtomicLong();
    private static final int PACKETS_AHEAD = 4;
    private static final Duration CANCEL_DEADLINE = Duration.ofSeconds(5);

    private final String address;
    private final CoordinatorRegistry registry;
    private final ChannelPool channels;
    private final BufferAllocator allocator;
    private final long serverId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    private final AtomicLong regionRetries = new AtomicLong();
    private volatile ClusterView clusterView;

    /**
     * @param address where nodes reach this coordinator's ReportMPPTaskStatus: the address of
     *     the node process whose registry is given
     * @param allocator parent of each query's result memory; the caller owns and closes it
     */
    public Coordinator(String address, CoordinatorRegistry registry, ChannelPool channels, BufferAllocator allocator) {
        this.address = requireNonNull(address, "address is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.channels = requireNonNull(channels, "channels is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /** How many times a query is placed again after nodes answered with region errors. */
    public static final int REGION_RETRIES = 3;

    /** Runs a query to its end and returns its rows. @throws MppException naming the failing task, or TIMEOUT */
    public QueryResult execute(QuerySpec spec) {
        long started = System.nanoTime();
        long deadline = started + spec.timeout().toNanos();
        TaskMeta base = TaskMeta.newBuilder()
                .setStartTs(spec.startTs() > 0 ? spec.startTs() : System.currentTimeMillis() << 18)
                .setQueryTs(System.currentTimeMillis())
                .setLocalQueryId(LOCAL_QUERY_IDS.incrementAndGet())
                .setServerId(serverId)
                .setMppVersion(MppVersions.CURRENT)
                .setCoordinatorAddress(address)
                .setReportExecutionSummary(spec.reportExecutionSummary())
                .build();
        QueryId queryId = QueryId.of(base);
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        registry.register(queryId, events::add);
        try {
            for (int attempt = 1; ; attempt++) {
                Fragment root = spec.root() != null ? spec.root() : place(spec, deadline, attempt > 1);
                // Each attempt is a gather of its own: a cancelled gather is remembered by the nodes.
                try {
                    return run(spec, base.toBuilder().setGatherId(attempt).build(), root, events, deadline, started);
                } catch (RegionRetry retry) {
                    if (attempt > REGION_RETRIES || spec.root() != null) {
                        throw new MppException(ErrorCode.REGION_NOT_FOUND, retry.getMessage() + " (after " + attempt + " attempts)");
                    }
                    regionRetries.incrementAndGet();
                    log.info("query {} attempt {}: {}; placing it again", queryId, attempt, retry.getMessage());
                }
            }
        } finally {
            registry.unregister(queryId);
        }
    }

    /**
     * Places a distributed plan with the cached view of the cluster, fetched again when the
     * nodes differ, when asked (after region errors) or when the plan names a table the cached
     * view lacks.
     */
    private Fragment place(QuerySpec spec, long deadline, boolean refresh) {
        ClusterView view = clusterView;
        boolean fresh = false;
        if (refresh || view == null || !view.nodes().equals(spec.nodes())) {
            view = ClusterView.fetch(channels, spec.nodes(), remaining(deadline, spec));
            clusterView = view;
            fresh = true;
        }
        try {
            return new FragmentPlanner(view).place(spec.plan());
        } catch (MppException e) {
            if (fresh || e.code() != ErrorCode.UNKNOWN_TABLE) {
                throw e;
            }
            view = ClusterView.fetch(channels, spec.nodes(), remaining(deadline, spec));
            clusterView = view;
            return new FragmentPlanner(view).place(spec.plan());
        }
    }

    /** How many times queries were placed again after region errors. */
    public long regionRetries() {
        return regionRetries.get();
    }

    private static Duration remaining(long deadline, QuerySpec spec) {
        long nanos = deadline - System.nanoTime();
        if (nanos <= 0) {
            throw new MppException(ErrorCode.TIMEOUT, "the query did not finish within " + spec.timeout().toMillis() + " ms");
        }
        return Duration.ofNanos(nanos);
    }

    /** Nodes answered a dispatch with regions they lack: the query is placed again. */
    private static final class RegionRetry extends RuntimeException {
        RegionRetry(String message) {
            super(message, null, false, false);
        }
    }

    private QueryResult run(QuerySpec spec, TaskMeta base, Fragment root, BlockingQueue<Object> events, long deadline, long started) {
        TaskMeta coordinatorMeta = base.toBuilder().setTaskId(-1).setAddress(address).build();
        List<TaskPlan> tasks = new ArrayList<>();
        List<TaskMeta> rootTasks = assign(root, List.of(coordinatorMeta), base, tasks, new AtomicLong(1));
        QueryRun run = new QueryRun(base, coordinatorMeta, tasks, rootTasks, spec, deadline, events);
        try (BufferAllocator queryAllocator = allocator.newChildAllocator("result of " + QueryId.of(base) + " gather " + base.getGatherId(),
                0, Long.MAX_VALUE)) {
            try {
                run.dispatch();
                run.pull(queryAllocator);
                run.awaitReports();
            } catch (RegionRetry retry) {
                run.cancel(retry.getMessage());
                throw retry;
            } catch (RuntimeException e) {
                MppException error = MppException.wrap(e);
                run.cancel(error.getMessage());
                throw error;
            } finally {
                run.closeStreams();
            }
            return new QueryResult(run.schema == null ? new Schema(List.of()) : run.schema, run.rows, run.summaries,
                    run.packets, run.bytes, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private record TaskPlan(TaskMeta meta, Executor root, List<TableRegions> regions) {}

    private static List<TaskMeta> assign(Fragment fragment, List<TaskMeta> receivers, TaskMeta base, List<TaskPlan> tasks, AtomicLong nextTaskId) {
        if (fragment.root().getKindCase() != Executor.KindCase.EXCHANGE_SENDER) {
            throw new IllegalArgumentException("the root of fragment '" + fragment.root().getExecutorId() + "' must be an ExchangeSender");
        }
        List<TaskMeta> metas = fragment.nodes().stream()
                .map(node -> base.toBuilder().setTaskId(nextTaskId.getAndIncrement()).setAddress(node).build())
                .toList();
        List<List<TaskMeta>> senders = new ArrayList<>();
        for (Fragment child : fragment.children()) {
            senders.add(assign(child, metas, base, tasks, nextTaskId));
        }
        Iterator<List<TaskMeta>> nextSenders = senders.iterator();
        Executor root = fill(fragment.root(), receivers, nextSenders);
        if (nextSenders.hasNext()) {
            throw new IllegalArgumentException("fragment '" + fragment.root().getExecutorId() + "' has "
                    + fragment.children().size() + " children but fewer ExchangeReceivers");
        }
        metas.forEach(meta -> tasks.add(new TaskPlan(meta, root, fragment.regions().getOrDefault(meta.getAddress(), List.of()))));
        return metas;
    }

    private static Executor fill(Executor executor, List<TaskMeta> receivers, Iterator<List<TaskMeta>> senders) {
        Executor.Builder filled = executor.toBuilder();
        if (executor.hasExchangeSender()) {
            filled.getExchangeSenderBuilder().clearReceivers().addAllReceivers(receivers);
        }
        if (executor.hasExchangeReceiver()) {
            if (!senders.hasNext()) {
                throw new IllegalArgumentException("ExchangeReceiver '" + executor.getExecutorId() + "' has no child fragment");
            }
            filled.getExchangeReceiverBuilder().clearSenders().addAllSenders(senders.next());
        }
        filled.clearChildren();
        for (Executor child : executor.getChildrenList()) {
            filled.addChildren(fill(child, receivers, senders));
        }
        return filled.build();
    }

    private sealed interface Event permits PacketEvent, EndEvent, FailureEvent {}

    private record PacketEvent(TaskMeta source, MPPDataPacket packet) implements Event {}

    private record EndEvent(TaskMeta source) implements Event {}

    private record FailureEvent(TaskMeta source, Throwable error) implements Event {}

    /** One execution of a query: its tasks, its streams, and what came back. */
    private final class QueryRun {
        final TaskMeta base;
        final TaskMeta coordinatorMeta;
        final List<TaskPlan> tasks;
        final List<TaskMeta> rootTasks;
        final QuerySpec spec;
        final long deadline;
        final BlockingQueue<Object> events;
        final Map<Long, ClientCallStreamObserver<EstablishMPPConnectionRequest>> calls = new HashMap<>();
        final List<List<Object>> rows = new ArrayList<>();
        final Map<Long, List<ExecutionSummary>> summaries = new HashMap<>();
        final Set<Long> reported = new LinkedHashSet<>();
        Schema schema;
        long packets;
        long bytes;

        QueryRun(TaskMeta base, TaskMeta coordinatorMeta, List<TaskPlan> tasks, List<TaskMeta> rootTasks, QuerySpec spec, long deadline,
                BlockingQueue<Object> events) {
            this.events = events;
            this.base = base;
            this.coordinatorMeta = coordinatorMeta;
            this.tasks = tasks;
            this.rootTasks = rootTasks;
            this.spec = spec;
            this.deadline = deadline;
        }

        void dispatch() {
            long timeoutSeconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
            List<ListenableFuture<DispatchTaskResponse>> responses = new ArrayList<>();
            List<String> retry = new ArrayList<>();
            for (TaskPlan task : tasks) {
                DispatchTaskRequest.Builder request = DispatchTaskRequest.newBuilder()
                        .setMeta(task.meta())
                        .setEncodedPlan(Plan.newBuilder().setRoot(task.root()).setMemoryLimitBytes(spec.memoryLimitBytes())
                                .setConcurrency(spec.concurrency()).build().toByteString())
                        .setTimeout(timeoutSeconds);
                if (task.regions().size() == 1) {
                    request.addAllRegions(task.regions().getFirst().getRegionsList());
                } else {
                    request.addAllTableRegions(task.regions());
                }
                responses.add(stub(task.meta().getAddress()).dispatchMPPTask(request.build()));
            }
            for (int i = 0; i < tasks.size(); i++) {
                TaskMeta meta = tasks.get(i).meta();
                DispatchTaskResponse response = await(responses.get(i), "dispatch of task " + meta.getTaskId() + " to " + meta.getAddress());
                if (response.hasError()) {
                    throw MppException.fromWire(response.getError(), "dispatch of task " + meta.getTaskId() + " to " + meta.getAddress());
                }
                if (response.getRetryRegionsCount() > 0) {
                    retry.add(meta.getAddress() + " lacks regions " + response.getRetryRegionsList().stream().map(region -> region.getId()).toList());
                }
            }
            if (!retry.isEmpty()) {
                throw new RegionRetry(String.join("; ", retry));
            }
        }

        void pull(BufferAllocator queryAllocator) {
            Map<Long, ChunkDecoder> decoders = new HashMap<>();
            int open = rootTasks.size();
            for (TaskMeta root : rootTasks) {
                decoders.put(root.getTaskId(), new ChunkDecoder(queryAllocator, source(root)));
                open(root);
            }
            while (open > 0) {
                Object event = next();
                switch (event) {
                    case PacketEvent(TaskMeta source, MPPDataPacket packet) -> {
                        take(source, packet, decoders.get(source.getTaskId()), queryAllocator);
                        synchronized (calls) {
                            calls.get(source.getTaskId()).request(1);
                        }
                    }
                    case EndEvent end -> open--;
                    case FailureEvent(TaskMeta source, Throwable error) -> throw new MppException(ErrorCode.CONNECTION_FAILED,
                            "the stream from " + source(source) + " failed: " + error.getMessage(), error);
                    case ReportTaskStatusRequest report -> onReport(report);
                    default -> throw new IllegalStateException("unexpected event " + event);
                }
            }
        }

        void awaitReports() {
            if (!spec.reportExecutionSummary()) {
                return;
            }
            while (reported.size() < tasks.size()) {
                Object event = next();
                if (event instanceof ReportTaskStatusRequest report) {
                    onReport(report);
                }
            }
        }

        private Object next() {
            long remaining = deadline - System.nanoTime();
            Object event = null;
            try {
                if (remaining > 0) {
                    event = events.poll(remaining, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MppException(ErrorCode.QUERY_CANCELLED, "the query was interrupted");
            }
            if (event == null) {
                throw new MppException(ErrorCode.TIMEOUT, "the query did not finish within " + spec.timeout().toMillis() + " ms");
            }
            if (gatherOf(event) != base.getGatherId()) {
                return next(); // left over from an earlier attempt of this query
            }
            return event;
        }

        private static long gatherOf(Object event) {
            return switch (event) {
                case PacketEvent packet -> packet.source().getGatherId();
                case EndEvent end -> end.source().getGatherId();
                case FailureEvent failure -> failure.source().getGatherId();
                case ReportTaskStatusRequest report -> report.getMeta().getGatherId();
                default -> throw new IllegalStateException("unexpected event " + event);
            };
        }

        private void take(TaskMeta source, MPPDataPacket packet, ChunkDecoder decoder, BufferAllocator queryAllocator) {
            packets++;
            bytes += packet.getSerializedSize();
            if (packet.hasError()) {
                throw MppException.fromWire(packet.getError(), source(source));
            }
            if (packet.getChunksCount() > 0 && packet.getVersion() != PacketFormat.ARROW_IPC_V1) {
                throw new MppException(ErrorCode.REMOTE_TASK_FAILED, source(source) + " sent data packet version "
                        + packet.getVersion() + "; this coordinator reads version " + PacketFormat.ARROW_IPC_V1);
            }
            // The coordinator reads with the stock protobuf client (as TiDB would): chunks come as
            // heap bytes and are copied into Arrow memory to decode.
            try (InboundPacket inbound = InboundPacket.fromProto(packet, queryAllocator)) {
                for (ArrowBuf chunk : inbound.chunks()) {
                    try (VectorSchemaRoot batch = decoder.decode(chunk)) {
                        if (batch == null) {
                            if (schema == null) {
                                schema = decoder.schema();
                            }
                            continue;
                        }
                        rows.addAll(ArrowValues.rows(batch));
                    }
                }
            }
            if (!packet.getData().isEmpty()) {
                summaries.put(source.getTaskId(), parseSummaries(packet.getData(), source(source)));
            }
        }

        private void onReport(ReportTaskStatusRequest report) {
            TaskMeta source = report.getMeta();
            if (report.hasError()) {
                throw MppException.fromWire(report.getError(), source(source));
            }
            reported.add(source.getTaskId());
            if (!report.getData().isEmpty()) {
                summaries.put(source.getTaskId(), parseSummaries(report.getData(), source(source)));
            }
        }

        private void open(TaskMeta root) {
            EstablishMPPConnectionRequest request = EstablishMPPConnectionRequest.newBuilder()
                    .setSenderMeta(root)
                    .setReceiverMeta(coordinatorMeta)
                    .build();
            TikvGrpc.newStub(channels.channel(root.getAddress())).establishMPPConnection(request,
                    new ClientResponseObserver<EstablishMPPConnectionRequest, MPPDataPacket>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<EstablishMPPConnectionRequest> call) {
                            call.disableAutoRequestWithInitial(PACKETS_AHEAD);
                            synchronized (calls) {
                                calls.put(root.getTaskId(), call);
                            }
                        }

                        @Override
                        public void onNext(MPPDataPacket packet) {
                            events.add(new PacketEvent(root, packet));
                        }

                        @Override
                        public void onError(Throwable error) {
                            events.add(new FailureEvent(root, error));
                        }

                        @Override
                        public void onCompleted() {
                            events.add(new EndEvent(root));
                        }
                    });
        }

        void closeStreams() {
            synchronized (calls) {
                calls.values().forEach(call -> call.cancel("query ended", null));
            }
        }

        /** Cancels the gather on every node of the query; failures to cancel are logged. */
        void cancel(String reason) {
            Set<String> nodes = new LinkedHashSet<>();
            tasks.forEach(task -> nodes.add(task.meta().getAddress()));
            CancelTaskRequest request = CancelTaskRequest.newBuilder()
                    .setMeta(base)
                    .setError(Mpp.Error.newBuilder().setCode(ErrorCode.QUERY_CANCELLED.code()).setMsg(reason))
                    .build();
            List<ListenableFuture<Mpp.CancelTaskResponse>> responses = new ArrayList<>();
            for (String node : nodes) {
                responses.add(TikvGrpc.newFutureStub(channels.channel(node))
                        .withDeadlineAfter(CANCEL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .cancelMPPTask(request));
            }
            // An interrupted query (Ctrl-C) still waits for its cancels to reach the nodes.
            boolean interrupted = Thread.interrupted();
            try {
                for (ListenableFuture<Mpp.CancelTaskResponse> response : responses) {
                    try {
                        response.get(CANCEL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        log.warn("cancel of query {} failed on a node: {}", QueryId.of(base), e.getMessage());
                    } catch (InterruptedException e) {
                        interrupted = true;
                        return;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private <T> T await(ListenableFuture<T> future, String what) {
            try {
                return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                future.cancel(true);
                throw new MppException(ErrorCode.TIMEOUT, what + " did not answer within " + spec.timeout().toMillis() + " ms");
            } catch (ExecutionException e) {
                throw new MppException(ErrorCode.CONNECTION_FAILED, what + " failed: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MppException(ErrorCode.QUERY_CANCELLED, what + " was interrupted");
            }
        }

        private TikvGrpc.TikvFutureStub stub(String node) {
            return TikvGrpc.newFutureStub(channels.channel(node));
        }
    }

    private static List<ExecutionSummary> parseSummaries(ByteString data, String source) {
        try {
            return ExecutionSummaries.parseFrom(data).getSummariesList();
        } catch (InvalidProtocolBufferException e) {
            throw new MppException(ErrorCode.REMOTE_TASK_FAILED, source + " sent execution summaries that do not parse: " + e.getMessage());
        }
    }

    private static String source(TaskMeta task) {
        return "task " + task.getTaskId() + " at " + task.getAddress();
    }
}
