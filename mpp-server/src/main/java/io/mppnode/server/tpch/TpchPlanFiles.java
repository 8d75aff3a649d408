package io.mppnode.server.tpch;

import io.mppnode.exec.plan.PlanJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the JSON form of every TPC-H plan ({@link TpchQueries#plan}) as {@code qNN.json} into a
 * directory, by default {@code mpp-server/plans/tpch} (run from the repository root). The
 * checked-in files are this output; {@code TpchPlanFilesTest} fails when they differ.
 */
public final class TpchPlanFiles {
    public static final String DEFAULT_DIRECTORY = "mpp-server/plans/tpch";

    private TpchPlanFiles() {}

    public static void main(String[] args) throws IOException {
        Path directory = Path.of(args.length > 0 ? args[0] : DEFAULT_DIRECTORY);
        write(directory);
        System.out.println("wrote " + TpchQueries.COUNT + " plans to " + directory.toAbsolutePath());
    }

    /** The file name of query {@code query}'s plan: {@code qNN.json}. */
    public static String fileName(int query) {
        return String.format("q%02d.json", query);
    }

    /** The file content of query {@code query}'s plan: its JSON form and a final newline. */
    public static String json(int query) {
        return PlanJson.toJson(TpchQueries.plan(query)) + "\n";
    }

    public static void write(Path directory) throws IOException {
        Files.createDirectories(directory);
        for (int query = 1; query <= TpchQueries.COUNT; query++) {
            Files.writeString(directory.resolve(fileName(query)), json(query), StandardCharsets.UTF_8);
        }
    }
}
