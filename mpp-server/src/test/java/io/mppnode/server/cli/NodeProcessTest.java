package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.mppnode.proto.Mpp.IsAliveRequest;
import io.mppnode.proto.Mpp.IsAliveResponse;
import io.mppnode.proto.TikvGrpc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code mpp node} as a real child JVM, the way an operator does, and stops it with SIGTERM. */
class NodeProcessTest {
    private static final Duration START_WAIT = Duration.ofSeconds(30);
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);
    private static final String END_OF_OUTPUT = "\u0000end of output";
    private static final Pattern LOG_LINE = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) \\[[^\\]]+\\] [A-Za-z0-9_$]+: .*");
    private static final Pattern SERVING = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z INFO  \\[[^\\]]+\\] MppNode: node serving at (\\S+) .*");

    private Process process;

    @AfterEach
    void killLeftoverProcess() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Test
    void nodeServesUntilSigtermThenStopsGracefully(@TempDir Path dataDir) throws Exception {
        process = startNode("node", "--listen-address=127.0.0.1:0", "--metrics-address=127.0.0.1:0",
                "--data-dir=" + dataDir, "--sample-tables=true");
        Output output = Output.of(process);

        String servingLine = output.awaitLine(line -> SERVING.matcher(line).matches(), START_WAIT);
        assertThat(servingLine).as("log line, one line in the documented format").matches(LOG_LINE).doesNotContain("\n");
        assertThat(servingLine).contains("sample_orders (id 1)").contains("metrics http://127.0.0.1:");
        Matcher serving = SERVING.matcher(servingLine);
        assertThat(serving.matches()).isTrue();
        String address = serving.group(1);
        assertThat(address).matches("127\\.0\\.0\\.1:\\d+").isNotEqualTo("127.0.0.1:0");

        ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            IsAliveResponse alive = TikvGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .isAlive(IsAliveRequest.getDefaultInstance());
            assertThat(alive.getAvailable()).isTrue();
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }

        // SIGTERM. Through the ProcessHandle: Process.destroy() also closes our end of the child's
        // stdout at once, which would lose the lines the node writes while it stops.
        assertThat(process.toHandle().destroy()).isTrue();
        assertThat(process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("node exits after SIGTERM").isTrue();
        List<String> lines = output.awaitEnd(STOP_WAIT);
        assertThat(lines).as("output after SIGTERM").anySatisfy(line -> assertThat(line).contains("received a stop signal"));
        assertThat(lines).anySatisfy(line -> assertThat(line).matches(LOG_LINE).contains("MppNode: node stopped"));
        assertThat(lines).noneSatisfy(line -> assertThat(line).contains("memory was not released"));
        // every line the node wrote is a log line in the one-line format (no stack traces on a clean run)
        assertThat(lines).allSatisfy(line -> assertThat(line).matches(LOG_LINE));
    }

    /** Also holds that stderr still works once the one-line log handler is installed on stdout. */
    @Test
    void aConfigFileWithAnUnknownPropertyExitsWithCode2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.properties");
        Files.writeString(file, "listen-address=127.0.0.1:0\ntask-timeot=5s\n", StandardCharsets.UTF_8);
        process = startNode("node", "--config", file.toString());
        Output output = Output.of(process);

        assertThat(process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(String.join("\n", output.awaitEnd(STOP_WAIT))).contains("mpp node: unknown property 'task-timeot'");
    }

    private static Process startNode(String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new AssertionError("no java command"));
        Path jvmOptions = Path.of("..", "bin", "jvm.options").toAbsolutePath().normalize();
        assertThat(jvmOptions).exists();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "@" + jvmOptions, "-Xmx512m", "-cp", classPath,
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** The child's stdout (and stderr), line by line, read on a daemon thread so it never blocks the child. */
    private record Output(BlockingQueue<String> pending, List<String> seen) {
        static Output of(Process process) {
            Output output = new Output(new LinkedBlockingQueue<>(), new ArrayList<>());
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        output.pending.add(line);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    output.pending.add(END_OF_OUTPUT);
                }
            }, "node-output");
            reader.setDaemon(true);
            reader.start();
            return output;
        }

        /** Waits for the first line that matches, and returns it. */
        String awaitLine(java.util.function.Predicate<String> wanted, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals(END_OF_OUTPUT)) {
                    throw new AssertionError((line == null ? "timed out" : "output ended") + " waiting for a line; output so far:\n"
                            + String.join("\n", seen));
                }
                seen.add(line);
                if (wanted.test(line)) {
                    return line;
                }
            }
        }

        /** Waits for the end of the output and returns every line, including those seen before. */
        List<String> awaitEnd(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("timed out waiting for the end of the output; so far:\n" + String.join("\n", seen));
                }
                if (line.equals(END_OF_OUTPUT)) {
                    return List.copyOf(seen);
                }
                seen.add(line);
            }
        }
    }
}
