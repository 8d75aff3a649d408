package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mppnode.proto.replication.ReplicaStateResponse;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.binlog.BinlogIngest;
import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.ReplicationSettings;
import io.mppnode.server.rpc.ChannelPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's replication from a MySQL/MariaDB server: at most one {@link Replicator}, started
 * from the node's config (replicate-*) or by {@code mpp replicate} (the Start call), whose spec
 * is kept in {@code <data-dir>/replication/spec.pb} so that it resumes after a restart; and the
 * replication metrics ({@code mpp_replication_*}).
 */
public final class ReplicationManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicationManager.class);

    private final Path specFile;
    private final Supplier<String> selfAddress;
    private final Supplier<BinlogIngest> ingest;
    private final ChannelPool channels;
    private final long clusterId;
    private Replicator replicator;
    private volatile ReplicationStatus lastStatus = ReplicationStatus.newBuilder().setState(ReplicationState.STOPPED).build();

    public ReplicationManager(Path dataDir, Supplier<String> selfAddress, Supplier<BinlogIngest> ingest, ChannelPool channels,
            long clusterId, MeterRegistry meters) {
        this.specFile = dataDir.resolve("replication").resolve("spec.pb");
        this.selfAddress = requireNonNull(selfAddress, "selfAddress is null");
        this.ingest = requireNonNull(ingest, "ingest is null");
        this.channels = requireNonNull(channels, "channels is null");
        this.clusterId = clusterId;
        gauge(meters, "mpp.replication.state", "replication state: 0 stopped, 1 connecting, 2 snapshot, 3 streaming, 4 retrying,"
                + " 5 caught up, 6 failed", status -> status.getStateValue());
        gauge(meters, "mpp.replication.lag.events", "events received from the source and not yet applied", ReplicationStatus::getLagEvents);
        gauge(meters, "mpp.replication.lag.seconds", "now minus the source time of the oldest event not yet applied",
                ReplicationStatus::getLagSeconds);
        gauge(meters, "mpp.replication.lag.bytes", "source binlog bytes between the applied position and the source's end",
                ReplicationStatus::getLagBytes);
        gauge(meters, "mpp.replication.position", "offset in the source's binlog file after the last applied transaction",
                status -> status.getApplied().getPosition());
        gauge(meters, "mpp.replication.position.file", "number of the source's binlog file of the applied position",
                status -> status.getApplied().getFile().isEmpty() ? -1 : SourcePositions.fileIndex(status.getApplied().getFile()));
        counter(meters, "mpp.replication.events", "events received from the source", ReplicationStatus::getEventsReceived);
        counter(meters, "mpp.replication.transactions", "source transactions applied", ReplicationStatus::getTransactionsApplied);
        counter(meters, "mpp.replication.rows", "source row changes applied", ReplicationStatus::getRowsApplied);
        counter(meters, "mpp.replication.heartbeats", "heartbeats received from the source", ReplicationStatus::getHeartbeatsReceived);
        counter(meters, "mpp.replication.reconnects", "reconnects to the source after it was unreachable or went away",
                ReplicationStatus::getReconnects);
    }

    private void gauge(MeterRegistry meters, String name, String description, ToDoubleFunction<ReplicationStatus> value) {
        Gauge.builder(name, this, manager -> value.applyAsDouble(manager.status())).description(description).register(meters);
    }

    private void counter(MeterRegistry meters, String name, String description, ToDoubleFunction<ReplicationStatus> value) {
        FunctionCounter.builder(name, this, manager -> value.applyAsDouble(manager.status())).description(description).register(meters);
    }

    /** At node start: replicates with the config's spec if it has one, else with the kept one, if any. */
    public synchronized void resume(Optional<ReplicationSpec> fromConfig) {
        Optional<ReplicationSpec> spec = fromConfig.isPresent() ? fromConfig : keptSpec();
        spec.ifPresent(this::run);
    }

    /** Starts replication with {@code spec} and keeps the spec for restarts. */
    public synchronized ReplicationStatus start(ReplicationSpec spec) {
        if (replicator != null && !replicator.finished().isDone()) {
            throw new ConfigException("this node already replicates from " + replicator.spec().getHost() + ":" + replicator.spec().getPort()
                    + "; stop it first (mpp replicate --stop)");
        }
        check(spec);
        keep(spec);
        run(spec);
        return status();
    }

    /** Stops replication (what is applied stays) and forgets the kept spec. */
    public synchronized ReplicationStatus stop() {
        if (replicator != null) {
            replicator.close();
            lastStatus = replicator.status().toBuilder().setState(ReplicationState.STOPPED).build();
            replicator = null;
        }
        try {
            Files.deleteIfExists(specFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + specFile, e);
        }
        return status();
    }

    public synchronized ReplicationStatus status() {
        return replicator == null ? lastStatus : replicator.status();
    }

    /** Completes when the running replication ends (non-blocking mode caught up, or failed). */
    public synchronized java.util.concurrent.CompletableFuture<ReplicationState> finished() {
        return replicator == null ? java.util.concurrent.CompletableFuture.completedFuture(lastStatus.getState()) : replicator.finished();
    }

    public ReplicaStateResponse replicaState() {
        return LocalTarget.stateOf(ingest.get().replica());
    }

    private static void check(ReplicationSpec spec) {
        if (spec.getHost().isEmpty() || spec.getPort() == 0) {
            throw new ConfigException("no source: give the source server's host and port");
        }
        if (spec.getServerId() == 0) {
            throw new ConfigException("server_id 0 is not a replica's: give a server_id no other server uses");
        }
        if (spec.getTablesCount() == 0) {
            throw new ConfigException("no tables to replicate: name databases (db) or tables (db.table)");
        }
        new TableFilter(spec.getTablesList());
        new RegionLayout(Math.max(1, spec.getNodesCount()), spec.getRegionsPerNode() == 0 ? 2 : spec.getRegionsPerNode());
    }

    private void run(ReplicationSpec spec) {
        List<ReplicaTarget> targets = new ArrayList<>();
        String self = selfAddress.get();
        if (spec.getNodesCount() == 0) {
            targets.add(new LocalTarget(self, ingest.get()));
        } else {
            for (String node : spec.getNodesList()) {
                targets.add(node.equals(self) ? new LocalTarget(self, ingest.get()) : new RemoteTarget(node, channels.channel(node), clusterId));
            }
        }
        replicator = new Replicator(spec, targets);
        replicator.start();
        log.info("replicating {} from {}:{} into {}", spec.getTablesList(), spec.getHost(), spec.getPort(),
                targets.stream().map(ReplicaTarget::address).toList());
    }

    private Optional<ReplicationSpec> keptSpec() {
        if (!Files.exists(specFile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ReplicationSpec.parseFrom(Files.readAllBytes(specFile)));
        } catch (IOException e) {
            log.error("cannot read the kept replication spec {}: {}; replication does not resume", specFile, e.getMessage());
            return Optional.empty();
        }
    }

    private void keep(ReplicationSpec spec) {
        try {
            Files.createDirectories(specFile.getParent());
            Path temporary = specFile.resolveSibling("spec.pb.tmp");
            Files.write(temporary, spec.toByteArray());
            try {
                Files.setPosixFilePermissions(temporary, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            try {
                Files.move(temporary, specFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, specFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the replication spec in " + specFile, e);
        }
    }

    /** The spec from replicate-* values, for the CLI and tests. */
    public static ReplicationSpec spec(java.util.Map<String, String> values) {
        return ReplicationSettings.spec(values);
    }

    @Override
    public synchronized void close() {
        if (replicator != null) {
            replicator.close();
            lastStatus = replicator.status();
            replicator = null;
        }
    }
}
