package io.mppnode.benchmarks;

import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.server.MppNode;
import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.replication.ReplicationManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The upstream table of the replication benchmarks and what drives it: {@code bench.lineitem}, a
 * lineitem-like table (BIGINT primary key, BIGINT, three INTs, three DECIMAL(15,2), a DATE and two
 * VARCHARs in utf8mb4; about 185 bytes of binlog per row), rows generated deterministically
 * from their key, multi-row INSERT transactions, the replication spec, and a node to replicate
 * into.
 */
final class ReplicationWorkload {
    static final String DATABASE = "bench";
    static final String TABLE = DATABASE + ".lineitem";
    /** The server_id the node gives the source; the connector-only peer uses another. */
    static final int NODE_SERVER_ID = 6000;

    private static final String[] SHIP_MODES = {"AIR", "AIR REG", "FOB", "MAIL", "RAIL", "SHIP", "TRUCK"};
    private static final String[] WORDS = {"furiously", "quickly", "carefully", "regular", "special", "ironic", "pending",
            "final", "express", "bold", "deposits", "requests", "packages", "accounts", "theodolites", "pinto", "beans"};
    private static final LocalDate FIRST_SHIP_DATE = LocalDate.of(1992, 1, 2);

    private ReplicationWorkload() {}

    /** Creates the database and the table (empty). */
    static void createTable(BenchMariaDb maria) throws SQLException {
        maria.execute("CREATE DATABASE " + DATABASE,
                """
                CREATE TABLE bench.lineitem (
                  l_id BIGINT NOT NULL PRIMARY KEY,
                  l_orderkey BIGINT NOT NULL,
                  l_partkey INT NOT NULL,
                  l_suppkey INT NOT NULL,
                  l_linenumber INT NOT NULL,
                  l_quantity DECIMAL(15,2) NOT NULL,
                  l_extendedprice DECIMAL(15,2) NOT NULL,
                  l_discount DECIMAL(15,2) NOT NULL,
                  l_shipdate DATE NOT NULL,
                  l_shipmode VARCHAR(10) NOT NULL,
                  l_comment VARCHAR(44) NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""");
    }

    /** One multi-row INSERT of rows with keys {@code first} to {@code first + count - 1}. */
    static String insert(long first, int count) {
        StringBuilder sql = new StringBuilder(count * 120 + 64).append("INSERT INTO bench.lineitem VALUES ");
        for (long id = first; id < first + count; id++) {
            SplittableRandom random = new SplittableRandom(id);
            long quantity = 1 + random.nextInt(50);
            long price = 90_000 + random.nextInt(10_000_000); // cents
            sql.append(id == first ? "(" : ",(")
                    .append(id).append(',')
                    .append(id / 4 + 1).append(',')
                    .append(1 + random.nextInt(200_000)).append(',')
                    .append(1 + random.nextInt(10_000)).append(',')
                    .append(id % 7 + 1).append(',')
                    .append(quantity).append(".00,")
                    .append(price / 100).append('.').append(String.format("%02d", price % 100)).append(',')
                    .append("0.0").append(random.nextInt(10)).append(",'")
                    .append(FIRST_SHIP_DATE.plusDays(random.nextInt(2500))).append("','")
                    .append(SHIP_MODES[random.nextInt(SHIP_MODES.length)]).append("','");
            int words = 2 + random.nextInt(4);
            int length = 0;
            for (int w = 0; w < words; w++) {
                String word = WORDS[random.nextInt(WORDS.length)];
                if (length + word.length() + 1 > 44) {
                    break;
                }
                sql.append(w == 0 ? "" : " ").append(word);
                length += word.length() + 1;
            }
            sql.append("')");
        }
        return sql.toString();
    }

    /**
     * Inserts {@code rows} rows with keys from {@code firstId}, {@code perTransaction} rows per
     * INSERT, each INSERT its own transaction.
     */
    static void load(BenchMariaDb maria, long firstId, long rows, int perTransaction) throws SQLException {
        try (Connection connection = maria.connect(); Statement statement = connection.createStatement()) {
            for (long id = firstId; id < firstId + rows; id += perTransaction) {
                statement.execute(insert(id, (int) Math.min(perTransaction, firstId + rows - id)));
            }
        }
    }

    /** replicate-* for bench.lineitem from {@code maria}. */
    static ReplicationSpec spec(BenchMariaDb maria, String start, String mode) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("replicate-source", maria.address());
        values.put("replicate-user", BenchMariaDb.REPLICA_USER);
        values.put("replicate-password", BenchMariaDb.REPLICA_PASSWORD);
        values.put("replicate-server-id", String.valueOf(NODE_SERVER_ID));
        values.put("replicate-tables", TABLE);
        values.put("replicate-start", start);
        values.put("replicate-mode", mode);
        return ReplicationManager.spec(values);
    }

    /** A node to replicate into: its own temporary data dir, no sample tables, {@code binlog-fsync} as given. */
    static final class Node implements AutoCloseable {
        final MppNode node;
        private final Path dataDir;

        Node(String fsync) throws IOException {
            dataDir = Files.createTempDirectory("mpp-bench-repl");
            try {
                node = MppNode.start(NodeConfig.load(Map.of(
                        "listen-address", "127.0.0.1:0",
                        "metrics-address", "",
                        "data-dir", dataDir.toString(),
                        "sample-tables", "false",
                        "memory-limit", "4GiB",
                        "binlog-fsync", fsync)));
            } catch (IOException | RuntimeException e) {
                BenchMariaDb.deleteTree(dataDir);
                throw e;
            }
        }

        ReplicationManager replication() {
            return node.replication();
        }

        @Override
        public void close() throws IOException {
            try {
                node.close();
            } finally {
                BenchMariaDb.deleteTree(dataDir);
            }
        }
    }
}
