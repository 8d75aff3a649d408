package io.mppnode.server.replication;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.io.ByteArrayOutputStream;
import com.github.shyiko.mysql.binlog.network.protocol.command.Command;
import com.github.shyiko.mysql.binlog.network.protocol.command.DumpBinaryLogGtidCommand;
import com.github.shyiko.mysql.binlog.network.protocol.command.QueryCommand;
import java.io.IOException;

/**
 * The binlog connector's client, asking for the stream the way a replica does:
 * COM_BINLOG_DUMP with this replica's server_id, the file and position (or, on MariaDB, the GTID
 * state in {@code @slave_connect_state}), and the {@code BINLOG_DUMP_NON_BLOCK} flag in
 * non-blocking mode, so that the source answers EOF at the end of its binlog instead of waiting.
 * (The library itself asks for the non-blocking end by sending server_id 0.)
 */
final class SourceClient extends BinaryLogClient {
    static final int BINLOG_DUMP_NON_BLOCK = 1;
    static final int BINLOG_SEND_ANNOTATE_ROWS_EVENT = 2;

    private final boolean nonBlocking;

    SourceClient(String host, int port, String user, String password, boolean nonBlocking) {
        super(host, port, user, password);
        this.nonBlocking = nonBlocking;
        setBlocking(!nonBlocking); // the library reads the EOF packet as the end only when not blocking
    }

    @Override
    protected void requestBinaryLogStream() throws IOException {
        int flags = nonBlocking ? BINLOG_DUMP_NON_BLOCK : 0;
        String gtid = getGtidSet();
        boolean gtidStart = gtid != null && !gtid.isEmpty() && "".equals(getBinlogFilename());
        if (Boolean.TRUE.equals(getMariaDB())) {
            query("SET @mariadb_slave_capability=4"); // MARIA_SLAVE_CAPABILITY_GTID: send GTID events
            if (gtidStart) {
                query("SET @slave_connect_state='" + gtid.replace("'", "") + "'");
                query("SET @slave_gtid_strict_mode=0");
                query("SET @slave_gtid_ignore_duplicates=0");
                channel.write(new Dump(getServerId(), "", 4, flags));
            } else {
                channel.write(new Dump(getServerId(), getBinlogFilename(), getBinlogPosition(), flags));
            }
            return;
        }
        if (gtidStart) {
            // MySQL's COM_BINLOG_DUMP_GTID as the library writes it; its non-blocking end is server_id 0
            channel.write(new DumpBinaryLogGtidCommand(nonBlocking ? 0 : getServerId(), "", 4,
                    new com.github.shyiko.mysql.binlog.GtidSet(gtid)));
        } else {
            channel.write(new Dump(getServerId(), getBinlogFilename(), getBinlogPosition(), flags));
        }
    }

    private void query(String sql) throws IOException {
        channel.write(new QueryCommand(sql));
        checkError(channel.read());
    }

    /** COM_BINLOG_DUMP: position (4), flags (2), server_id (4), file name. */
    private record Dump(long serverId, String file, long position, int flags) implements Command {
        @Override
        public byte[] toByteArray() throws IOException {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            buffer.writeInteger(0x12, 1);
            buffer.writeLong(position, 4);
            buffer.writeInteger(flags, 2);
            buffer.writeLong(serverId, 4);
            buffer.writeString(file);
            return buffer.toByteArray();
        }
    }
}
