package io.mppnode.exchange.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another JVM computes the same partitions: a second process, started from the same java binary
 * and class path, hashes the same generated rows in a different batching, in the interpreter
 * only and with Arrow's bounds checks off, and prints them for comparison with this process.
 */
class PartitionHashAcrossProcessesTest {
    private static final long SEED = 20240229;
    private static final int ROWS = 2000;
    private static final int PARTITIONS = 256;
    private static final long TIMEOUT_SECONDS = 120;

    @Test
    void aSecondJvmComputesTheSamePartitions(@TempDir Path directory) throws IOException, InterruptedException {
        List<String> expected = PartitionHashMain.lines(SEED, ROWS, ROWS, PARTITIONS);

        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(arrowJvmFlags());
        command.add("-Xint");
        command.add("-Darrow.enable_unsafe_memory_access=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PartitionHashMain.class.getName());
        command.addAll(List.of(Long.toString(SEED), Integer.toString(ROWS), "7", Integer.toString(PARTITIONS)));
        Path stdout = directory.resolve("stdout.txt");
        Path stderr = directory.resolve("stderr.txt");
        // Output to files, not pipes: the child can never block on a full pipe we are not reading.
        Process process = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("the second JVM did not finish within " + TIMEOUT_SECONDS + " s; stderr:\n" + Files.readString(stderr));
            }
            assertThat(process.exitValue()).as("exit status; stderr:\n%s", Files.readString(stderr)).isZero();
        } finally {
            process.destroyForcibly();
        }
        List<String> actual = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        assertThat(actual).hasSize(ROWS);
        assertThat(actual).isEqualTo(expected);
        // The data set reaches many partitions, so agreement is not trivially "all in one".
        assertThat(actual.stream().map(line -> line.substring(0, line.indexOf(' '))).distinct().count())
                .isGreaterThan(PARTITIONS / 2);
    }

    /**
     * The module and memory-access flags this JVM was started with (bin/jvm.options, through the
     * build's argLine), which Arrow needs on JDK 25; the add-opens Arrow cannot work without is
     * added if absent.
     */
    private static List<String> arrowJvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-opens") || argument.startsWith("--add-exports")
                    || argument.startsWith("--enable-native-access") || argument.startsWith("--sun-misc-unsafe-memory-access")) {
                flags.add(argument);
            }
        }
        if (flags.stream().noneMatch(flag -> flag.contains("java.base/java.nio="))) {
            flags.add("--add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED");
        }
        return flags;
    }
}
