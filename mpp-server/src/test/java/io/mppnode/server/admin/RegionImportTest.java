package io.mppnode.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.ScanPiece;
import io.mppnode.exec.storage.Tables;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.ImportHeader;
import io.mppnode.proto.admin.ImportRequest;
import io.mppnode.proto.admin.ImportResponse;
import io.mppnode.proto.admin.ListTablesRequest;
import io.mppnode.proto.admin.TableDescription;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.Conditions;
import io.mppnode.server.TestingNode;
import io.mppnode.server.sample.SampleTables;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ImportRegion on a real node, message by message: what it stores, and what it refuses (the node keeps serving, and leaks nothing). */
class RegionImportTest {
    private static TestingNode node;
    private static BufferAllocator allocator;
    private static long nextTableId = 1000;

    @BeforeAll
    static void start() {
        node = TestingNode.start();
        allocator = new RootAllocator();
    }

    @AfterAll
    static void stop() {
        try {
            allocator.close();
        } finally {
            node.close();
        }
    }

    private record Outcome(long rows, Status status) {}

    private static Outcome call(ImportRequest... requests) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        StreamObserver<ImportRequest> stream = AdminGrpc.newStub(node.channel()).importRegion(new StreamObserver<>() {
            private long rows = -1;

            @Override
            public void onNext(ImportResponse response) {
                rows = response.getRows();
            }

            @Override
            public void onError(Throwable error) {
                outcome.complete(new Outcome(-1, Status.fromThrowable(error)));
            }

            @Override
            public void onCompleted() {
                outcome.complete(new Outcome(rows, Status.OK));
            }
        });
        for (ImportRequest request : requests) {
            stream.onNext(request);
        }
        stream.onCompleted();
        return outcome.orTimeout(30, TimeUnit.SECONDS).join();
    }

    private static ImportHeader.Builder header(long tableId, String name, long regionId, long start, long end, long first) {
        return ImportHeader.newBuilder().setTableId(tableId).setTableName(name).addAllColumns(ImportFixtures.COLUMNS)
                .setRegionId(regionId).setStartHandle(start).setEndHandle(end).setFirstHandle(first);
    }

    private static ImportRequest request(ImportHeader.Builder header) {
        return ImportRequest.newBuilder().setHeader(header).build();
    }

    private static ImportRequest data(byte[] ipc) {
        return ImportRequest.newBuilder().setArrowIpc(ByteString.copyFrom(ipc)).build();
    }

    private static ImportRequest rows(long from, long count, int batchRows) {
        return data(ImportFixtures.stream(ImportFixtures.SCHEMA, from, count, batchRows, allocator));
    }

    private static long tableId() {
        return ++nextTableId;
    }

    private static void assertRefused(Outcome outcome, Status.Code code, String... fragments) {
        assertThat(outcome.status().getCode()).as(String.valueOf(outcome.status())).isEqualTo(code);
        for (String fragment : fragments) {
            assertThat(outcome.status().getDescription()).contains(fragment);
        }
    }

    private static void assertNodeServes() {
        assertThat(AdminGrpc.newBlockingStub(node.channel()).listTables(ListTablesRequest.getDefaultInstance()).getTablesList())
                .extracting(TableDescription::getName).contains(SampleTables.SAMPLE_ORDERS);
    }

    @Test
    void storesTheRowsOfSeveralStreamsWithConsecutiveHandlesAndTheTablesNullableFields() {
        long tableId = tableId();
        long regionId = tableId * 100_000 + 1;
        // Two messages; the second's batches are larger than a stored chunk.
        Outcome outcome = call(request(header(tableId, "imported", regionId, 100, 30_000, 105)),
                rows(0, 1000, 300), rows(1000, 20_000, 10_000));
        assertThat(outcome.status().getCode()).as(String.valueOf(outcome.status())).isEqualTo(Status.Code.OK);
        assertThat(outcome.rows()).isEqualTo(21_000);

        Region region = node.node().catalog().region(regionId).orElseThrow();
        assertThat(region.range()).isEqualTo(new HandleRange(100, 30_000));
        assertThat(region.tableId()).isEqualTo(tableId);
        assertThat(region.storedRows()).isEqualTo(21_000);
        List<ColumnSchema> columns = ImportFixtures.COLUMNS.stream().map(f -> new ColumnSchema(f.getName(), f.getType())).toList();
        assertThat(node.node().catalog().table(tableId).columns()).isEqualTo(columns);
        long row = 0;
        for (ScanPiece piece : region.snapshot(Long.MAX_VALUE, List.of())) {
            assertThat(piece.data().getSchema()).isEqualTo(Tables.arrowSchema(columns));
            for (int i = 0; i < piece.rowCount(); i++) {
                List<Object> values = new ArrayList<>();
                for (int column = 0; column < columns.size(); column++) {
                    values.add(ArrowValues.get(piece.data().getVector(column), piece.row(i)));
                }
                assertThat(values).as("row %d", row).isEqualTo(ImportFixtures.row(row));
                row++;
            }
        }
        assertThat(row).isEqualTo(21_000);
        // The handles: 105 .. 21104, so only those rows are in [105, 21105).
        assertThat(region.snapshot(Long.MAX_VALUE, List.of(new HandleRange(21_104, 21_105))).stream().mapToInt(ScanPiece::rowCount).sum()).isEqualTo(1);
        assertThat(region.snapshot(Long.MAX_VALUE, List.of(new HandleRange(100, 105))).stream().mapToInt(ScanPiece::rowCount).sum()).isZero();
        assertThat(region.snapshot(Long.MAX_VALUE, List.of(new HandleRange(21_105, 30_000))).stream().mapToInt(ScanPiece::rowCount).sum()).isZero();
        assertThat(region.snapshot(0, List.of()).stream().mapToInt(ScanPiece::rowCount).sum()).as("visible at ts 0").isEqualTo(21_000);

        // A second region of the same table; and an empty one.
        assertThat(call(request(header(tableId, "imported", regionId + 1, 30_000, Long.MAX_VALUE, 30_000)), rows(5, 3, 3)).rows()).isEqualTo(3);
        assertThat(call(request(header(tableId, "imported", regionId + 2, -50, 0, -50))).rows()).isZero();
        assertThat(node.node().catalog().table(tableId).regions()).extracting(Region::id).containsExactly(regionId + 2, regionId, regionId + 1);
    }

    @Test
    void refusesDataThatIsNotArrowIpc() {
        long tableId = tableId();
        ImportRequest header = request(header(tableId, "t" + tableId, tableId * 10, 0, 100, 0));
        assertRefused(call(header, data("hello, not arrow at all".getBytes())), Status.Code.INVALID_ARGUMENT,
                "ImportRequest 2 (arrow_ipc of 23 bytes) is not an Arrow IPC stream", "bytes of metadata");
        byte[] good = ImportFixtures.stream(ImportFixtures.SCHEMA, 0, 10, 10, allocator);
        assertRefused(call(header, data(Arrays.copyOf(good, good.length - 40))), Status.Code.INVALID_ARGUMENT,
                "is not an Arrow IPC stream", "claims a body of");
        assertRefused(call(header, data(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0})), Status.Code.INVALID_ARGUMENT, "it has no schema message");
        byte[] garbageMetadata = new byte[64];
        garbageMetadata[0] = 56;
        Arrays.fill(garbageMetadata, 4, 64, (byte) 0x7f);
        assertRefused(call(header, data(garbageMetadata)), Status.Code.INVALID_ARGUMENT, "is not an Arrow IPC stream");
        byte[] trailing = Arrays.copyOf(good, good.length + 5);
        assertRefused(call(header, data(trailing)), Status.Code.INVALID_ARGUMENT, "5 bytes follow the end-of-stream marker");
        assertThat(node.node().catalog().region(tableId * 10)).isEmpty();
        assertNodeServes();
    }

    @Test
    void refusesWrongColumnsAndTypes() {
        long tableId = tableId();
        ImportRequest header = request(header(tableId, "t" + tableId, tableId * 10, 0, 100, 0));
        List<org.apache.arrow.vector.types.pojo.Field> fields = new ArrayList<>(ImportFixtures.SCHEMA.getFields());
        fields.set(1, ImportFixtures.field("i32", new ArrowType.Int(64, true), true));
        assertRefused(call(header, data(ImportFixtures.stream(new Schema(fields), 0, 5, 5, allocator))), Status.Code.INVALID_ARGUMENT,
                "column 'i32' is Arrow Int(64, true)", "has it as int32");
        fields = new ArrayList<>(ImportFixtures.SCHEMA.getFields());
        fields.set(5, ImportFixtures.field("name", ArrowType.Utf8.INSTANCE, true));
        assertRefused(call(header, data(ImportFixtures.stream(new Schema(fields), 0, 5, 5, allocator))), Status.Code.INVALID_ARGUMENT,
                "column 6 is 'name'", "has 's' there");
        assertRefused(call(header, data(ImportFixtures.stream(new Schema(ImportFixtures.SCHEMA.getFields().subList(0, 3)), 0, 5, 5, allocator))),
                Status.Code.INVALID_ARGUMENT, "has 3 columns", "has 8");
        assertThat(node.node().catalog().region(tableId * 10)).isEmpty();
        assertNodeServes();
    }

    @Test
    void refusesMalformedVectors() {
        long tableId = tableId();
        Schema schema = new Schema(List.of(ImportFixtures.field("s", ArrowType.Utf8.INSTANCE, true)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            VarCharVector strings = (VarCharVector) root.getVector(0);
            strings.allocateNew();
            strings.setSafe(0, "abc".getBytes());
            strings.setSafe(1, "de".getBytes());
            root.setRowCount(2);
            WriteChannel channel = new WriteChannel(Channels.newChannel(out));
            MessageSerializer.serialize(channel, schema);
            try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
                // The last offset points far past the data (the batch shares the vector's memory).
                strings.getOffsetBuffer().setInt(8, 1_000_000);
                MessageSerializer.serialize(channel, batch);
            }
            ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ImportHeader.Builder header = header(tableId, "t" + tableId, tableId * 10, 0, 100, 0).clearColumns()
                .addColumns(ImportFixtures.column("s", ColumnTypes.of(TypeKind.STRING)));
        assertRefused(call(request(header), data(out.toByteArray())), Status.Code.INVALID_ARGUMENT, "column 's' is malformed");
        assertNodeServes();
    }

    @Test
    void refusesHandlesBeyondTheRegion() {
        long tableId = tableId();
        assertRefused(call(request(header(tableId, "t" + tableId, tableId * 10, 0, 10, 5)), rows(0, 4, 4), rows(4, 2, 2)),
                Status.Code.INVALID_ARGUMENT, "rows 4..5 of the import would get handles from 9 on, beyond region " + tableId * 10 + " [0, 10)");
        assertRefused(call(request(header(tableId, "t" + tableId, tableId * 10, Long.MAX_VALUE - 10, Long.MAX_VALUE, Long.MAX_VALUE - 1)),
                rows(0, 3, 3)), Status.Code.INVALID_ARGUMENT, "beyond region");
        assertThat(node.node().catalog().region(tableId * 10)).as("a refused import leaves nothing").isEmpty();
        // The same region id imports fine afterwards.
        assertThat(call(request(header(tableId, "t" + tableId, tableId * 10, 0, 10, 5)), rows(0, 5, 5)).rows()).isEqualTo(5);
    }

    @Test
    void refusesBadHeaders() {
        long tableId = tableId();
        assertRefused(call(request(header(tableId, "t", tableId * 10, 10, 10, 10))), Status.Code.INVALID_ARGUMENT, "is empty or ends before it starts");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 10, 5, 10))), Status.Code.INVALID_ARGUMENT, "[10, 5) is empty");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 0, 10, 10))), Status.Code.INVALID_ARGUMENT, "first handle 10 is outside its handle range [0, 10)");
        assertRefused(call(request(header(tableId, "t", 0, 0, 10, 0))), Status.Code.INVALID_ARGUMENT, "region id must be in");
        assertRefused(call(request(header(0, "t", tableId * 10, 0, 10, 0))), Status.Code.INVALID_ARGUMENT, "table id must be positive");
        assertRefused(call(request(header(tableId, "", tableId * 10, 0, 10, 0))), Status.Code.INVALID_ARGUMENT, "has no name");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 0, 10, 0).clearColumns())), Status.Code.INVALID_ARGUMENT, "has no columns");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 0, 10, 0).addColumns(Field.newBuilder().setName("x")))),
                Status.Code.INVALID_ARGUMENT, "column 'x'", "not specified");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 0, 10, 0).addColumns(ImportFixtures.column("x", DataType.newBuilder()
                .setKind(TypeKind.DECIMAL).setPrecision(40).build())))), Status.Code.INVALID_ARGUMENT, "decimal(40, 0) is out of range");
        assertRefused(call(request(header(tableId, "t", tableId * 10, 0, 10, 0).addColumns(ImportFixtures.COLUMNS.get(0)))),
                Status.Code.INVALID_ARGUMENT, "two columns named 'b'");
        assertRefused(call(), Status.Code.INVALID_ARGUMENT, "ended before its header");
        assertRefused(call(ImportRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "sets neither header nor arrow_ipc");
        assertThat(node.node().catalog().tables()).extracting(t -> t.id()).doesNotContain(tableId);
        assertNodeServes();
    }

    @Test
    void refusesDataBeforeTheHeaderAndASecondHeader() {
        long tableId = tableId();
        assertRefused(call(rows(0, 3, 3), request(header(tableId, "t" + tableId, tableId * 10, 0, 10, 0))), Status.Code.INVALID_ARGUMENT,
                "arrow_ipc arrived before the header");
        assertRefused(call(request(header(tableId, "t" + tableId, tableId * 10, 0, 10, 0)), rows(0, 3, 3),
                request(header(tableId, "t" + tableId, tableId * 10 + 1, 10, 20, 10))), Status.Code.INVALID_ARGUMENT,
                "a second header (region " + (tableId * 10 + 1) + ") arrived after the header of region " + tableId * 10);
        assertThat(node.node().catalog().region(tableId * 10)).isEmpty();
        assertNodeServes();
    }

    @Test
    void refusesClashesWithWhatTheNodeHolds() {
        long tableId = tableId();
        String name = "t" + tableId;
        assertThat(call(request(header(tableId, name, tableId * 10, 0, 100, 0)), rows(0, 10, 10)).rows()).isEqualTo(10);
        // Region id taken (by this table, and by the sample table's region).
        assertRefused(call(request(header(tableId, name, tableId * 10, 100, 200, 100)), rows(0, 10, 10)), Status.Code.ALREADY_EXISTS,
                "region id " + tableId * 10 + " is taken by region " + tableId * 10 + " of table '" + name + "'");
        assertRefused(call(request(header(tableId, name, SampleTables.SAMPLE_ORDERS_ID, 100, 200, 100))), Status.Code.ALREADY_EXISTS,
                "region id " + SampleTables.SAMPLE_ORDERS_ID + " is taken");
        // Handles overlapping a region of the table.
        assertRefused(call(request(header(tableId, name, tableId * 10 + 1, 50, 150, 100))), Status.Code.ALREADY_EXISTS,
                "overlaps region " + tableId * 10 + " [0, 100)");
        // The table id taken by another definition; the name taken by another id.
        assertRefused(call(request(header(SampleTables.SAMPLE_ORDERS_ID, "other", tableId * 10 + 2, 0, 10, 0))), Status.Code.ALREADY_EXISTS,
                "table id " + SampleTables.SAMPLE_ORDERS_ID + " is taken by '" + SampleTables.SAMPLE_ORDERS + "'");
        ImportHeader.Builder otherColumns = header(tableId, name, tableId * 10 + 2, 100, 200, 100).clearColumns()
                .addColumns(ImportFixtures.column("b", ColumnTypes.of(TypeKind.INT64)));
        assertRefused(call(request(otherColumns)), Status.Code.ALREADY_EXISTS, "table id " + tableId + " is taken by '" + name + "'");
        assertRefused(call(request(header(tableId + 500, name, tableId * 10 + 3, 0, 10, 0))), Status.Code.ALREADY_EXISTS,
                "table name '" + name + "' is taken by table id " + tableId);
        assertThat(node.node().catalog().table(tableId).regions()).extracting(Region::id).containsExactly(tableId * 10);
        assertNodeServes();
    }

    @Test
    void aCancelledImportLeavesNothingAndFreesItsMemory() {
        long tableId = tableId();
        long before = node.node().allocator().getAllocatedMemory();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<ImportRequest> stream = AdminGrpc.newStub(node.channel()).importRegion(new StreamObserver<>() {
            @Override
            public void onNext(ImportResponse response) {}

            @Override
            public void onError(Throwable error) {
                ended.complete(error);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });
        stream.onNext(request(header(tableId, "t" + tableId, tableId * 10, 0, 100_000, 0)));
        stream.onNext(rows(0, 50_000, 8192));
        // The node holds the decoded rows until the end of the call.
        Conditions.awaitTrue("the import holds its rows", () -> node.node().allocator().getAllocatedMemory() > before + 1_000_000);
        stream.onError(Status.CANCELLED.withDescription("the client gave up").asRuntimeException());
        assertThat(ended.orTimeout(30, TimeUnit.SECONDS).join()).isInstanceOf(StatusRuntimeException.class);
        Conditions.awaitTrue("the import's memory is freed", () -> node.node().allocator().getAllocatedMemory() == before);
        assertThat(node.node().catalog().region(tableId * 10)).isEmpty();
        assertNodeServes();
    }
}
