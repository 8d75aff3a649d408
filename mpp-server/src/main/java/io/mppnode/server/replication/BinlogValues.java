package io.mppnode.server.replication;

import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.LRUCache;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.AnnotateRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.BinlogCheckpointEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.DeleteRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer.CompatibilityMode;
import com.github.shyiko.mysql.binlog.event.deserialization.EventHeaderV4Deserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.FormatDescriptionEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.GtidEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.GtidTaggedEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.IntVarEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.MariadbGtidEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.MariadbGtidListEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.NullEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.PreviousGtidSetDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.QueryEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.RotateEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.RowsQueryEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.TableMapEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.TransactionPayloadEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.UpdateRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.WriteRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.XAPrepareEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.XidEventDataDeserializer;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.Map;

/**
 * The binlog event deserializer whose row cells {@link ColumnMapping#fromBinlog} reads, and the
 * date arithmetic it shares with the snapshot path.
 *
 * <p>Compatibility modes:
 * <ul>
 *   <li>{@code DATE_AND_TIME_AS_LONG_MICRO}: DATE, DATETIME and TIMESTAMP cells are {@code Long}
 *       microseconds (DATE and DATETIME: the wall-clock fields read as if UTC; TIMESTAMP: the
 *       stored epoch seconds and fraction), with no {@code java.util.Date} and no JVM time zone
 *       on the way, and with the full microsecond precision ({@code DATE_AND_TIME_AS_LONG}
 *       drops it to milliseconds). No {@code INVALID_DATE_AND_TIME_AS_*} mode: a zero or partly
 *       zero date arrives as null, which is how the node holds it.
 *   <li>{@code CHAR_AND_BINARY_AS_BYTE_ARRAY}: CHAR and VARCHAR cells are their bytes, so that
 *       {@link ColumnMapping} decodes them with the column's character set (without it the
 *       connector decodes every string as UTF-8). TEXT cells are bytes anyway.
 * </ul>
 * Integers stay {@code Integer}/{@code Long} as the connector reads them, signed:
 * {@link ColumnMapping} widens the unsigned ones.
 *
 * <p>One fix: the connector computes dates before 1582-10-15 with {@code java.util.Calendar},
 * that is in the Julian calendar, while MySQL's calendar is the proleptic Gregorian one
 * ('1000-01-01' would arrive 5 days off). The rows deserializers here compute every date in the
 * proleptic Gregorian calendar. (MySQL 8's compressed transactions, TRANSACTION_PAYLOAD events,
 * are deserialized by the connector's own inner deserializer, without this fix.)
 */
public final class BinlogValues {
    static final long MICROS_PER_DAY = 86_400_000_000L;

    private BinlogValues() {}

    /**
     * A new deserializer, for one {@code BinaryLogClient}: it keeps the TABLE_MAP events it has
     * seen, so it must not be shared between clients. Not thread-safe (a client uses it from its
     * one reading thread).
     */
    public static EventDeserializer deserializer() {
        // The rows deserializers must share the map the deserializer fills with TABLE_MAP events;
        // the only way to hand our own to it is to build every deserializer here (this list
        // follows EventDeserializer's registerDefaultEventDataDeserializers).
        Map<Long, TableMapEventData> tableMaps = new LRUCache<>(100, 0.75f, 10000);
        Map<EventType, EventDataDeserializer> deserializers = new EnumMap<>(EventType.class);
        deserializers.put(EventType.FORMAT_DESCRIPTION, new FormatDescriptionEventDataDeserializer());
        deserializers.put(EventType.ROTATE, new RotateEventDataDeserializer());
        deserializers.put(EventType.INTVAR, new IntVarEventDataDeserializer());
        deserializers.put(EventType.QUERY, new QueryEventDataDeserializer());
        deserializers.put(EventType.TABLE_MAP, new TableMapEventDataDeserializer());
        deserializers.put(EventType.XID, new XidEventDataDeserializer());
        deserializers.put(EventType.WRITE_ROWS, new WriteRows(tableMaps));
        deserializers.put(EventType.UPDATE_ROWS, new UpdateRows(tableMaps));
        deserializers.put(EventType.DELETE_ROWS, new DeleteRows(tableMaps));
        deserializers.put(EventType.EXT_WRITE_ROWS, new WriteRows(tableMaps).setMayContainExtraInformation(true));
        deserializers.put(EventType.EXT_UPDATE_ROWS, new UpdateRows(tableMaps).setMayContainExtraInformation(true));
        deserializers.put(EventType.EXT_DELETE_ROWS, new DeleteRows(tableMaps).setMayContainExtraInformation(true));
        deserializers.put(EventType.ROWS_QUERY, new RowsQueryEventDataDeserializer());
        deserializers.put(EventType.GTID, new GtidEventDataDeserializer());
        deserializers.put(EventType.GTID_TAGGED, new GtidTaggedEventDataDeserializer());
        deserializers.put(EventType.PREVIOUS_GTIDS, new PreviousGtidSetDeserializer());
        deserializers.put(EventType.XA_PREPARE, new XAPrepareEventDataDeserializer());
        deserializers.put(EventType.ANNOTATE_ROWS, new AnnotateRowsEventDataDeserializer());
        deserializers.put(EventType.MARIADB_GTID, new MariadbGtidEventDataDeserializer());
        deserializers.put(EventType.BINLOG_CHECKPOINT, new BinlogCheckpointEventDataDeserializer());
        deserializers.put(EventType.MARIADB_GTID_LIST, new MariadbGtidListEventDataDeserializer());
        deserializers.put(EventType.TRANSACTION_PAYLOAD, new TransactionPayloadEventDataDeserializer());
        EventDeserializer deserializer = new EventDeserializer(
                new EventHeaderV4Deserializer(), new NullEventDataDeserializer(), deserializers, tableMaps);
        deserializer.setCompatibilityMode(
                CompatibilityMode.DATE_AND_TIME_AS_LONG_MICRO, CompatibilityMode.CHAR_AND_BINARY_AS_BYTE_ARRAY);
        return deserializer;
    }

    /**
     * Microseconds since the epoch of the given fields read as UTC, in the proleptic Gregorian
     * calendar; a day past the month's end rolls into the next month (as MySQL's
     * {@code ALLOW_INVALID_DATES} stores '2024-02-30'). Month and day must not be 0.
     */
    static long epochMicros(int year, int month, int day, int hour, int minute, int second, int micros) {
        long days = LocalDate.of(year, month, 1).toEpochDay() + day - 1;
        long seconds = days * 86_400 + hour * 3_600L + minute * 60L + second;
        return seconds * 1_000_000 + micros;
    }

    /**
     * A DATE ({@code 2024-02-29}) or DATETIME ({@code 2024-02-29 13:14:15.123456}) as MySQL prints
     * it, in microseconds as {@link #epochMicros}; null for a zero or partly zero date.
     *
     * @throws IllegalArgumentException when the text is neither
     */
    static Long parseDateTimeMicros(String text) {
        try {
            int year = Integer.parseInt(text, 0, text.indexOf('-'), 10);
            int monthStart = text.indexOf('-') + 1;
            int dayStart = text.indexOf('-', monthStart) + 1;
            int month = Integer.parseInt(text, monthStart, dayStart - 1, 10);
            int dayEnd = text.indexOf(' ', dayStart);
            int day = Integer.parseInt(text, dayStart, dayEnd < 0 ? text.length() : dayEnd, 10);
            if (month == 0 || day == 0) {
                return null;
            }
            int hour = 0;
            int minute = 0;
            int second = 0;
            int micros = 0;
            if (dayEnd >= 0) {
                int hourEnd = text.indexOf(':', dayEnd);
                int minuteEnd = text.indexOf(':', hourEnd + 1);
                int secondEnd = text.indexOf('.', minuteEnd + 1);
                hour = Integer.parseInt(text, dayEnd + 1, hourEnd, 10);
                minute = Integer.parseInt(text, hourEnd + 1, minuteEnd, 10);
                second = Integer.parseInt(text, minuteEnd + 1, secondEnd < 0 ? text.length() : secondEnd, 10);
                if (secondEnd >= 0) {
                    String fraction = text.substring(secondEnd + 1);
                    if (fraction.isEmpty() || fraction.length() > 6) {
                        throw new NumberFormatException("fraction " + fraction);
                    }
                    micros = Integer.parseInt(fraction + "000000".substring(fraction.length()));
                }
            }
            return epochMicros(year, month, day, hour, minute, second, micros);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a MySQL date or datetime: '" + text + "'", e);
        }
    }

    /** The connector's date fields to millis, in the proleptic Gregorian calendar. */
    private static Long unixMillis(int year, int month, int day, int hour, int minute, int second, int millis) {
        if (month == 0 || day == 0) {
            return null; // a zero date: the "invalid date" representation, null without INVALID_* modes
        }
        return Math.floorDiv(epochMicros(year, month, day, hour, minute, second, 0), 1000) + millis;
    }

    private static final class WriteRows extends WriteRowsEventDataDeserializer {
        WriteRows(Map<Long, TableMapEventData> tableMaps) {
            super(tableMaps);
        }

        @Override
        protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
            return unixMillis(year, month, day, hour, minute, second, millis);
        }
    }

    private static final class UpdateRows extends UpdateRowsEventDataDeserializer {
        UpdateRows(Map<Long, TableMapEventData> tableMaps) {
            super(tableMaps);
        }

        @Override
        protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
            return unixMillis(year, month, day, hour, minute, second, millis);
        }
    }

    private static final class DeleteRows extends DeleteRowsEventDataDeserializer {
        DeleteRows(Map<Long, TableMapEventData> tableMaps) {
            super(tableMaps);
        }

        @Override
        protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
            return unixMillis(year, month, day, hour, minute, second, millis);
        }
    }
}
