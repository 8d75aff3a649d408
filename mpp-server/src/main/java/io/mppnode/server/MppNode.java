package io.mppnode.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.mppnode.exchange.grpc.ExchangeTransport;
import io.mppnode.exchange.grpc.GrpcExchangeConnector;
import io.mppnode.exchange.grpc.OutboundPacketMarshaller;
import io.mppnode.exchange.metrics.ExchangeMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.server.admin.AdminService;
import io.mppnode.server.binlog.BinlogIngest;
import io.mppnode.server.binlog.BinlogReplica;
import io.mppnode.server.binlog.PumpService;
import io.mppnode.server.binlog.ReplicaCheckpoint;
import io.mppnode.server.binlog.log.LogPosition;
import io.mppnode.server.binlog.ReplicaMaintenance;
import io.mppnode.server.binlog.ReplicaReadGate;
import io.mppnode.server.binlog.log.FsyncPolicy;
import io.mppnode.server.binlog.log.LogOptions;
import io.mppnode.server.binlog.log.SegmentedLog;
import io.mppnode.server.config.BinlogSettings;
import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.coordinator.Coordinator;
import io.mppnode.server.coordinator.CoordinatorRegistry;
import io.mppnode.server.metrics.MetricsHttpServer;
import io.mppnode.server.rpc.ChannelPool;
import io.mppnode.server.rpc.GrpcTaskStatusReporter;
import io.mppnode.server.sample.SampleTables;
import io.mppnode.server.service.RpcMetricsInterceptor;
import io.mppnode.server.service.TikvService;
import io.mppnode.server.task.MppTaskManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running worker node: the gRPC server with the Tikv MPP service, the task registry, the
 * catalog, the worker pool, the metrics endpoint, and the node's root allocator. Started by
 * {@link #start}; stopped gracefully by {@link #shutdownGracefully()} (IsAlive answers
 * unavailable while running tasks drain, within the shutdown timeout; tasks still running then
 * fail with "the node is shutting down").
 */
public final class MppNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MppNode.class);
    private static final Duration STOP_DEADLINE = Duration.ofSeconds(5);

    private final NodeConfig config;
    private final BufferAllocator rootAllocator;
    /** Chunk memory of sent packets that the transport has yet to write (see OutboundPacketMarshaller). */
    private final BufferAllocator wireAllocator;
    private final Catalog catalog;
    private final ExecutorService workers;
    private final ExecutorService rpcExecutor;
    private final ScheduledExecutorService timer;
    private final ChannelPool channels = new ChannelPool();
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CoordinatorRegistry coordinators = new CoordinatorRegistry();
    private final MppTaskManager tasks;
    private final TikvService service;
    private final ExecutorService loaders;
    private final AdminService admin;
    private final BinlogReplica replica;
    private final ExecutorService binlogReaders;
    private SegmentedLog binlog;
    private BinlogIngest ingest;
    private ReplicaMaintenance maintenance;
    private final io.mppnode.server.replication.ReplicationManager replication;
    private Server server;
    private MetricsHttpServer metricsServer;
    private volatile String address;
    private CompletableFuture<Void> shutdown;

    private MppNode(NodeConfig config) {
        this.config = requireNonNull(config, "config is null");
        this.rootAllocator = new RootAllocator(config.memoryLimitBytes());
        this.wireAllocator = rootAllocator.newChildAllocator("exchange wire", 0, Long.MAX_VALUE);
        this.catalog = new Catalog(rootAllocator);
        this.workers = Executors.newFixedThreadPool(config.workerThreads(), threads("mpp-worker-"));
        this.rpcExecutor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), threads("mpp-rpc-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(threads("mpp-timer-"));
        this.replica = new BinlogReplica(catalog, rootAllocator, meters);
        this.binlogReaders = Executors.newFixedThreadPool(2, threads("mpp-binlog-pull-"));
        this.tasks = new MppTaskManager(config, rootAllocator, catalog, workers, timer,
                new GrpcTaskStatusReporter(channels, STOP_DEADLINE), meters, () -> address,
                new GrpcExchangeConnector(channels::channel), new ExchangeMetrics(meters), new ReplicaReadGate(replica, timer));
        this.service = new TikvService(tasks, coordinators, new OutboundPacketMarshaller(wireAllocator));
        this.loaders = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()), threads("mpp-load-"));
        this.admin = new AdminService(catalog, rootAllocator, loaders);
        this.replication = new io.mppnode.server.replication.ReplicationManager(config.dataDir(), () -> address, () -> ingest, channels,
                config.binlog().clusterId(), meters);
        Gauge.builder("mpp.memory.used", rootAllocator, BufferAllocator::getAllocatedMemory).baseUnit("bytes")
                .description("Arrow memory in use on this node").register(meters);
        Gauge.builder("mpp.memory.limit", rootAllocator, BufferAllocator::getLimit).baseUnit("bytes")
                .description("Arrow memory limit of this node").register(meters);
        Gauge.builder("mpp.exchange.wire.bytes", wireAllocator, BufferAllocator::getAllocatedMemory).baseUnit("bytes")
                .description("Arrow memory of sent packets not yet written to the network").register(meters);
        new JvmThreadMetrics().bindTo(meters);
    }

    /** Starts a node: data directory, sample tables if asked, gRPC server, metrics endpoint. */
    public static MppNode start(NodeConfig config) throws IOException {
        MppNode node = new MppNode(config);
        try {
            node.startServices();
        } catch (IOException | RuntimeException e) {
            node.stopNow();
            throw e;
        }
        return node;
    }

    private void startServices() throws IOException {
        Files.createDirectories(config.dataDir());
        if (!Files.isWritable(config.dataDir())) {
            throw new ConfigException("data-dir " + config.dataDir().toAbsolutePath() + " is not writable");
        }
        if (config.sampleTables()) {
            SampleTables.load(catalog, rootAllocator);
        }
        startBinlog();
        String listen = config.listenAddress();
        server = ExchangeTransport.configureServer(NettyServerBuilder.forAddress(new InetSocketAddress(NodeConfig.host(listen), NodeConfig.port(listen))))
                .executor(rpcExecutor)
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .addService(ServerInterceptors.intercept(service.definition(), new RpcMetricsInterceptor(meters)))
                .addService(ServerInterceptors.intercept(admin, new RpcMetricsInterceptor(meters)))
                .addService(ServerInterceptors.intercept(new PumpService(config.binlog().clusterId(), ingest, binlogReaders),
                        new RpcMetricsInterceptor(meters)))
                .addService(ServerInterceptors.intercept(new io.mppnode.server.replication.ReplicationService(replication),
                        new RpcMetricsInterceptor(meters)))
                .build()
                .start();
        int port = ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
        address = config.advertisedAddress().isEmpty() ? NodeConfig.host(listen) + ":" + port : config.advertisedAddress();
        writeAddressFile();
        replication.resume(config.replication().spec());
        if (!config.metricsAddress().isEmpty()) {
            metricsServer = new MetricsHttpServer(NodeConfig.host(config.metricsAddress()), NodeConfig.port(config.metricsAddress()), meters);
        }
        log.info("node serving at {} (listening on {}), metrics {}, data dir {}, {} worker threads, memory limit {} bytes, tables: {}",
                address, NodeConfig.host(listen) + ":" + port,
                metricsServer == null ? "off" : "http://" + NodeConfig.host(config.metricsAddress()) + ":" + metricsServer.port() + "/metrics",
                config.dataDir().toAbsolutePath(), config.workerThreads(), config.memoryLimitBytes(),
                catalog.tables().isEmpty() ? "none" : catalog.tables().stream().map(t -> t.name() + " (id " + t.id() + ")").toList());
    }

    /** Opens the binlog (cutting a torn tail), rebuilds the replica from it, and schedules compaction and retention. */
    private void startBinlog() throws IOException {
        BinlogSettings settings = config.binlog();
        binlog = SegmentedLog.open(settings.dir(), LogOptions.defaults()
                .withSegmentSizeBytes(settings.segmentSizeBytes())
                .withFsyncPolicy(settings.fsync() ? FsyncPolicy.ALWAYS : FsyncPolicy.NONE)
                .withRetentionMaxAge(settings.retentionAge())
                .withRetentionMaxBytes(settings.retentionBytes()), meters);
        ingest = new BinlogIngest(binlog, replica);
        long started = System.nanoTime();
        java.nio.file.Path checkpoints = config.dataDir().resolve("replica");
        LogPosition replayFrom = ReplicaCheckpoint.restore(checkpoints, catalog, replica, rootAllocator).orElse(binlog.start());
        binlog.setRetentionFloor(replayFrom);
        long replayed = ingest.replay(replayFrom, false);
        log.info("binlog at {}: {} entities replayed in {} ms, resolved ts {}", settings.dir().toAbsolutePath(), replayed,
                (System.nanoTime() - started) / 1_000_000, replica.resolvedTs());
        maintenance = new ReplicaMaintenance(catalog, replica, binlog, settings.gcLifeTime(), checkpoints, rootAllocator);
        long every = settings.compactionInterval().toMillis();
        timer.scheduleWithFixedDelay(() -> loaders.execute(maintenance::runQuietly), every, every, TimeUnit.MILLISECONDS);
    }

    /** Compaction, checkpoints and retention of the replica (they also run on a schedule). */
    public ReplicaMaintenance replicaMaintenance() {
        return maintenance;
    }

    /** Replication from a MySQL/MariaDB server into this node (and the nodes it names). */
    public io.mppnode.server.replication.ReplicationManager replication() {
        return replication;
    }

    /** The binlog write path (for tests and tools in this process). */
    public BinlogIngest binlog() {
        return ingest;
    }

    /** The file in the data directory that holds the node's address once it serves (for scripts and {@code mpp demo}). */
    public static final String ADDRESS_FILE = "node.address";

    private void writeAddressFile() throws IOException {
        java.nio.file.Path file = config.dataDir().resolve(ADDRESS_FILE);
        java.nio.file.Path temporary = config.dataDir().resolve(ADDRESS_FILE + ".tmp");
        Files.writeString(temporary, address + "\n");
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The marshaller of the data packets this node sends: its counters say how they were written. */
    public OutboundPacketMarshaller exchangeMarshaller() {
        return service.marshaller();
    }

    public NodeConfig config() {
        return config;
    }

    /** The address peers and coordinators use: host:port. */
    public String address() {
        return address;
    }

    public OptionalInt metricsPort() {
        return metricsServer == null ? OptionalInt.empty() : OptionalInt.of(metricsServer.port());
    }

    public Catalog catalog() {
        return catalog;
    }

    public BufferAllocator allocator() {
        return rootAllocator;
    }

    public MppTaskManager tasks() {
        return tasks;
    }

    public ChannelPool channels() {
        return channels;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** A coordinator that runs in this process and takes its reports on this node's port. */
    public Coordinator newCoordinator(BufferAllocator resultAllocator) {
        return new Coordinator(address, coordinators, channels, resultAllocator);
    }

    public CoordinatorRegistry coordinators() {
        return coordinators;
    }

    /**
     * Stops taking tasks, lets running ones drain within the shutdown timeout, fails the rest,
     * then stops the server and frees everything. Returns at once; the future completes when the
     * node has stopped. Calling it again returns the same future.
     */
    public synchronized CompletableFuture<Void> shutdownGracefully() {
        if (shutdown == null) {
            shutdown = new CompletableFuture<>();
            CompletableFuture<Void> drained = tasks.beginShutdown();
            log.info("shutting down: {} tasks running, waiting up to {} ms for them", tasks.taskCount(), config.shutdownTimeout().toMillis());
            Thread stopper = new Thread(() -> {
                try {
                    awaitDrain(drained);
                    stopNow();
                    shutdown.complete(null);
                } catch (Throwable t) {
                    shutdown.completeExceptionally(t);
                }
            }, "mpp-shutdown");
            stopper.start();
        }
        return shutdown;
    }

    private void awaitDrain(CompletableFuture<Void> drained) throws InterruptedException {
        try {
            drained.get(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return;
        } catch (TimeoutException e) {
            log.warn("{} tasks did not finish within {} ms; failing them", tasks.taskCount(), config.shutdownTimeout().toMillis());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        tasks.abortAll(new MppException(ErrorCode.NODE_SHUTTING_DOWN, "the node is shutting down"));
        try {
            drained.get(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            log.error("{} tasks did not release their resources after being failed", tasks.taskCount());
        }
    }

    private void stopNow() {
        replication.close();
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        channels.close();
        workers.shutdown();
        rpcExecutor.shutdown();
        loaders.shutdownNow();
        timer.shutdownNow();
        try {
            workers.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            rpcExecutor.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            loaders.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        rpcExecutor.shutdownNow();
        binlogReaders.shutdownNow();
        if (ingest != null) {
            ingest.close();
        }
        if (binlog != null) {
            try {
                binlog.close();
            } catch (IOException | RuntimeException e) {
                log.error("closing the binlog: {}", e.getMessage());
            }
        }
        replica.close();
        catalog.close();
        try {
            // After the server terminated: the transport released every packet it held.
            wireAllocator.close();
            rootAllocator.close();
        } catch (IllegalStateException e) {
            log.error("memory was not released at shutdown: {}", e.getMessage());
            throw e;
        } finally {
            meters.close();
        }
        log.info("node stopped");
    }

    /** Graceful shutdown, waiting for it to complete. */
    @Override
    public void close() {
        shutdownGracefully().join();
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
