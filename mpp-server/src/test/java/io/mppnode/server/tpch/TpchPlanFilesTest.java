package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.plan.PlanJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checked-in {@code mpp-server/plans/tpch/qNN.json} files are the JSON form of
 * {@link TpchQueries#plan}. To rewrite them after changing a plan, run this test with
 * {@code -Dtpch.writePlans=true} (or run {@link TpchPlanFiles} from the repository root).
 */
class TpchPlanFilesTest {
    /** Relative to the module directory, where Maven runs tests. */
    private static final Path DIRECTORY = Path.of("plans", "tpch");

    static IntStream queries() {
        return IntStream.rangeClosed(1, TpchQueries.COUNT);
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void theCheckedInJsonIsTheBuildersPlan(int query) throws IOException {
        Path file = DIRECTORY.resolve(TpchPlanFiles.fileName(query));
        String json = TpchPlanFiles.json(query);
        if (Boolean.getBoolean("tpch.writePlans")) {
            Files.createDirectories(DIRECTORY);
            Files.writeString(file, json, StandardCharsets.UTF_8);
        }
        assertThat(file).as("%s (regenerate: run TpchPlanFilesTest with -Dtpch.writePlans=true)", file).exists();
        assertThat(Files.readString(file, StandardCharsets.UTF_8))
                .as("%s differs from TpchQueries.plan(%d); regenerate: run TpchPlanFilesTest with -Dtpch.writePlans=true", file, query)
                .isEqualTo(json);
        assertThat(PlanJson.fromJson(json)).as("the JSON reads back as the same plan").isEqualTo(TpchQueries.plan(query));
    }

    @Test
    void theMainWritesEveryPlan(@TempDir Path directory) throws IOException {
        TpchPlanFiles.main(new String[] {directory.toString()});
        for (int query = 1; query <= TpchQueries.COUNT; query++) {
            assertThat(directory.resolve(TpchPlanFiles.fileName(query))).hasContent(TpchPlanFiles.json(query));
        }
    }
}
