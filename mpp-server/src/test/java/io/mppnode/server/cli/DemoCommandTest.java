package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code mpp demo} end to end: three node processes, TPC-H loaded, the 22 queries, a clean stop. */
class DemoCommandTest {
    @Test
    void runsTheTwentyTwoQueriesOnThreeNodeProcessesAndStopsThem() throws Exception {
        DemoCommand demo = new DemoCommand();
        demo.scaleFactor = 0.01;
        demo.nodeCount = 3;
        demo.timeoutSeconds = 120;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exitCode = demo.run(out, IntStream.rangeClosed(1, 22).boxed().toList());
        }
        String output = bytes.toString(StandardCharsets.UTF_8);

        assertThat(exitCode).as(output).isZero();
        assertThat(output).containsPattern("== nodes: 127\\.0\\.0\\.1:\\d+, 127\\.0\\.0\\.1:\\d+, 127\\.0\\.0\\.1:\\d+");
        assertThat(output).containsPattern("== loaded 8[67],\\d{3} rows in [0-9.]+ s \\([0-9,]+ rows/s\\) over 3 nodes");
        List<String> lines = output.lines().toList();
        for (int query = 1; query <= 22; query++) {
            String prefix = String.format("q%-4d |", query);
            assertThat(lines).as("the line of q" + query).anySatisfy(line -> assertThat(line).startsWith(prefix)
                    .matches("q\\d+\\s+\\|\\s+\\d+\\s+\\|\\s+[0-9.]+\\s+\\|\\s+\\d+\\s+\\| ok"));
        }
        // q1 has four groups; q6 one row; bytes crossed the network.
        assertThat(lines).anySatisfy(line -> assertThat(line).matches("q1\\s+\\|\\s+4\\s+\\|.*"));
        assertThat(lines).anySatisfy(line -> assertThat(line).matches("q6\\s+\\|\\s+1\\s+\\|.*"));
        assertThat(output).contains("== 22 queries ok, 0 failed").contains("== cluster stopped\n");
    }
}
