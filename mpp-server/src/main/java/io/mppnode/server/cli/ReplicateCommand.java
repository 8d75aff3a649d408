package io.mppnode.server.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.replication.ReplicationGrpc;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.proto.replication.ReplicationStatusRequest;
import io.mppnode.proto.replication.StopReplicationRequest;
import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.ReplicationSettings;
import io.mppnode.server.rpc.ChannelPool;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpp replicate}: makes a running node a replica of a MySQL/MariaDB server (the same as
 * the node's replicate-* properties), shows its replication status ({@code --status}), or stops
 * it ({@code --stop}). Exits 0 on success, 2 with one line on stderr for what the user can fix,
 * 1 for anything else; with {@code --wait}, 0 once a non-blocking replication caught up and 2
 * if replication failed.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
        description = {"Replicates tables of a MySQL/MariaDB server into a running node (and the nodes it names) as a binlog replica"
                + " (COM_BINLOG_DUMP), or shows (--status) or stops (--stop) that replication.",
                "The source needs log_bin, binlog_format=ROW and binlog_row_image=FULL; the user REPLICATION SLAVE, BINLOG MONITOR"
                        + " (MySQL: REPLICATION CLIENT) and SELECT."})
public final class ReplicateCommand implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:3930",
            description = "the node that replicates (default: ${DEFAULT-VALUE})")
    private String node;

    @Option(names = "--status", description = "show the node's replication: state, position, lag")
    private boolean status;

    @Option(names = "--stop", description = "stop the node's replication (what is applied stays)")
    private boolean stop;

    @Option(names = "--wait", description = "after starting, wait until a non-blocking replication caught up (or failed)")
    private boolean await;

    @Option(names = "--source", paramLabel = "HOST:PORT", description = "the MySQL/MariaDB server")
    private String source;

    @Option(names = "--user", paramLabel = "USER", description = "the replication user")
    private String user;

    @Option(names = "--password", paramLabel = "PASSWORD", description = "its password", arity = "0..1", interactive = false)
    private String password;

    @Option(names = "--server-id", paramLabel = "ID", description = "this replica's server_id (default: 6000)")
    private String serverId;

    @Option(names = "--tables", paramLabel = "DB[.TABLE],...", description = "what to replicate: databases or tables")
    private String tables;

    @Option(names = "--start", paramLabel = "POINT",
            description = "snapshot (default), now, FILE:POS (POS 4: start of FILE; :4 the oldest file), or gtid:SET")
    private String start;

    @Option(names = "--non-blocking", description = "catch up to the end of the binlog, then stop (BINLOG_DUMP_NON_BLOCK)")
    private boolean nonBlocking;

    @Option(names = "--heartbeat", paramLabel = "DURATION", description = "the source's heartbeat period when idle (default 1s; 0s: none)")
    private String heartbeat;

    @Option(names = "--skip-heartbeats", description = "do not count or report heartbeats")
    private boolean skipHeartbeats;

    @Option(names = "--nodes", paramLabel = "HOST:PORT,...", description = "the nodes the tables are spread over (default: --node only)")
    private String nodes;

    @Option(names = "--regions-per-node", paramLabel = "N", description = "regions per table per node (default 2)")
    private String regionsPerNode;

    @Option(names = "--table-ids", paramLabel = "DB.TABLE=ID,...", description = "node table ids for upstream tables")
    private String tableIds;

    @Option(names = "--max-backoff", paramLabel = "DURATION", description = "longest wait between reconnects (default 30s)")
    private String maxBackoff;

    private final PrintStream out;
    private final PrintStream err;

    public ReplicateCommand() {
        this(System.out, System.err);
    }

    ReplicateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs {@code mpp replicate} with these arguments; the exit code. */
    static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine commandLine = new CommandLine(new ReplicateCommand(out, err));
        commandLine.setOut(new java.io.PrintWriter(out, true));
        commandLine.setErr(new java.io.PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        try (ChannelPool channels = new ChannelPool()) {
            ManagedChannel channel = channels.channel(node);
            ReplicationGrpc.ReplicationBlockingStub stub = ReplicationGrpc.newBlockingStub(channel);
            if (status) {
                out.print(format(stub.withDeadlineAfter(30, TimeUnit.SECONDS).status(ReplicationStatusRequest.getDefaultInstance())));
                return 0;
            }
            if (stop) {
                ReplicationStatus stopped = stub.withDeadlineAfter(60, TimeUnit.SECONDS).stop(StopReplicationRequest.getDefaultInstance());
                out.println("replication stopped at " + describe(stopped.getApplied()));
                return 0;
            }
            ReplicationSpec spec = ReplicationSettings.spec(values());
            ReplicationStatus started = stub.withDeadlineAfter(60, TimeUnit.SECONDS).start(spec);
            out.println("replicating " + String.join(", ", spec.getTablesList()) + " from " + started.getSource() + " into "
                    + String.join(", ", started.getNodesList()) + " (" + stateName(started.getState()) + ")");
            if (!await) {
                return 0;
            }
            ReplicationStatus now = started;
            while (now.getState() != ReplicationState.CAUGHT_UP && now.getState() != ReplicationState.FAILED
                    && now.getState() != ReplicationState.STOPPED) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                now = stub.withDeadlineAfter(30, TimeUnit.SECONDS).status(ReplicationStatusRequest.getDefaultInstance());
            }
            out.print(format(now));
            return now.getState() == ReplicationState.FAILED ? 2 : 0;
        } catch (ConfigException e) {
            err.println("mpp replicate: " + flagNames(e.getMessage()));
            return 2;
        } catch (StatusRuntimeException e) {
            err.println("mpp replicate: node " + node + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return 2;
        } catch (RuntimeException e) {
            err.println("mpp replicate: failed: " + e);
            return 1;
        }
    }

    /**
     * The settings' messages name the node properties (replicate-start); here the user typed the
     * flags (--start), so the message names those.
     */
    static String flagNames(String message) {
        return message.replaceAll("\\breplicate-(source|user|password|server-id|tables|start|heartbeat|nodes|regions-per-node|table-ids"
                + "|max-backoff)\\b", "--$1");
    }

    private Map<String, String> values() {
        Map<String, String> values = new LinkedHashMap<>();
        put(values, "replicate-source", source);
        put(values, "replicate-user", user);
        put(values, "replicate-password", password);
        put(values, "replicate-server-id", serverId);
        put(values, "replicate-tables", tables);
        put(values, "replicate-start", start);
        put(values, "replicate-mode", nonBlocking ? "non-blocking" : "follow");
        put(values, "replicate-heartbeat", heartbeat);
        put(values, "replicate-skip-heartbeats", String.valueOf(skipHeartbeats));
        put(values, "replicate-nodes", nodes);
        put(values, "replicate-regions-per-node", regionsPerNode);
        put(values, "replicate-table-ids", tableIds);
        put(values, "replicate-max-backoff", maxBackoff);
        return values;
    }

    private static void put(Map<String, String> values, String name, String value) {
        if (value != null) {
            values.put(name, value);
        }
    }

    /** The --status view. */
    static String format(ReplicationStatus status) {
        StringBuilder view = new StringBuilder();
        view.append(String.format("state:        %s%n", stateName(status.getState())));
        if (status.getSource().isEmpty()) {
            return view.append(String.format("(no replication on this node)%n")).toString();
        }
        view.append(String.format("source:       %s%n", status.getSource()));
        view.append(String.format("tables:       %s%n", String.join(", ", status.getSpec().getTablesList())));
        view.append(String.format("nodes:        %s%n", String.join(", ", status.getNodesList())));
        view.append(String.format("applied:      %s%n", describe(status.getApplied())));
        if (!status.getApplied().getGtidSet().isEmpty()) {
            view.append(String.format("gtid set:     %s%n", status.getApplied().getGtidSet()));
        }
        if (!status.getSourceEnd().getFile().isEmpty()) {
            view.append(String.format("source end:   %s:%d%n", status.getSourceEnd().getFile(), status.getSourceEnd().getPosition()));
        }
        view.append(String.format("lag:          %d events, %.1f s, %d bytes%n", status.getLagEvents(), status.getLagSeconds(), status.getLagBytes()));
        view.append(String.format("applied:      %d transactions, %d rows; %d events received, %d heartbeats, %d reconnects%n",
                status.getTransactionsApplied(), status.getRowsApplied(), status.getEventsReceived(), status.getHeartbeatsReceived(),
                status.getReconnects()));
        if (!status.getLastError().isEmpty()) {
            view.append(String.format("last error:   %s%n", status.getLastError()));
        }
        return view.toString();
    }

    private static String describe(SourcePosition position) {
        return position.getFile().isEmpty() ? "(none yet)" : position.getFile() + ":" + position.getPosition();
    }

    private static String stateName(ReplicationState state) {
        return state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
