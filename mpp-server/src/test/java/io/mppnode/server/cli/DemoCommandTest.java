package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
    @Test
    void printsTheSampleRowsAndTheExecutionSummaries() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exitCode = DemoCommand.run(out);
        }
        String output = bytes.toString(StandardCharsets.UTF_8);

        assertThat(exitCode).isZero();
        assertThat(output).contains("== mpp demo: one node at 127.0.0.1:");
        assertThat(output).contains("\"exchangeSender\"").contains("\"tableScan\"");
        assertThat(output).contains("== 5 rows from table sample_orders:");

        List<String> lines = output.lines().toList();
        int header = indexOfLineStartingWith(lines, "order_id ");
        assertThat(lines.get(header)).contains("customer").contains("quantity").contains("price")
                .contains("discount").contains("shipped").contains("order_date").contains("updated_at");
        assertThat(lines.get(header + 1)).matches("[-+]+");
        List<String> rows = lines.subList(header + 2, header + 7);
        assertThat(rows.get(0)).startsWith("1 ").contains("Customer#000000001").contains("17").contains("21168.23")
                .contains("0.04").contains("true").contains("1996-01-02");
        assertThat(rows.get(1)).startsWith("2 ").contains("Customer#000000002").contains("45983.16");
        assertThat(rows.get(2)).startsWith("3 ").contains("Customer#000000003").contains("13309.60").contains("false");
        assertThat(rows.get(3)).startsWith("4 ").contains("Kunde#Ä-ß-東京").contains("28955.64");
        assertThat(cells(rows.get(4))).containsExactly("5", "null", "24", "null", "null", "null", "null", "null");
        assertThat(cells(rows.get(0))).hasSize(8).startsWith("1", "Customer#000000001", "17", "21168.23", "0.04", "true", "1996-01-02");

        assertThat(output).containsPattern("== [0-9.]+ ms, \\d+ packets, \\d+ bytes over the exchange");
        assertThat(output).doesNotContain("== 0.0 ms, 0 packets");
        int summaries = lines.indexOf("== execution summaries:");
        assertThat(summaries).isGreaterThan(header);
        List<String> summaryLines = lines.subList(summaries + 1, lines.size());
        assertThat(summaryLines).anySatisfy(line -> assertThat(line).matches(
                "1\\s+\\|\\s+table_scan_0\\s+\\|\\s+[0-9.]+\\s+\\|\\s+5\\s+\\|\\s+\\d+\\s+\\|\\s+\\d+\\s+\\|\\s+\\d+\\s*"));
        assertThat(summaryLines).anySatisfy(line -> assertThat(line).matches(
                "1\\s+\\|\\s+exchange_sender_1\\s+\\|\\s+[0-9.]+\\s+\\|\\s+5\\s+\\|\\s+\\d+\\s+\\|\\s+\\d+\\s+\\|\\s+\\d+\\s*"));
    }

    private static int indexOfLineStartingWith(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starts with '" + prefix + "' in:\n" + String.join("\n", lines));
    }

    private static List<String> cells(String line) {
        return List.of(line.split("\\s*\\|\\s*")).stream().map(String::strip).toList();
    }
}
