package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.RecordKeys;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.ScanPiece;
import io.mppnode.exec.storage.Tables;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.ListTablesRequest;
import io.mppnode.proto.admin.RegionDescription;
import io.mppnode.proto.admin.TableDescription;
import io.mppnode.server.TestingNode;
import io.mppnode.server.admin.ImportFixtures;
import io.mppnode.server.sample.SampleTables;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mpp import} against real nodes on loopback: what the nodes hold afterwards, and every refusal. */
class ImportCommandTest {
    @TempDir
    Path dir;

    private BufferAllocator allocator;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    private int run(boolean terminal, String... args) {
        outBytes.reset();
        errBytes.reset();
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            return ImportCommand.run(out, err, terminal, args);
        }
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private void assertUserError(int exitCode, String... fragments) {
        assertThat(exitCode).as(err()).isEqualTo(2);
        assertThat(err()).startsWith("mpp import: ").endsWith(System.lineSeparator());
        assertThat(err().lines()).as("one line").hasSize(1);
        for (String fragment : fragments) {
            assertThat(err()).contains(fragment);
        }
    }

    /** The rows of a region as the store reads them back, in handle order. */
    private static List<List<Object>> rowsOf(Region region) {
        List<List<Object>> rows = new ArrayList<>();
        List<ColumnSchema> columns = region.table().columns();
        for (ScanPiece piece : region.snapshot(Long.MAX_VALUE, List.of())) {
            assertThat(piece.data().getSchema()).isEqualTo(Tables.arrowSchema(columns));
            for (int i = 0; i < piece.rowCount(); i++) {
                List<Object> row = new ArrayList<>();
                for (int column = 0; column < columns.size(); column++) {
                    row.add(ArrowValues.get(piece.data().getVector(column), piece.row(i)));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    @Test
    void importsAFileWithEveryTypeAndNullsIntoTwoNodes() {
        Path file = ImportFixtures.write(dir.resolve("data.arrow"), 1000, 137, true, allocator);
        try (TestingNode a = TestingNode.start(); TestingNode b = TestingNode.start()) {
            int exitCode = run(false, "--file", file.toString(), "--table", "things", "--table-id", "42",
                    "--nodes", a.address() + "," + b.address(), "--region-rows", "150", "--message-bytes", "4096");
            assertThat(exitCode).as(err()).isZero();
            assertThat(err()).isEmpty();
            assertThat(out()).contains("importing 1000 rows of " + file + " into table 'things' (id 42): 7 regions on 2 nodes")
                    .containsPattern("import things: 1000 rows in [0-9.]+ s, \\d+ rows/s")
                    .contains("imported 1000 rows into table 'things' (id 42)")
                    .contains("  " + a.address() + ": 550 rows in regions [4200001 [0, 150), 4200003 [300, 450), 4200005 [600, 750), 4200007 [900, +inf)]")
                    .contains("  " + b.address() + ": 450 rows in regions [4200002 [150, 300), 4200004 [450, 600), 4200006 [750, 900)]")
                    .doesNotContain("\r");

            for (int k = 0; k < 7; k++) {
                long regionId = 4_200_001 + k;
                TestingNode holder = k % 2 == 0 ? a : b;
                TestingNode other = k % 2 == 0 ? b : a;
                Region region = holder.node().catalog().region(regionId).orElseThrow();
                assertThat(other.node().catalog().region(regionId)).isEmpty();
                assertThat(region.tableId()).isEqualTo(42);
                assertThat(region.range()).isEqualTo(new HandleRange(150L * k, k == 6 ? Long.MAX_VALUE : 150L * (k + 1)));
                List<List<Object>> expected = new ArrayList<>();
                for (long row = 150L * k; row < Math.min(1000, 150L * (k + 1)); row++) {
                    expected.add(ImportFixtures.row(row));
                }
                assertThat(rowsOf(region)).as("region %d", regionId).isEqualTo(expected);
                // Handles are the row numbers.
                long first = 150L * k;
                assertThat(region.snapshot(Long.MAX_VALUE, List.of(new HandleRange(first, first + 1))).getFirst().rowCount()).isEqualTo(1);
            }

            for (TestingNode node : List.of(a, b)) {
                TableDescription table = AdminGrpc.newBlockingStub(node.channel()).listTables(ListTablesRequest.getDefaultInstance())
                        .getTablesList().stream().filter(t -> t.getId() == 42).findFirst().orElseThrow();
                assertThat(table.getName()).isEqualTo("things");
                assertThat(table.getColumnsList()).isEqualTo(ImportFixtures.COLUMNS);
                List<Long> ids = table.getRegionsList().stream().map(r -> r.getRegion().getId()).toList();
                assertThat(ids).isEqualTo(node == a ? List.of(4_200_001L, 4_200_003L, 4_200_005L, 4_200_007L) : List.of(4_200_002L, 4_200_004L, 4_200_006L));
                for (RegionDescription region : table.getRegionsList()) {
                    long k = region.getRegion().getId() - 4_200_001;
                    assertThat(RecordKeys.handleRange(42, region.getRegion().getStartKey().toByteArray(), region.getRegion().getEndKey().toByteArray()))
                            .isEqualTo(new HandleRange(150 * k, k == 6 ? Long.MAX_VALUE : 150 * (k + 1)));
                    assertThat(region.getRows()).isEqualTo(k == 6 ? 100 : 150);
                    assertThat(region.getBytes()).isPositive();
                }
            }

            // The same file again: refused before anything is sent, as the regions are there.
            assertUserError(run(false, "--file", file.toString(), "--table", "things", "--table-id", "42",
                    "--nodes", a.address() + "," + b.address(), "--region-rows", "150"),
                    "node " + a.address() + " holds region 4200001 [0, 150) of table 'things', which overlaps region 4200001 [0, 150) of the import");
        }
    }

    @Test
    void showsAProgressBarOnATerminalAndReadsTheStreamFormat() {
        Path file = ImportFixtures.write(dir.resolve("data.arrows"), 20_000, 3000, false, allocator);
        try (TestingNode a = TestingNode.start()) {
            int exitCode = run(true, "--file", file.toString(), "--table", "streamed", "--table-id", "7", "--nodes", a.address());
            assertThat(exitCode).as(err()).isZero();
            assertThat(out()).contains("importing 20000 rows of " + file + " into table 'streamed' (id 7): 1 regions on 1 nodes")
                    .contains("\rimport streamed [" + "=".repeat(ProgressBar.BAR_WIDTH) + "] 100% 20000/20000 rows")
                    .contains("imported 20000 rows into table 'streamed' (id 7)")
                    .contains(a.address() + ": 20000 rows in regions [700001 [0, +inf)]");
            Region region = a.node().catalog().region(700_001).orElseThrow();
            assertThat(region.range()).isEqualTo(new HandleRange(0, Long.MAX_VALUE));
            List<List<Object>> rows = rowsOf(region);
            assertThat(rows).hasSize(20_000);
            for (int row = 0; row < rows.size(); row += 997) {
                assertThat(rows.get(row)).isEqualTo(ImportFixtures.row(row));
            }
            assertThat(rows.getLast()).isEqualTo(ImportFixtures.row(19_999));
            // Stored in chunks of at most the store's chunk size.
            assertThat(region.snapshot(Long.MAX_VALUE, List.of())).allSatisfy(piece -> assertThat(piece.rowCount()).isLessThanOrEqualTo(Region.MAX_CHUNK_ROWS));
        }
    }

    @Test
    void importsAnEmptyFileAsOneEmptyRegionAndDecodesDictionaries() {
        Path empty = ImportFixtures.write(dir.resolve("empty.arrow"), 0, 10, true, allocator);
        Path dictionary = ImportFixtures.writeDictionaryFile(dir.resolve("dictionary.arrow"), allocator);
        try (TestingNode a = TestingNode.start(); TestingNode b = TestingNode.start()) {
            assertThat(run(false, "--file", empty.toString(), "--table", "nothing", "--table-id", "8", "--nodes", a.address() + "," + b.address()))
                    .as(err()).isZero();
            Region region = a.node().catalog().region(800_001).orElseThrow();
            assertThat(region.range()).isEqualTo(new HandleRange(0, Long.MAX_VALUE));
            assertThat(region.storedRows()).isZero();
            assertThat(b.node().catalog().tables()).extracting(t -> t.id()).doesNotContain(8L);

            assertThat(run(false, "--file", dictionary.toString(), "--table", "colors", "--table-id", "9", "--nodes", b.address(),
                    "--first-region-id", "77", "--region-rows", "3")).as(err()).isZero();
            assertThat(b.node().catalog().table(9).columns()).extracting(ColumnSchema::name).containsExactly("id", "color");
            assertThat(b.node().catalog().table(9).regions()).extracting(Region::id).containsExactly(77L, 78L);
            List<List<Object>> rows = new ArrayList<>(rowsOf(b.node().catalog().region(77).orElseThrow()));
            rows.addAll(rowsOf(b.node().catalog().region(78).orElseThrow()));
            assertThat(rows).isEqualTo(ImportFixtures.DICTIONARY_ROWS);
        }
    }

    @Test
    void refusesAMissingFileAndOneThatIsNotArrow() throws IOException {
        try (TestingNode a = TestingNode.start()) {
            Path missing = dir.resolve("missing.arrow");
            assertUserError(run(false, "--file", missing.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    "file " + missing + " does not exist");
            Path text = Files.writeString(dir.resolve("text.arrow"), "id,name\n1,hello\n");
            assertUserError(run(false, "--file", text.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    text + " is not an Arrow IPC file (no ARROW1 magic) nor an Arrow IPC stream");
            Path fake = Files.writeString(dir.resolve("fake.arrow"), "ARROW1\0\0 but then nothing that makes sense, and more bytes");
            assertUserError(run(false, "--file", fake.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    fake + " starts like an Arrow IPC file but is not one");
            Path good = ImportFixtures.write(dir.resolve("good.arrow"), 100, 10, true, allocator);
            byte[] bytes = Files.readAllBytes(good);
            Path truncated = Files.write(dir.resolve("truncated.arrow"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
            assertUserError(run(false, "--file", truncated.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    truncated + " starts like an Arrow IPC file but is not one: it does not end with the ARROW1 magic (cut short?)");
            Path stream = ImportFixtures.write(dir.resolve("good.arrows"), 100, 10, false, allocator);
            byte[] streamBytes = Files.readAllBytes(stream);
            Path truncatedStream = Files.write(dir.resolve("truncated.arrows"), java.util.Arrays.copyOf(streamBytes, streamBytes.length / 2));
            assertUserError(run(false, "--file", truncatedStream.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    truncatedStream + ": bad Arrow IPC message at offset ", "the file has");
            assertUserError(run(false, "--file", dir.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    dir + " is not a file");
            assertThat(a.node().catalog().tables()).extracting(t -> t.id()).containsExactly(SampleTables.SAMPLE_ORDERS_ID);
        }
    }

    @Test
    void refusesUnsupportedColumnTypesNamingTheColumn() {
        Path file = ImportFixtures.writeUnsupportedFile(dir.resolve("unsupported.arrow"), allocator);
        try (TestingNode a = TestingNode.start()) {
            assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address()),
                    "column 'small' has Arrow type Int(16, true), which the store cannot hold; supported: bool, int32, int64",
                    "timestamp[us] without time zone");
        }
    }

    @Test
    void refusesAnUnreachableNodeNamingItsAddress() throws IOException {
        Path file = ImportFixtures.write(dir.resolve("data.arrow"), 10, 10, true, allocator);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String unreachable = "127.0.0.1:" + port;
        try (TestingNode a = TestingNode.start()) {
            assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", a.address() + "," + unreachable),
                    "cannot reach node " + unreachable + ": UNAVAILABLE: io exception (", "Connection refused");
            assertThat(a.node().catalog().tables()).extracting(t -> t.id()).doesNotContain(5L);
        }
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", "localhost"),
                "node address 'localhost' is not HOST:PORT");
    }

    @Test
    void refusesBadOptions() {
        Path file = ImportFixtures.write(dir.resolve("data.arrow"), 10, 10, true, allocator);
        assertUserError(run(false, "--table", "t", "--table-id", "5", "--nodes", "127.0.0.1:1"), "give the file to import: --file FILE");
        assertUserError(run(false, "--file", file.toString(), "--table-id", "5", "--nodes", "127.0.0.1:1"), "--table NAME");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--nodes", "127.0.0.1:1"), "--table-id ID");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5"), "--nodes HOST:PORT");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "five", "--nodes", "127.0.0.1:1"),
                "--table-id must be a whole number, got 'five'");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "-3", "--nodes", "127.0.0.1:1"),
                "the table id must be positive, got -3");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", "127.0.0.1:1", "--region-rows", "0"),
                "rows per region must be at least 1, got 0");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", "127.0.0.1:1,127.0.0.1:1"),
                "node 127.0.0.1:1 is named twice");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", "127.0.0.1:1", "--first-region-id", "0"),
                "--first-region-id must be positive, got 0");
        assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--nodes", "127.0.0.1:1", "--region-rows", "1",
                "--first-region-id", String.valueOf(Long.MAX_VALUE - 3)), "exceed");
    }

    @Test
    void refusesClashesWithWhatTheNodesHoldBeforeSendingAnything() {
        Path file = ImportFixtures.write(dir.resolve("data.arrow"), 10, 10, true, allocator);
        try (TestingNode a = TestingNode.start()) {
            assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", String.valueOf(SampleTables.SAMPLE_ORDERS_ID),
                    "--nodes", a.address()), "node " + a.address() + " holds table id 1 as 'sample_orders'");
            assertUserError(run(false, "--file", file.toString(), "--table", SampleTables.SAMPLE_ORDERS, "--table-id", "5",
                    "--nodes", a.address()), "node " + a.address() + " holds a table named 'sample_orders' with id 1, not 5");
            assertUserError(run(false, "--file", file.toString(), "--table", "t", "--table-id", "5", "--first-region-id", "1",
                    "--nodes", a.address()), "node " + a.address() + " already holds a region with id 1");
            assertThat(a.node().catalog().tables()).extracting(t -> t.id()).containsExactly(SampleTables.SAMPLE_ORDERS_ID);
        }
    }

    @Test
    void reportsANodesRefusalMidImportWithTheRegionsStoredAndTheNodeKeepsServing() {
        Path file = ImportFixtures.write(dir.resolve("big.arrow"), 200_000, 8192, true, allocator);
        try (TestingNode a = TestingNode.start();
                TestingNode small = TestingNode.start(Map.of("memory-limit", "4MiB", "query-memory-limit", "2MiB"))) {
            int exitCode = run(false, "--file", file.toString(), "--table", "big", "--table-id", "11", "--nodes", a.address() + "," + small.address(),
                    "--region-rows", "50000");
            assertUserError(exitCode, "node " + small.address() + " refused region 1100002: RESOURCE_EXHAUSTED", "does not fit in the node's memory",
                    "give fewer --region-rows", "; regions stored before the failure: 1100001 on " + a.address());
            assertThat(small.node().catalog().tables()).extracting(t -> t.id()).doesNotContain(11L);
            // What the message lists is what the node holds.
            List<Long> held = a.node().catalog().table(11).regions().stream().map(Region::id).toList();
            assertThat(held).startsWith(1_100_001L);
            for (long regionId : held) {
                assertThat(err()).contains(regionId + " on " + a.address());
                assertThat(a.node().catalog().region(regionId).orElseThrow().storedRows()).isEqualTo(50_000);
            }
            assertThat(AdminGrpc.newBlockingStub(small.channel()).listTables(ListTablesRequest.getDefaultInstance()).getTablesCount()).isEqualTo(1);
        }
    }

    @Test
    void readsACompressedFile() {
        Path file = ImportFixtures.writeCompressed(dir.resolve("zstd.arrow"), 5000, allocator);
        try (TestingNode a = TestingNode.start()) {
            assertThat(run(false, "--file", file.toString(), "--table", "packed", "--table-id", "12", "--nodes", a.address(), "--region-rows", "4000"))
                    .as(err()).isZero();
            List<List<Object>> rows = new ArrayList<>(rowsOf(a.node().catalog().region(1_200_001).orElseThrow()));
            rows.addAll(rowsOf(a.node().catalog().region(1_200_002).orElseThrow()));
            assertThat(rows).hasSize(5000);
            for (int row = 0; row < 5000; row++) {
                assertThat(rows.get(row)).isEqualTo(ImportFixtures.row(row));
            }
        }
    }
}
