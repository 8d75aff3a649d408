package io.mppnode.server.cli;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import io.mppnode.server.replication.TestingMariaDb;
import io.mppnode.server.replication.TestingMariaDb.BinlogPosition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code mpp replicate} against a real node and a real MariaDB: starting replication (follow
 * and non-blocking, waiting for the catch-up), the {@code --status} view, {@code --stop}, and bad
 * flag values, which exit 2 with one line naming the flag.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicateCommandTest {
    private static final String USER = "cli_replica";
    private static final String PASSWORD = "cli-pw";

    private TestingMariaDb maria;
    private TestingNode node;

    @BeforeAll
    void startSource() {
        maria = TestingMariaDb.start();
        maria.createReplicationUser(USER, PASSWORD);
        maria.execute("CREATE DATABASE cli", "CREATE TABLE cli.t (id INT PRIMARY KEY, v VARCHAR(20))",
                "INSERT INTO cli.t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    }

    @AfterAll
    void stopSource() {
        maria.close();
    }

    @BeforeEach
    void startNode() {
        node = TestingNode.start(Map.of("sample-tables", "false"));
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    private record Run(int exitCode, String out, String err) {}

    private static Run replicate(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReplicateCommand.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Start arguments for this node and source, then {@code more}. */
    private String[] start(String... more) {
        List<String> args = new ArrayList<>(List.of("--heartbeat", "200ms", "--max-backoff", "500ms"));
        args.addAll(List.of(more));
        return startWith(args.toArray(String[]::new));
    }

    /** The node, source, credentials and tables, then {@code more}. */
    private String[] startWith(String... more) {
        List<String> args = new ArrayList<>(List.of("--node", node.address(), "--source", maria.host() + ":" + maria.port(), "--user", USER,
                "--password", PASSWORD, "--tables", "cli"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private String status() {
        Run run = replicate("--node", node.address(), "--status");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        return run.out();
    }

    private static String position(BinlogPosition position) {
        return position.file() + ":" + position.position();
    }

    @Test
    void startsShowsAndStopsReplication() {
        String source = maria.host() + ":" + maria.port();
        assertThat(status()).contains("state:        stopped").contains("(no replication on this node)");

        // follow mode: the snapshot, then streaming
        Run started = replicate(start());
        assertThat(started.exitCode()).as(started.err()).isZero();
        assertThat(started.out()).startsWith("replicating cli from " + source + " into " + node.address() + " (");
        BinlogPosition end = maria.masterStatus();
        awaitTrue("replication to stream, caught up with " + end, () -> {
            ReplicationStatus status = node.node().replication().status();
            return status.getState() == ReplicationState.STREAMING && status.getApplied().getFile().equals(end.file())
                    && status.getApplied().getPosition() == end.position();
        });
        String streaming = status();
        assertThat(streaming).contains("state:        streaming\n")
                .contains("source:       " + source + "\n")
                .contains("tables:       cli\n")
                .contains("nodes:        " + node.address() + "\n")
                .contains("applied:      " + position(end) + "\n")
                .containsPattern("(?m)^lag:          0 events, \\d+\\.\\d s, \\d+ bytes$")
                .doesNotContain("last error");

        // stop: what is applied stays, the kept spec goes
        Run stopped = replicate("--node", node.address(), "--stop");
        assertThat(stopped.exitCode()).as(stopped.err()).isZero();
        assertThat(stopped.out()).isEqualTo("replication stopped at " + position(end) + "\n");
        assertThat(status()).contains("state:        stopped\n").contains("applied:      " + position(end) + "\n");
        assertThat(Files.exists(node.node().config().dataDir().resolve("replication").resolve("spec.pb"))).as("kept spec").isFalse();
        assertThat(node.node().catalog().table("cli.t")).as("the replicated table stays").isPresent();

        // rows while it is stopped; then a non-blocking run from the position the node holds, waiting for it
        maria.execute("INSERT INTO cli.t VALUES (4, 'four'), (5, 'five')", "UPDATE cli.t SET v = 'ONE' WHERE id = 1");
        BinlogPosition later = maria.masterStatus();
        Run caughtUp = replicate(start("--non-blocking", "--wait"));
        assertThat(caughtUp.exitCode()).as(caughtUp.err()).isZero();
        assertThat(caughtUp.out()).startsWith("replicating cli from " + source + " into " + node.address() + " (")
                .contains("state:        caught up\n")
                .contains("applied:      " + position(later) + "\n")
                .contains("applied:      2 transactions, 3 rows;");
        assertThat(node.node().replication().finished()).isCompletedWithValue(ReplicationState.CAUGHT_UP);
        assertThat(status()).contains("state:        caught up\n").contains("applied:      " + position(later) + "\n")
                .containsPattern("(?m)^lag:          0 events, ");
    }

    @Test
    void aBadFlagValueExitsTwoWithOneLineNamingTheFlag() {
        Map<String, String> bad = Map.of(
                "--start", "yesterday",
                "--heartbeat", "often",
                "--max-backoff", "forever",
                "--server-id", "zero",
                "--regions-per-node", "0",
                "--table-ids", "cli.t=minus");
        bad.forEach((flag, value) -> {
            Run run = replicate(startWith(flag, value));
            assertThat(run.exitCode()).as("exit code for %s %s: %s", flag, value, run.err()).isEqualTo(2);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).as("stderr for %s %s", flag, value).startsWith("mpp replicate: ").endsWith("\n").contains(flag).contains(value);
            assertThat(run.err().strip()).as("one line").doesNotContain("\n");
        });
        Run noSource = replicate("--node", node.address(), "--source", "no-port", "--user", USER, "--tables", "cli");
        assertThat(noSource.exitCode()).isEqualTo(2);
        assertThat(noSource.err()).contains("--source").contains("no-port");
        assertThat(node.node().replication().status().getState()).as("nothing started").isEqualTo(ReplicationState.STOPPED);
        assertThat(node.node().replication().status().getSource()).isEmpty();
    }
}
