package io.mppnode.server.exchange;

import static io.mppnode.server.Conditions.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.error.MppException;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.CompressionMode;
import io.mppnode.proto.plan.ExchangeReceiver;
import io.mppnode.proto.plan.ExchangeSender;
import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.exchange.partition.PartitionHash;
import io.mppnode.exchange.partition.Partitioning;
import io.mppnode.proto.plan.ColumnRef;
import io.mppnode.proto.plan.ExecutionSummary;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Expr;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.TableScan;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.TestingNode;
import io.mppnode.server.coordinator.Coordinator;
import io.mppnode.server.coordinator.Fragment;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import io.mppnode.server.sample.SampleTables;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Plans whose fragments exchange data between tasks, on real nodes over loopback: local tunnels
 * (sender and receiver on one node) and remote ones, every partitioning and compression.
 */
class ExchangeClusterTest {
    private static final List<String> COLUMNS = List.of("order_id", "customer", "price", "order_date");
    private static final List<Field> SCHEMA = List.of(
            field("order_id", ColumnTypes.of(TypeKind.INT64)),
            field("customer", ColumnTypes.of(TypeKind.STRING)),
            field("price", ColumnTypes.decimal(12, 2)),
            field("order_date", ColumnTypes.of(TypeKind.DATE)));

    private static final long BIG_TABLE_ID = 2;

    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void passThroughToAReceiverOnTheSameNodeMovesBatchesLocally() {
        try (TestingNode node = TestingNode.start()) {
            QueryResult result = run(node, gather(List.of(node.address()),
                    Fragment.of(scanAndSend(sender -> sender.setType(ExchangeType.PASS_THROUGH)), List.of(node.address()))));
            assertThat(result.rows()).extracting(row -> row.get(0)).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(result.rows().get(3).get(1)).isEqualTo("Kunde#Ä-ß-東京");
            assertThat(scrape(node)).contains("mpp_exchange_sent_packets_total{compression=\"local\"");
            awaitTrue("tasks ended", () -> node.node().tasks().taskCount() == 0);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CompressionMode.class, names = {"COMPRESSION_NONE", "LZ4_FRAME", "ZSTD"})
    void broadcastGivesEveryReceiverEveryRowLocallyAndRemotely(CompressionMode compression) {
        try (TestingNode first = TestingNode.start(); TestingNode second = TestingNode.start()) {
            List<String> both = List.of(first.address(), second.address());
            QueryResult result = run(first, gather(both, Fragment.of(scanAndSend(sender -> sender
                    .setType(ExchangeType.BROADCAST).setCompression(compression)), List.of(first.address()))));
            // Each of the two receivers got all five rows.
            assertThat(result.rows()).extracting(row -> row.get(0))
                    .containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 1L, 2L, 3L, 4L, 5L);
            assertThat(result.rows()).filteredOn(row -> row.get(0).equals(4L)).extracting(row -> row.get(1))
                    .containsOnly("Kunde#Ä-ß-東京");
            String tag = switch (compression) {
                case LZ4_FRAME -> "lz4_frame";
                case ZSTD -> "zstd";
                default -> "none";
            };
            assertThat(scrape(first)).containsPattern("mpp_exchange_sent_packets_total\\{compression=\"" + tag + "\"[^}]*} [1-9]");
            assertThat(scrape(second)).containsPattern("mpp_exchange_received_packets_total\\{compression=\"" + tag + "\"[^}]*} [1-9]");
            // Every packet went out through the zero-copy route: one copy into Netty's buffers.
            assertThat(first.node().exchangeMarshaller().zeroCopyWrites()).isPositive();
            assertThat(first.node().exchangeMarshaller().fallbackWrites()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = CompressionMode.class, names = {"COMPRESSION_NONE", "LZ4_FRAME", "ZSTD"})
    void hashShuffleWithFineGrainedStreamsSendsEveryRowToTheReceiverOfItsPartition(CompressionMode compression) {
        try (TestingNode first = TestingNode.start(); TestingNode second = TestingNode.start()) {
            List<String> both = List.of(first.address(), second.address());
            Fragment scans = Fragment.of(scanAndSend(sender -> sender.setType(ExchangeType.HASH).setCompression(compression)
                    .setFineGrainedStreamCount(3)
                    .addPartitionKeys(Expr.newBuilder().setColumn(ColumnRef.newBuilder().setName("order_id")))), both);
            QueryResult result = run(first, gather(both, scans));

            // Both nodes scan the same five rows: ten rows in all, each key twice.
            assertThat(result.rows()).extracting(row -> row.get(0))
                    .containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 1L, 2L, 3L, 4L, 5L);
            // Each receiver got exactly the rows of its partition (receiver i takes hash mod 2 == i).
            long[] expected = expectedRowsPerReceiver(List.of(1L, 2L, 3L, 4L, 5L), 2);
            List<Long> received = result.summaries().values().stream()
                    .map(summaries -> summaries.stream().filter(s -> s.getExecutorId().equals("exchange_receiver_2")).findFirst().orElseThrow())
                    .map(ExecutionSummary::getNumProducedRows)
                    .toList();
            assertThat(received).containsExactlyInAnyOrder(2 * expected[0], 2 * expected[1]);
        }
    }

    @Test
    void largeBatchesLeaveFromArrowMemoryAndTheSendingTaskDoesNotWaitForTheWire() {
        int rows = 60_000;
        try (TestingNode first = TestingNode.start(); TestingNode second = TestingNode.start()) {
            Table.Builder table = Table.builder(BIG_TABLE_ID, "big")
                    .column("id", ColumnTypes.of(TypeKind.INT64))
                    .column("name", ColumnTypes.of(TypeKind.STRING));
            for (long id = 0; id < rows; id++) {
                table.row(id, "name of row " + id);
            }
            second.node().catalog().add(table.build(second.node().allocator()));
            List<Field> schema = List.of(field("id", ColumnTypes.of(TypeKind.INT64)), field("name", ColumnTypes.of(TypeKind.STRING)));
            Executor scan = Executor.newBuilder()
                    .setExecutorId("exchange_sender_1")
                    .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                    .addChildren(Executor.newBuilder().setExecutorId("table_scan_0")
                            .setTableScan(TableScan.newBuilder().setTableId(BIG_TABLE_ID).addColumns("id").addColumns("name")))
                    .build();
            Fragment root = new Fragment(receiveAndSend(schema), List.of(first.address()),
                    List.of(Fragment.of(scan, List.of(second.address()))));

            QueryResult result = run(first, root);

            assertThat(result.rows()).hasSize(rows);
            assertThat(result.rows()).extracting(row -> (Long) row.get(0)).doesNotHaveDuplicates().allMatch(id -> id >= 0 && id < rows);
            assertThat(result.rows()).allMatch(row -> row.get(1).equals("name of row " + row.get(0)));
            // The batches' buffers (8192 rows: 64 KiB of ids) went to the socket in place, and the
            // scan task ended without a leak although the wire held them after its last write.
            assertThat(second.node().exchangeMarshaller().inPlaceWrites()).isPositive();
            assertThat(second.node().exchangeMarshaller().fallbackWrites()).isZero();
            awaitTrue("tasks ended on both nodes", () -> first.node().tasks().taskCount() == 0 && second.node().tasks().taskCount() == 0);
            awaitTrue("the wire let go of every packet", () -> scrape(second).contains("mpp_exchange_wire_bytes 0.0"));
        }
    }

    /** How many of {@code keys} the documented partition hash sends to each of {@code receivers}. */
    private long[] expectedRowsPerReceiver(List<Long> keys, int receivers) {
        Schema schema = new Schema(List.of(new org.apache.arrow.vector.types.pojo.Field("k",
                FieldType.nullable(new ArrowType.Int(64, true)), null)));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
            BigIntVector vector = (BigIntVector) batch.getVector(0);
            for (int i = 0; i < keys.size(); i++) {
                vector.setSafe(i, keys.get(i));
            }
            batch.setRowCount(keys.size());
            long[] hashes = new long[keys.size()];
            new PartitionHash(schema, List.of(0)).hashRows(batch, hashes);
            long[] counts = new long[receivers];
            for (long hash : hashes) {
                // Receiver-minor: partition p of (receivers x streams) goes to receiver p % receivers.
                counts[Partitioning.of(receivers, 3).target(PartitionHash.partition(hash, receivers * 3))]++;
            }
            return counts;
        }
    }

    @Test
    void aReceiverWhoseSchemaDoesNotMatchFailsTheQueryNamingTheSourceAndTheNodeKeepsServing() {
        try (TestingNode first = TestingNode.start(); TestingNode second = TestingNode.start()) {
            List<Field> wrong = List.of(SCHEMA.get(0), SCHEMA.get(2), SCHEMA.get(1), SCHEMA.get(3));
            Fragment scan = Fragment.of(scanAndSend(sender -> sender.setType(ExchangeType.PASS_THROUGH)), List.of(first.address()));
            Fragment root = new Fragment(receiveAndSend(wrong), List.of(second.address()), List.of(scan));
            Coordinator coordinator = first.node().newCoordinator(allocator);
            assertThatThrownBy(() -> coordinator.execute(QuerySpec.of(root)))
                    .isInstanceOf(MppException.class)
                    .hasMessageContaining("task ")
                    .hasMessageContaining(" at " + first.address())
                    .hasMessageContaining("schema does not match");
            awaitTrue("tasks ended on both nodes", () -> first.node().tasks().taskCount() == 0 && second.node().tasks().taskCount() == 0);
            assertThat(run(first, gather(List.of(second.address()), scan)).rows()).hasSize(5);
        }
    }

    private QueryResult run(TestingNode node, Fragment root) {
        return node.node().newCoordinator(allocator).execute(QuerySpec.of(root));
    }

    /** A root fragment on {@code nodes} that receives from {@code child} and passes everything to the coordinator. */
    private static Fragment gather(List<String> nodes, Fragment child) {
        return new Fragment(receiveAndSend(SCHEMA), nodes, List.of(child));
    }

    private static Executor receiveAndSend(List<Field> schema) {
        return Executor.newBuilder()
                .setExecutorId("exchange_sender_3")
                .setExchangeSender(ExchangeSender.newBuilder().setType(ExchangeType.PASS_THROUGH))
                .addChildren(Executor.newBuilder()
                        .setExecutorId("exchange_receiver_2")
                        .setExchangeReceiver(ExchangeReceiver.newBuilder().addAllSchema(schema)))
                .build();
    }

    private static Executor scanAndSend(UnaryOperator<ExchangeSender.Builder> sender) {
        Executor query = SampleTables.scanAndSend(COLUMNS);
        Executor.Builder builder = query.toBuilder();
        sender.apply(builder.getExchangeSenderBuilder());
        return builder.build();
    }

    private static String scrape(TestingNode node) {
        return node.node().meters().scrape();
    }

    private static Field field(String name, io.mppnode.proto.plan.DataType type) {
        return Field.newBuilder().setName(name).setType(type).build();
    }
}
