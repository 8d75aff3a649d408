package io.mppnode.benchmarks;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.io.ByteArrayOutputStream;
import com.github.shyiko.mysql.binlog.network.protocol.command.Command;
import com.github.shyiko.mysql.binlog.network.protocol.command.QueryCommand;
import io.mppnode.server.replication.BinlogValues;
import java.io.IOException;

/**
 * The peer of the replication benchmarks: the binlog connector alone reading the source's binlog
 * the way the node's replication does (the same COM_BINLOG_DUMP, with {@code BINLOG_DUMP_NON_BLOCK}
 * when not following, so the source answers EOF at the end of its binlog; the same
 * {@link BinlogValues#deserializer() event deserializer}, so every row is decoded to Java values
 * as the node's are), counting the rows of the rows events and noting the position after each
 * XID, and doing nothing else with them. No queue, no node: what is left is the protocol and the
 * decoding.
 */
final class ConnectorOnlyReader extends BinaryLogClient {
    private static final int BINLOG_DUMP_NON_BLOCK = 1;

    private final boolean follow;
    private long rows;
    private long events;
    private String file;
    private volatile BenchMariaDb.Position committed;

    /**
     * Reads from {@code from}: to the end of the binlog ({@code follow} false, {@link #readToEnd})
     * or on until {@link #disconnect} ({@code follow} true, {@link #connect} on a thread of its own).
     */
    ConnectorOnlyReader(BenchMariaDb maria, int serverId, BenchMariaDb.Position from, boolean follow) {
        super(BenchMariaDb.HOST, maria.port(), BenchMariaDb.REPLICA_USER, BenchMariaDb.REPLICA_PASSWORD);
        this.follow = follow;
        this.file = from.file();
        setBlocking(follow); // the library takes the EOF packet as the end only when not blocking
        setServerId(serverId);
        setKeepAlive(false);
        setConnectTimeout(10_000);
        setEventDeserializer(BinlogValues.deserializer());
        setBinlogFilename(from.file());
        setBinlogPosition(from.position());
        registerEventListener(event -> {
            events++;
            EventData data = event.getData();
            switch (data) {
                case WriteRowsEventData write -> rows += write.getRows().size();
                case UpdateRowsEventData update -> rows += update.getRows().size();
                case DeleteRowsEventData delete -> rows += delete.getRows().size();
                case RotateEventData rotate -> file = rotate.getBinlogFilename();
                case null, default -> { }
            }
            if (event.getHeader() instanceof EventHeaderV4 header && header.getEventType() == EventType.XID) {
                committed = new BenchMariaDb.Position(file, header.getNextPosition());
            }
        });
    }

    /** Reads from the start position to the end of the binlog on this thread; returns the rows seen. */
    long readToEnd() throws IOException {
        connect(); // returns at the EOF of the non-blocking dump
        return rows;
    }

    long events() {
        return events;
    }

    /** The position after the last XID event received (null before the first). */
    BenchMariaDb.Position committed() {
        return committed;
    }

    @Override
    protected void requestBinaryLogStream() throws IOException {
        if (Boolean.TRUE.equals(getMariaDB())) {
            channel.write(new QueryCommand("SET @mariadb_slave_capability=4"));
            checkError(channel.read());
        }
        channel.write(new Dump(getServerId(), getBinlogFilename(), getBinlogPosition(), follow ? 0 : BINLOG_DUMP_NON_BLOCK));
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
