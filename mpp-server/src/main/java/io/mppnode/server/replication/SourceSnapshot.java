package io.mppnode.server.replication;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.binlog.Row;
import io.mppnode.proto.binlog.SourcePosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot: the selected tables' rows as of one binlog position, read in one
 * consistent-snapshot transaction, so that the stream continues from exactly that position
 * with nothing missed or applied twice.
 *
 * <p>On MariaDB, {@code START TRANSACTION WITH CONSISTENT SNAPSHOT} fixes the binlog position
 * along with the InnoDB snapshot ({@code binlog_snapshot_file/position}), without a lock. On
 * MySQL the position is read under {@code FLUSH TABLES WITH READ LOCK}, held only until the
 * snapshot transaction has started (the user needs RELOAD).
 */
final class SourceSnapshot {
    private static final Logger log = LoggerFactory.getLogger(SourceSnapshot.class);
    static final int BATCH_ROWS = 4096;

    private final Connection connection;
    private final boolean mariaDb;
    private final String server;

    SourceSnapshot(Connection connection, boolean mariaDb, String server) {
        this.connection = requireNonNull(connection, "connection is null");
        this.mariaDb = mariaDb;
        this.server = requireNonNull(server, "server is null");
    }

    /**
     * Copies the tables: {@code create} makes each node table, {@code write} takes batches of
     * its rows. Returns the binlog position the copy is consistent with.
     */
    SourcePosition copy(Supplier<List<SourceTable>> tables, Function<SourceTable, TableMapping> create,
            BiConsumer<TableMapping, List<Row>> write) {
        try {
            connection.setAutoCommit(false);
            SourcePosition position;
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                if (mariaDb) {
                    statement.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
                    position = mariaDbSnapshotPosition(statement);
                } else {
                    statement.execute("FLUSH TABLES WITH READ LOCK");
                    try {
                        statement.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
                        position = SourceChecks.endOfBinlog(connection, false, server);
                    } finally {
                        statement.execute("UNLOCK TABLES");
                    }
                }
            }
            log.info("replication snapshot of {} at {}", server, SourcePositions.describe(position));
            for (SourceTable table : tables.get()) {
                TableMapping mapping = create.apply(table);
                long rows = copyTable(table, mapping, write);
                log.info("replication snapshot: {}.{}: {} rows", table.database(), table.name(), rows);
            }
            connection.commit();
            return position;
        } catch (SQLException e) {
            throw SourceChecks.failure("the initial snapshot", e);
        } finally {
            try {
                connection.rollback();
                connection.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the connection is closed by the caller when it failed
            }
        }
    }

    private SourcePosition mariaDbSnapshotPosition(Statement statement) throws SQLException {
        String file = null;
        long position = -1;
        try (ResultSet rows = statement.executeQuery("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
            while (rows.next()) {
                switch (rows.getString(1).toLowerCase(java.util.Locale.ROOT)) {
                    case "binlog_snapshot_file" -> file = rows.getString(2);
                    case "binlog_snapshot_position" -> position = Long.parseLong(rows.getString(2));
                    default -> { }
                }
            }
        }
        if (file == null || file.isEmpty() || position < 0) {
            throw ReplicationException.fatal("the source " + server + " did not give the binlog position of the snapshot"
                    + " (binlog_snapshot_file/position): is log_bin on?");
        }
        return SourcePosition.newBuilder().setServer(server).setFile(file).setPosition(position)
                .setGtidSet(SourceChecks.gtidAt(connection, file, position)).build();
    }

    private long copyTable(SourceTable table, TableMapping mapping, BiConsumer<TableMapping, List<Row>> write) throws SQLException {
        String sql = "SELECT " + mapping.selectList() + " FROM " + quote(table.database()) + "." + quote(table.name());
        long count = 0;
        try (Statement statement = connection.createStatement()) {
            statement.setFetchSize(BATCH_ROWS); // streams the rows instead of reading the table into memory
            try (ResultSet rows = statement.executeQuery(sql)) {
                List<Row> batch = new ArrayList<>(BATCH_ROWS);
                while (rows.next()) {
                    batch.add(mapping.row(rows));
                    if (batch.size() == BATCH_ROWS) {
                        write.accept(mapping, batch);
                        count += batch.size();
                        batch = new ArrayList<>(BATCH_ROWS);
                    }
                }
                if (!batch.isEmpty()) {
                    write.accept(mapping, batch);
                    count += batch.size();
                }
            }
        }
        return count;
    }

    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }
}
