package io.mppnode.server.cli;

import io.mppnode.server.admin.ArrowImporter;
import io.mppnode.server.admin.ArrowImporter.ImportException;
import io.mppnode.server.admin.ArrowImporter.Options;
import io.mppnode.server.admin.ArrowImporter.RegionPlan;
import io.mppnode.server.rpc.ChannelPool;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpp import}: loads an Arrow IPC file (or stream) into running nodes as a table of
 * regions, with a progress bar on a terminal (see {@link ArrowImporter} for the regions, their
 * ids and handles). Exits 0 when every region is stored, 2 with one line on stderr for what the
 * user can fix (an option, the file, a node's address or refusal), 1 for anything else.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Imports an Arrow IPC file (or stream) into running nodes as a new table.",
                "Rows get handles 0, 1, ... in file order and are cut into regions of --region-rows rows: region k holds "
                        + "handles [k*R, (k+1)*R), the last one [k*R, +inf). Region k gets id --first-region-id + k "
                        + "(default: table id * 100000 + 1 + k, as TPC-H's parts) and goes to node k mod (number of nodes).",
                "Column types: " + ArrowImporter.SUPPORTED_TYPES})
public final class ImportCommand implements Callable<Integer> {
    @Option(names = "--file", paramLabel = "FILE", description = "the Arrow IPC file (or stream) to import")
    private Path file;

    @Option(names = "--table", paramLabel = "NAME", description = "the table's name")
    private String table;

    @Option(names = "--table-id", paramLabel = "ID", description = "the table's id (positive)")
    private String tableId;

    @Option(names = "--nodes", paramLabel = "HOST:PORT,...", description = "the nodes to import into")
    private String nodes;

    @Option(names = "--region-rows", paramLabel = "ROWS", description = "rows per region (default: ${DEFAULT-VALUE})",
            defaultValue = "" + ArrowImporter.DEFAULT_REGION_ROWS)
    private String regionRows;

    @Option(names = "--first-region-id", paramLabel = "ID", description = "the id of the first region (default: table id * 100000 + 1)")
    private String firstRegionId;

    @Option(names = "--message-bytes", paramLabel = "BYTES", hidden = true, defaultValue = "" + ArrowImporter.DEFAULT_MESSAGE_BYTES,
            description = "about how many bytes each ImportRegion message carries")
    private String messageBytes;

    private final PrintStream out;
    private ProgressBar progress;
    private final PrintStream err;
    private final boolean terminal;

    public ImportCommand() {
        this(System.out, System.err, ProgressBar.isTerminal());
    }

    ImportCommand(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** Runs {@code mpp import} with these arguments; the exit code. */
    static int run(PrintStream out, PrintStream err, boolean terminal, String... args) {
        CommandLine commandLine = new CommandLine(new ImportCommand(out, err, terminal));
        commandLine.setOut(new java.io.PrintWriter(out, true));
        commandLine.setErr(new java.io.PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        try (BufferAllocator allocator = new RootAllocator();
                ChannelPool channels = new ChannelPool()) {
            Options options = options();
            ArrowImporter.Result result = new ArrowImporter(channels, allocator).run(options, new ArrowImporter.Listener() {
                @Override
                public void started(long totalRows, List<RegionPlan> regions) {
                    out.println(String.format(Locale.ROOT, "importing %d rows of %s into table '%s' (id %d): %d regions on %d nodes",
                            totalRows, options.file(), options.table(), options.tableId(), regions.size(), options.nodes().size()));
                    progress = new ProgressBar("import " + options.table(), totalRows, out, terminal);
                }

                @Override
                public void sent(long rows) {
                    progress.update(rows);
                }
            });
            progress.finish();
            Map<String, List<RegionPlan>> byNode = new LinkedHashMap<>();
            result.regions().forEach(region -> byNode.computeIfAbsent(region.node(), node -> new ArrayList<>()).add(region));
            out.println(String.format(Locale.ROOT, "imported %d rows into table '%s' (id %d) in %.1f s", result.rows(), options.table(),
                    options.tableId(), result.elapsed().toNanos() / 1e9));
            byNode.forEach((node, regions) -> out.println("  " + node + ": " + regions.stream().mapToLong(RegionPlan::rows).sum()
                    + " rows in regions " + regions.stream().map(region -> region.regionId() + " " + region.handles()).toList()));
            return 0;
        } catch (ImportException e) {
            endProgressLine();
            err.println("mpp import: " + oneLine(e.getMessage()));
            return e.exitCode();
        } catch (RuntimeException e) {
            endProgressLine();
            err.println("mpp import: failed: " + oneLine(String.valueOf(e)));
            return 1;
        }
    }

    /** A progress line a failure interrupted ends before the error is printed. */
    private void endProgressLine() {
        if (progress != null && terminal && progress.done() > 0) {
            out.println();
        }
    }

    private Options options() {
        if (file == null) {
            throw new ImportException("give the file to import: --file FILE");
        }
        if (table == null || table.isBlank()) {
            throw new ImportException("give the table's name: --table NAME");
        }
        if (tableId == null) {
            throw new ImportException("give the table's id: --table-id ID");
        }
        if (nodes == null || nodes.isBlank()) {
            throw new ImportException("give the nodes to import into: --nodes HOST:PORT,...");
        }
        List<String> addresses = List.of(nodes.split(",")).stream().map(String::strip).filter(node -> !node.isEmpty()).toList();
        return new Options(file, table, number("--table-id", tableId), addresses, number("--region-rows", regionRows),
                firstRegionId == null ? 0 : positive("--first-region-id", firstRegionId),
                (int) Math.min(Integer.MAX_VALUE, positive("--message-bytes", messageBytes)));
    }

    private static long number(String option, String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new ImportException(option + " must be a whole number, got '" + value + "'");
        }
    }

    private static long positive(String option, String value) {
        long number = number(option, value);
        if (number <= 0) {
            throw new ImportException(option + " must be positive, got " + number);
        }
        return number;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ");
    }
}
