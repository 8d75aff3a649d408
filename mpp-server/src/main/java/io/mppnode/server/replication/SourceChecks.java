package io.mppnode.server.replication;

import com.github.shyiko.mysql.binlog.network.AuthenticationException;
import com.github.shyiko.mysql.binlog.network.ServerException;
import io.mppnode.proto.binlog.SourcePosition;
import io.mppnode.proto.replication.ReplicationSpec;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

/**
 * The source server as replication needs it: a connection for schema and snapshot queries, the
 * settings a row-based replica depends on, binlog positions, and what its errors mean (which a
 * reconnect may mend, and which need someone to act).
 */
final class SourceChecks {
    private static final int ER_ACCESS_DENIED = 1045;
    private static final int ER_DBACCESS_DENIED = 1044;
    private static final int ER_TABLEACCESS_DENIED = 1142;
    private static final int ER_SPECIFIC_ACCESS_DENIED = 1227;
    private static final int ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;
    private static final int ER_BAD_DB_ERROR = 1049;
    private static final int ER_NO_SUCH_TABLE = 1146;

    private SourceChecks() {}

    static Connection connect(ReplicationSpec spec) {
        Properties properties = new Properties();
        properties.setProperty("user", spec.getUser());
        properties.setProperty("password", spec.getPassword());
        properties.setProperty("connectTimeout", "10000");
        properties.setProperty("socketTimeout", "600000");
        try {
            Connection connection = DriverManager.getConnection("jdbc:mariadb://" + spec.getHost() + ":" + spec.getPort() + "/", properties);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET SESSION time_zone = '+00:00'");
            }
            return connection;
        } catch (SQLException e) {
            throw failure("connecting to " + spec.getHost() + ":" + spec.getPort() + " as '" + spec.getUser() + "'", e);
        }
    }

    /**
     * Checks what a row-based replica needs; returns whether the source is MariaDB.
     *
     * @throws ReplicationException (not retryable) naming the setting and what to set
     */
    static boolean check(Connection connection, ReplicationSpec spec) {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT VERSION(), @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image,"
                        + " @@global.server_id")) {
            rows.next();
            String version = rows.getString(1);
            boolean mariaDb = version.toLowerCase(Locale.ROOT).contains("mariadb");
            if (!rows.getBoolean(2)) {
                throw ReplicationException.fatal("the source " + where(spec) + " does not write a binlog (log_bin is OFF): start it with"
                        + " log_bin (and binlog_format=ROW, a server_id)");
            }
            String format = rows.getString(3);
            if (!"ROW".equalsIgnoreCase(format)) {
                throw ReplicationException.fatal("the source " + where(spec) + " has binlog_format=" + format + "; replication reads rows"
                        + " and needs binlog_format=ROW: SET GLOBAL binlog_format='ROW' (and in my.cnf), then reconnect the writing sessions");
            }
            String image = rows.getString(4);
            if (!"FULL".equalsIgnoreCase(image)) {
                throw ReplicationException.fatal("the source " + where(spec) + " has binlog_row_image=" + image + "; replication needs whole"
                        + " rows: SET GLOBAL binlog_row_image='FULL' (and in my.cnf)");
            }
            if (rows.getLong(5) == Integer.toUnsignedLong(spec.getServerId())) {
                throw ReplicationException.fatal("the replica's server_id " + Integer.toUnsignedLong(spec.getServerId())
                        + " is the source's own server_id;"
                        + " give the replica a server_id no other server uses");
            }
            checkGrants(connection, spec);
            checkSelect(connection, spec);
            return mariaDb;
        } catch (SQLException e) {
            throw failure("checking the source's settings", e);
        }
    }

    /** REPLICATION SLAVE (to read the binlog) and BINLOG MONITOR / REPLICATION CLIENT (to see positions). */
    private static void checkGrants(Connection connection, ReplicationSpec spec) throws SQLException {
        StringBuilder grants = new StringBuilder();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW GRANTS")) {
            while (rows.next()) {
                String grant = rows.getString(1).toUpperCase(Locale.ROOT);
                if (grant.contains(" ON *.* ")) {
                    grants.append(grant).append('\n');
                }
            }
        }
        String all = grants.toString();
        boolean everything = all.contains("ALL PRIVILEGES");
        if (!everything && !all.contains("REPLICATION SLAVE") && !all.contains("REPLICATION REPLICA")) {
            throw ReplicationException.fatal("user '" + spec.getUser() + "' may not read the binlog of " + where(spec)
                    + " (it lacks the REPLICATION SLAVE privilege): GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO '"
                    + spec.getUser() + "'@'<host>' (on MySQL: REPLICATION SLAVE, REPLICATION CLIENT, SELECT)");
        }
        if (!everything && !all.contains("BINLOG MONITOR") && !all.contains("REPLICATION CLIENT") && !all.contains("SUPER")) {
            throw ReplicationException.fatal("user '" + spec.getUser() + "' may not see the binlog positions of " + where(spec)
                    + " (it lacks BINLOG MONITOR, on MySQL REPLICATION CLIENT): GRANT BINLOG MONITOR ON *.* TO '" + spec.getUser() + "'@'<host>'");
        }
    }

    /**
     * SELECT on what is replicated. Without it the server hides the tables (information_schema,
     * SHOW TABLES), and replication would take them for tables that do not exist: nothing copied,
     * and their rows later refused with a misleading message. The probe is a SELECT of no rows:
     * of the table, or for a database of a table name no one uses, which the server answers with
     * "no such table" (1146) when the user may read the database's tables and "denied" (1142)
     * when not.
     */
    private static void checkSelect(Connection connection, ReplicationSpec spec) throws SQLException {
        for (String entry : spec.getTablesList()) {
            String name = entry.strip().endsWith(".*") ? entry.strip().substring(0, entry.strip().length() - 2) : entry.strip();
            int dot = name.indexOf('.');
            String probe = "SELECT 1 FROM " + SourceSnapshot.quote(dot < 0 ? name : name.substring(0, dot)) + "."
                    + SourceSnapshot.quote(dot < 0 ? "mpp_replication_select_probe" : name.substring(dot + 1)) + " LIMIT 0";
            try (Statement statement = connection.createStatement()) {
                statement.execute(probe);
            } catch (SQLException e) {
                int code = e.getErrorCode();
                if (code == ER_BAD_DB_ERROR || code == ER_NO_SUCH_TABLE) {
                    continue; // not there yet: its CREATE comes with the binlog
                }
                if (code == ER_DBACCESS_DENIED || code == ER_TABLEACCESS_DENIED || code == ER_SPECIFIC_ACCESS_DENIED) {
                    throw new ReplicationException("user '" + spec.getUser() + "' may not read " + name + " on " + where(spec) + " ("
                            + e.getMessage() + "); the snapshot and the table schemas need SELECT: GRANT SELECT ON "
                            + (dot < 0 ? name + ".*" : name) + " TO '" + spec.getUser() + "'@'<host>'", false, e);
                }
                throw e;
            }
        }
    }

    private static String where(ReplicationSpec spec) {
        return spec.getHost() + ":" + spec.getPort();
    }

    /** The end of the source's binlog now (file, position, GTID set). */
    static SourcePosition endOfBinlog(Connection connection, boolean mariaDb, String server) {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW MASTER STATUS")) {
            if (!rows.next()) {
                throw ReplicationException.fatal("the source " + server + " shows no binlog position (SHOW MASTER STATUS is empty): is log_bin on?");
            }
            String file = rows.getString(1);
            long position = rows.getLong(2);
            return SourcePosition.newBuilder().setServer(server).setFile(file).setPosition(position)
                    .setGtidSet(mariaDb ? gtidAt(connection, file, position) : executedGtids(connection)).build();
        } catch (SQLException e) {
            throw failure("reading the source's binlog position", e);
        }
    }

    private static String executedGtids(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SELECT @@global.gtid_executed")) {
            rows.next();
            String gtids = rows.getString(1);
            return gtids == null ? "" : gtids.replace("\n", "");
        } catch (SQLException e) {
            return ""; // a MySQL without GTIDs
        }
    }

    /** MariaDB's GTID state at a binlog position (BINLOG_GTID_POS); empty if the server cannot tell. */
    static String gtidAt(Connection connection, String file, long position) {
        try (PreparedStatement statement = connection.prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            statement.setString(1, file);
            statement.setLong(2, position);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                String gtid = rows.getString(1);
                return gtid == null ? "" : gtid;
            }
        } catch (SQLException e) {
            throw failure("reading the GTID state at " + file + ":" + position, e);
        }
    }

    /** The oldest binlog file the source still has. */
    static String oldestBinlog(Connection connection) {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW BINARY LOGS")) {
            if (!rows.next()) {
                throw ReplicationException.fatal("the source has no binlog files (SHOW BINARY LOGS is empty)");
            }
            return rows.getString(1);
        } catch (SQLException e) {
            throw failure("listing the source's binlog files", e);
        }
    }

    /** Binlog bytes from {@code from} to {@code to}, over the files between them. */
    static long bytesBetween(Connection connection, SourcePosition from, SourcePosition to) {
        if (from.getFile().isEmpty()) {
            return 0;
        }
        if (from.getFile().equals(to.getFile())) {
            return Math.max(0, to.getPosition() - from.getPosition());
        }
        long bytes = 0;
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW BINARY LOGS")) {
            while (rows.next()) {
                String file = rows.getString(1);
                long size = rows.getLong(2);
                long index = SourcePositions.fileIndex(file);
                if (index == SourcePositions.fileIndex(from.getFile())) {
                    bytes += Math.max(0, size - from.getPosition());
                } else if (index > SourcePositions.fileIndex(from.getFile()) && index < SourcePositions.fileIndex(to.getFile())) {
                    bytes += size;
                }
            }
        } catch (SQLException e) {
            throw failure("listing the source's binlog files", e);
        }
        return bytes + to.getPosition();
    }

    /** What a failed query means: a lost connection may be retried; refused credentials and rights may not. */
    static ReplicationException failure(String what, SQLException e) {
        int code = e.getErrorCode();
        if (code == ER_ACCESS_DENIED || e instanceof SQLInvalidAuthorizationSpecException) {
            return new ReplicationException(what + ": the source refused the user name or password (" + e.getMessage()
                    + "); check replicate-user and replicate-password", false, e);
        }
        if (code == ER_DBACCESS_DENIED || code == ER_TABLEACCESS_DENIED || code == ER_SPECIFIC_ACCESS_DENIED) {
            return new ReplicationException(what + ": the user lacks a privilege (" + e.getMessage() + "); replication needs"
                    + " REPLICATION SLAVE, BINLOG MONITOR (MySQL: REPLICATION CLIENT) and SELECT on the replicated tables", false, e);
        }
        if (e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException
                || (e.getSQLState() != null && e.getSQLState().startsWith("08"))) {
            return new ReplicationException(what + ": the source is unreachable (" + e.getMessage() + ")", true, e);
        }
        return new ReplicationException(what + ": " + e.getMessage(), false, e);
    }

    /** What the end of a binlog stream with an error means. */
    static ReplicationException streamFailure(Exception error, SourcePosition from, ReplicationSpec spec) {
        if (error instanceof ReplicationException replication) {
            return replication;
        }
        if (error instanceof AuthenticationException) {
            return new ReplicationException("the source refused the user name or password for the binlog stream (" + error.getMessage()
                    + "); check replicate-user and replicate-password", false, error);
        }
        if (error instanceof ServerException server) {
            if (server.getErrorCode() == ER_MASTER_FATAL_ERROR_READING_BINLOG) {
                return new ReplicationException("the source cannot send its binlog from " + SourcePositions.describe(from) + ": "
                        + server.getMessage() + ". If that position was purged (PURGE BINARY LOGS, expire_logs_days), the rows"
                        + " changed since are gone from the binlog: start afresh with a snapshot (new nodes or a new data dir);"
                        + " if another replica uses server_id " + Integer.toUnsignedLong(spec.getServerId()) + ", give this one another", false, error);
            }
            if (server.getErrorCode() == ER_SPECIFIC_ACCESS_DENIED || server.getErrorCode() == ER_ACCESS_DENIED) {
                return new ReplicationException("the source refused the binlog stream: " + server.getMessage() + "; GRANT REPLICATION SLAVE"
                        + " ON *.* TO the replication user", false, error);
            }
            return new ReplicationException("the source ended the binlog stream with error " + server.getErrorCode() + ": "
                    + server.getMessage(), true, error);
        }
        if (error instanceof IOException || error.getCause() instanceof IOException) {
            return new ReplicationException("the source " + spec.getHost() + ":" + spec.getPort() + " is unreachable or went away ("
                    + error.getMessage() + ")", true, error);
        }
        return new ReplicationException("the binlog stream failed: " + error, false, error);
    }
}
