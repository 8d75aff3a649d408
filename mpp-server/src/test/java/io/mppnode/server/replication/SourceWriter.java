package io.mppnode.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.binlog.BinlogEvent;
import io.mppnode.proto.binlog.EventType;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.server.Conditions;
import io.mppnode.server.TestingNode;
import io.mppnode.server.binlog.log.LogEntry;
import io.mppnode.server.binlog.log.LogReader;
import io.mppnode.server.binlog.log.SegmentedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread writing many small transactions to MariaDB while a test restarts things (a burst,
 * then a steady rate): inserts,
 * updates and deletes of {@code <db>.items} (an INT primary key; single-row, multi-row and
 * multi-statement transactions), each transaction also appending exactly one row to
 * {@code <db>.events} (an auto-increment key and the writer's sequence number). So the number of
 * upstream transactions that touched the replicated tables is the number of events rows, which
 * lets a test count the commits a node took for them ({@link #sourceCommits}).
 *
 * <p>The writer survives the source going away: a failed transaction (its outcome unknown when
 * the server died under it) is counted as failed, and the writer reconnects until the server is
 * back or it is stopped. Tests compare with what MariaDB holds, never with the writer's idea of it.
 */
final class SourceWriter implements AutoCloseable {
    /** Items rows {@link #createTables} puts in before replication starts (ids 1 to this). */
    static final int SEED_ITEMS = 50;
    /**
     * By default the first transactions go as fast as MariaDB takes them, well ahead of a replica
     * (whose queue of source events fills up); the rest at {@link #STEADY_PER_SECOND}, so that the
     * backlog a test must wait for stays bounded.
     */
    static final int BURST = 3000;
    static final int STEADY_PER_SECOND = 300;

    private final TestingMariaDb maria;
    private final String database;
    private final int burst;
    private final Thread thread;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Throwable> unexpected = new AtomicReference<>();
    private volatile boolean stopping;

    private SourceWriter(TestingMariaDb maria, String database, long seed, int burst) {
        this.maria = maria;
        this.database = database;
        this.burst = burst;
        this.thread = Thread.ofPlatform().name("source-writer-" + database).daemon().unstarted(() -> run(seed));
    }

    /** Creates {@code database} with its items (seeded) and events tables. */
    static void createTables(TestingMariaDb maria, String database) {
        List<String> statements = new ArrayList<>(List.of(
                "CREATE DATABASE " + database,
                "CREATE TABLE " + database + ".items (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(40), price DECIMAL(10,2))",
                "CREATE TABLE " + database + ".events (id BIGINT AUTO_INCREMENT PRIMARY KEY, seq BIGINT NOT NULL, kind VARCHAR(16) NOT NULL,"
                        + " note VARCHAR(40))"));
        StringBuilder seed = new StringBuilder("INSERT INTO " + database + ".items VALUES ");
        for (int id = 1; id <= SEED_ITEMS; id++) {
            seed.append(id == 1 ? "" : ", ").append("(").append(id).append(", ").append(id % 7).append(", 'seed ").append(id).append("', ")
                    .append(id).append(".50)");
        }
        statements.add(seed.toString());
        maria.execute("", statements);
    }

    /** Starts writing to {@code database} (made by {@link #createTables}), a burst of {@link #BURST} first. */
    static SourceWriter start(TestingMariaDb maria, String database, long seed) {
        return start(maria, database, seed, BURST);
    }

    /** Starts writing to {@code database}, the first {@code burst} transactions as fast as they go. */
    static SourceWriter start(TestingMariaDb maria, String database, long seed, int burst) {
        SourceWriter writer = new SourceWriter(maria, database, seed, burst);
        writer.thread.start();
        return writer;
    }

    /** Transactions that committed (the writer saw the COMMIT succeed). */
    long committed() {
        return committed.get();
    }

    /** Transactions that failed, the source having gone away under them. */
    long failed() {
        return failed.get();
    }

    /** Waits (bounded) until {@code count} transactions in all committed. */
    void awaitCommitted(long count) {
        Conditions.awaitTrue("the writer to commit " + count + " transactions (committed " + committed() + ", failed " + failed() + ")",
                () -> {
                    checkHealthy();
                    return committed() >= count;
                });
    }

    /** Stops writing after the transaction at hand and waits for the thread to end. */
    void stop() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the writer", e);
        }
        assertThat(thread.isAlive()).as("the writer stopped within 30 s").isFalse();
        checkHealthy();
    }

    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkHealthy() {
        Throwable error = unexpected.get();
        if (error != null) {
            throw new AssertionError("the writer failed", error);
        }
    }

    private void run(long seed) {
        Random random = new Random(seed);
        int nextId = SEED_ITEMS + 1;
        long seq = 0;
        Connection connection = null;
        boolean steady = false;
        long steadySince = 0;
        try {
            while (!stopping) {
                long done = committed.get();
                if (done >= burst) {
                    if (!steady) {
                        steady = true;
                        steadySince = System.nanoTime();
                    }
                    long due = steadySince + (done - burst) * TimeUnit.SECONDS.toNanos(1) / STEADY_PER_SECOND;
                    long early = due - System.nanoTime();
                    if (early > 0) {
                        LockSupport.parkNanos(early); // pacing the steady load
                        continue;
                    }
                }
                seq++;
                try {
                    if (connection == null) {
                        connection = maria.connect(database);
                        connection.setAutoCommit(false);
                    }
                    String kind;
                    try (Statement statement = connection.createStatement()) {
                        int live = nextId - 1;
                        switch (random.nextInt(6)) {
                            case 0 -> {
                                kind = "insert";
                                statement.execute(insert(nextId++, seq));
                            }
                            case 1 -> {
                                kind = "insert-many";
                                int rows = 2 + random.nextInt(4);
                                StringBuilder sql = new StringBuilder("INSERT INTO items VALUES ");
                                for (int r = 0; r < rows; r++) {
                                    sql.append(r == 0 ? "" : ", ").append(values(nextId++, seq));
                                }
                                statement.execute(sql.toString());
                            }
                            case 2 -> {
                                kind = "update";
                                statement.execute("UPDATE items SET qty = qty + 1, name = 'updated " + seq + "' WHERE id = " + (1 + random.nextInt(live)));
                            }
                            case 3 -> {
                                kind = "update-many";
                                int from = 1 + random.nextInt(live);
                                statement.execute("UPDATE items SET price = price + 1.25 WHERE id BETWEEN " + from + " AND " + (from + 6));
                            }
                            case 4 -> {
                                kind = "delete";
                                statement.execute("DELETE FROM items WHERE id = " + (1 + random.nextInt(live)));
                            }
                            default -> {
                                kind = "mixed";
                                statement.execute(insert(nextId++, seq));
                                statement.execute("UPDATE items SET qty = qty * 2 WHERE id IN (" + (1 + random.nextInt(live)) + ", "
                                        + (1 + random.nextInt(live)) + ")");
                                int from = 1 + random.nextInt(live);
                                statement.execute("DELETE FROM items WHERE id BETWEEN " + from + " AND " + (from + 2));
                            }
                        }
                        statement.execute("INSERT INTO events (seq, kind, note) VALUES (" + seq + ", '" + kind + "', 'writer " + database + "')");
                    }
                    connection.commit();
                    committed.incrementAndGet();
                } catch (SQLException e) {
                    // the source went away (a kill, a stop): the outcome of this one is unknown
                    failed.incrementAndGet();
                    closeQuietly(connection);
                    connection = null;
                    if (!stopping) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // pacing the reconnects while the source is down
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            unexpected.set(e);
        } finally {
            closeQuietly(connection);
        }
    }

    private static String insert(int id, long seq) {
        return "INSERT INTO items VALUES " + values(id, seq);
    }

    private static String values(int id, long seq) {
        return "(" + id + ", " + (seq % 100) + ", 'item " + id + "', " + (id % 1000) + ".75)";
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is gone anyway
            }
        }
    }

    // ----- checks -----

    /** The number of rows of {@code db.table} on the source. */
    static long sourceCount(TestingMariaDb maria, String qualified) throws SQLException {
        try (Connection connection = maria.connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT COUNT(*) FROM " + qualified)) {
            result.next();
            return result.getLong(1);
        }
    }

    /**
     * The source positions of the COMMITs in the node's binlog (from the oldest segment it
     * keeps), in log order: one per upstream transaction this node took rows of.
     */
    static List<SourcePosition> sourceCommits(TestingNode node) {
        SegmentedLog log = node.node().binlog().log();
        List<SourcePosition> positions = new ArrayList<>();
        try (LogReader reader = log.reader(log.start())) {
            Optional<LogEntry> entry;
            while ((entry = reader.next()).isPresent()) {
                BinlogEvent event = BinlogEvent.parseFrom(entry.get().payload());
                if (event.getType() == EventType.COMMIT && event.hasSource()) {
                    positions.add(event.getSource());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return positions;
    }

    /**
     * Fails unless the COMMITs of the node's binlog carry strictly increasing source positions:
     * no upstream transaction was committed twice on it, not even across restarts.
     */
    static List<SourcePosition> assertNoTransactionTwice(TestingNode node) {
        List<SourcePosition> commits = sourceCommits(node);
        for (int i = 1; i < commits.size(); i++) {
            SourcePosition before = commits.get(i - 1);
            SourcePosition after = commits.get(i);
            assertThat(SourcePositions.ORDER.compare(before, after))
                    .as("COMMIT %d of %s carries %s, not after the one before it (%s): an upstream transaction applied twice", i,
                            node.address(), SourcePositions.describe(after), SourcePositions.describe(before))
                    .isLessThan(0);
        }
        return commits;
    }
}
