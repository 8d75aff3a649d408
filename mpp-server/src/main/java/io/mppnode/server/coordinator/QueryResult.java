package io.mppnode.server.coordinator;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.plan.ExecutionSummary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What a query returned: the schema, the rows as Java values (see
 * {@code io.mppnode.exec.type.ArrowValues}), the execution summaries of every task that sent
 * them (by task id), and the exchange figures of the root streams.
 */
public record QueryResult(Schema schema, List<List<Object>> rows, Map<Long, List<ExecutionSummary>> summaries,
        long packets, long bytes, Duration elapsed) {
    public QueryResult {
        requireNonNull(schema, "schema is null");
        rows = List.copyOf(rows.stream().map(row -> java.util.Collections.unmodifiableList(new ArrayList<>(row))).toList());
        summaries = Map.copyOf(summaries);
        requireNonNull(elapsed, "elapsed is null");
    }

    /** The rows as an aligned text table, with a header. */
    public String format() {
        List<String> header = schema.getFields().stream().map(field -> field.getName()).toList();
        int[] widths = header.stream().mapToInt(String::length).toArray();
        List<List<String>> cells = new ArrayList<>();
        for (List<Object> row : rows) {
            List<String> line = new ArrayList<>();
            for (int i = 0; i < row.size(); i++) {
                String text = String.valueOf(row.get(i));
                widths[i] = Math.max(widths[i], text.length());
                line.add(text);
            }
            cells.add(line);
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, header, widths);
        StringBuilder rule = new StringBuilder();
        for (int width : widths) {
            rule.append(rule.isEmpty() ? "" : "-+-").append("-".repeat(width));
        }
        out.append(rule).append('\n');
        cells.forEach(line -> appendLine(out, line, widths));
        return out.toString();
    }

    /**
     * The execution summaries as an aligned text table: one line per executor of each task
     * (task id, executor, wall time, rows, batches, concurrency, peak memory), tasks in id order.
     */
    public String formatSummaries() {
        List<List<String>> lines = new ArrayList<>();
        summaries.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            for (ExecutionSummary summary : entry.getValue()) {
                lines.add(List.of(String.valueOf(entry.getKey()), summary.getExecutorId(),
                        String.format(java.util.Locale.ROOT, "%.3f", summary.getTimeProcessedNs() / 1e6),
                        String.valueOf(summary.getNumProducedRows()), String.valueOf(summary.getNumIterations()),
                        String.valueOf(summary.getConcurrency()), String.valueOf(summary.getPeakMemoryBytes())));
            }
        });
        List<String> header = List.of("task", "executor", "time_ms", "rows", "batches", "concurrency", "peak_memory_bytes");
        int[] widths = header.stream().mapToInt(String::length).toArray();
        for (List<String> line : lines) {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, header, widths);
        lines.forEach(line -> appendLine(out, line, widths));
        return out.toString();
    }

    private static void appendLine(StringBuilder out, List<String> cells, int[] widths) {
        for (int i = 0; i < cells.size(); i++) {
            out.append(i == 0 ? "" : " | ").append(String.format("%-" + widths[i] + "s", cells.get(i)));
        }
        out.append('\n');
    }
}
