package io.mppnode.server.cli;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.server.TestingNode;
import io.mppnode.server.admin.TpchLoad;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code mpp query} against real nodes: rows, bad input, and Ctrl-C cancelling everything. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryCommandTest {
    private final List<TestingNode> nodes = new ArrayList<>();
    private List<String> addresses;
    private long[] baseline;

    @BeforeAll
    void startCluster() {
        for (int i = 0; i < 2; i++) {
            nodes.add(TestingNode.start());
        }
        addresses = nodes.stream().map(TestingNode::address).toList();
        TpchLoad.load(nodes.getFirst().node().channels(), addresses, 0.01, 2, 120_000, (done, total) -> {});
        baseline = nodes.stream().mapToLong(node -> node.node().allocator().getAllocatedMemory()).toArray();
    }

    @AfterAll
    void stopCluster() {
        nodes.forEach(TestingNode::close);
    }

    private record Run(int exitCode, String out, String err) {}

    private Run query(String... args) {
        QueryCommand command = new QueryCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine line = new picocli.CommandLine(command);
        line.parseArgs(args);
        int code = command.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path resource(Path dir, String name) throws Exception {
        Path file = dir.resolve(name);
        try (InputStream in = QueryCommandTest.class.getResourceAsStream("/plans/" + name)) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    @Test
    void printsTheRowsOfAPlanFile(@TempDir Path dir) throws Exception {
        Run run = query("--plan", resource(dir, "lineitem-summary.json").toString(), "--nodes", String.join(",", addresses), "--summaries");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("l_returnflag | l_linestatus | count_order | sum_qty").contains("(4 rows,")
                .contains("scan_lineitem");
    }

    @Test
    void aPlanFileThatIsNotJsonIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{ this is not json");
        Run run = query("--plan", file.toString(), "--nodes", addresses.getFirst());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("plan file " + file + " is not a valid plan");
    }

    @Test
    void aPlanNamingAnUnknownTableIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("unknown.json");
        Files.writeString(file, Files.readString(resource(dir, "lineitem-summary.json")).replace("\"108\"", "\"4040\""));
        Run run = query("--plan", file.toString(), "--nodes", String.join(",", addresses));
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("holds table id 4040");
    }

    @Test
    void aNodeThatDoesNotAnswerIsNamed(@TempDir Path dir) throws Exception {
        Run run = query("--plan", resource(dir, "lineitem-summary.json").toString(), "--nodes", "127.0.0.1:1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("node 127.0.0.1:1 does not answer");
    }

    @Test
    void ctrlCCancelsTheQueryOnEveryNode(@TempDir Path dir) throws Exception {
        Path plan = resource(dir, "slow-join.json");
        List<String> command = LocalCluster.mppCommand();
        command.addAll(List.of("query", "--plan", plan.toString(), "--nodes", String.join(",", addresses), "--timeout", "10m"));
        Path output = dir.resolve("query.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            awaitTrue("the query's tasks run on both nodes",
                    () -> nodes.stream().allMatch(node -> node.node().tasks().taskCount() > 0));
            Process interrupt = new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).start();
            assertThat(interrupt.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("mpp query exits after Ctrl-C").isTrue();
            assertThat(Files.readString(output)).contains("cancelling the query on every node");
            for (int i = 0; i < nodes.size(); i++) {
                TestingNode node = nodes.get(i);
                long memory = baseline[i];
                // The query would run for minutes: only the cancel ends its tasks this soon.
                awaitTrue("every task cancelled and its memory freed",
                        () -> node.node().tasks().taskCount() == 0 && node.node().allocator().getAllocatedMemory() == memory);
            }
        } finally {
            process.destroyForcibly();
        }
    }
}
