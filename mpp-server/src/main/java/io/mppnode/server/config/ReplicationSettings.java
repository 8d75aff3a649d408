package io.mppnode.server.config;

import io.mppnode.proto.replication.FilePosition;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.StartPoint;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Replication from a MySQL/MariaDB server, as node properties ({@code replicate-*}, README
 * "Replication from MySQL/MariaDB") or {@code mpp replicate} flags of the same names. With
 * {@code replicate-source} empty the node does not replicate from its config.
 *
 * @param values every replicate-* property, defaults filled in
 */
public record ReplicationSettings(Map<String, String> values) {
    /** The properties: name, default, description. */
    public static final SequencedMap<String, String[]> PROPERTIES = properties();

    private static SequencedMap<String, String[]> properties() {
        SequencedMap<String, String[]> properties = new LinkedHashMap<>();
        properties.put("replicate-source", new String[] {"", "host:port of a MySQL/MariaDB server to replicate from; empty: none"});
        properties.put("replicate-user", new String[] {"", "the replication user (REPLICATION SLAVE, BINLOG MONITOR, SELECT)"});
        properties.put("replicate-password", new String[] {"", "its password"});
        properties.put("replicate-server-id", new String[] {"6000", "the server_id this replica gives the source; unique among its replicas"});
        properties.put("replicate-tables", new String[] {"", "what to replicate: db (all its tables) or db.table, comma separated"});
        properties.put("replicate-start", new String[] {"snapshot", "where to start when nothing is held yet: snapshot (copy the rows,"
                + " then stream), now, FILE:POS (POS 4 = start of the file; an empty FILE = the oldest), or gtid:SET"});
        properties.put("replicate-mode", new String[] {"follow", "follow: keep reading; non-blocking: catch up to the end of the binlog,"
                + " then stop (BINLOG_DUMP_NON_BLOCK)"});
        properties.put("replicate-heartbeat", new String[] {"1s", "how often the source sends a heartbeat when idle (0s: never)"});
        properties.put("replicate-skip-heartbeats", new String[] {"false", "true: heartbeats are not counted or reported"});
        properties.put("replicate-nodes", new String[] {"", "nodes (host:port, comma separated) the tables are spread over; empty: this node"});
        properties.put("replicate-regions-per-node", new String[] {"2", "regions each table gets on each node"});
        properties.put("replicate-table-ids", new String[] {"", "node table ids for upstream tables: db.table=ID,...; others get ids from 2^32 up"});
        properties.put("replicate-max-backoff", new String[] {"30s", "the longest wait between reconnects to an unreachable source"});
        return properties;
    }

    public ReplicationSettings {
        values = Map.copyOf(values);
        if (!values.getOrDefault("replicate-source", "").isBlank()) {
            spec(values); // checks every value now
        }
    }

    /** The settings from property values ({@code get} answers defaults for what is not given). */
    static ReplicationSettings load(java.util.function.Function<String, String> get) {
        Map<String, String> values = new LinkedHashMap<>();
        PROPERTIES.keySet().forEach(name -> values.put(name, get.apply(name)));
        return new ReplicationSettings(values);
    }

    /** The spec these settings describe; empty when replicate-source is empty. */
    public Optional<ReplicationSpec> spec() {
        String source = value("replicate-source");
        if (source.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(spec(values));
    }

    private String value(String name) {
        return values.getOrDefault(name, PROPERTIES.get(name)[0]).trim();
    }

    /**
     * Parses replicate-* values (missing ones take their defaults) into a spec.
     *
     * @throws ConfigException naming the property and what is wrong with it
     */
    public static ReplicationSpec spec(Map<String, String> given) {
        java.util.function.Function<String, String> get = name -> given.getOrDefault(name, PROPERTIES.get(name)[0]).trim();
        ReplicationSpec.Builder spec = ReplicationSpec.newBuilder();
        String source = get.apply("replicate-source");
        if (source.isEmpty()) {
            throw new ConfigException("replicate-source is empty: give the source server as host:port");
        }
        checkAddress("replicate-source", source);
        spec.setHost(NodeConfig.host(source)).setPort(NodeConfig.port(source));
        spec.setUser(get.apply("replicate-user")).setPassword(get.apply("replicate-password"));
        if (spec.getUser().isEmpty()) {
            throw new ConfigException("replicate-user is empty: give the user replication connects as");
        }
        long serverId = number("replicate-server-id", get);
        if (serverId < 1 || serverId > 0xFFFFFFFFL) {
            throw new ConfigException("bad value '" + serverId + "' for replicate-server-id: from 1 to 4294967295");
        }
        spec.setServerId((int) serverId);
        List<String> tables = list(get.apply("replicate-tables"));
        if (tables.isEmpty()) {
            throw new ConfigException("replicate-tables is empty: name databases (db) or tables (db.table) to replicate");
        }
        for (String table : tables) {
            if (table.startsWith(".") || table.endsWith(".")) {
                throw new ConfigException("bad entry '" + table + "' in replicate-tables: expected db or db.table");
            }
        }
        spec.addAllTables(tables);
        spec.setStart(start(get.apply("replicate-start")));
        switch (get.apply("replicate-mode").toLowerCase(Locale.ROOT)) {
            case "follow" -> spec.setNonBlocking(false);
            case "non-blocking" -> spec.setNonBlocking(true);
            default -> throw new ConfigException("bad value '" + get.apply("replicate-mode") + "' for replicate-mode: follow or non-blocking");
        }
        spec.setHeartbeatMillis((int) millis("replicate-heartbeat", get));
        String skip = get.apply("replicate-skip-heartbeats").toLowerCase(Locale.ROOT);
        if (!skip.equals("true") && !skip.equals("false")) {
            throw new ConfigException("bad value '" + skip + "' for replicate-skip-heartbeats: true or false");
        }
        spec.setSkipHeartbeats(skip.equals("true"));
        for (String node : list(get.apply("replicate-nodes"))) {
            checkAddress("replicate-nodes", node);
            spec.addNodes(node);
        }
        long regions = number("replicate-regions-per-node", get);
        if (regions < 1 || regions * Math.max(1, spec.getNodesCount()) > 1023) {
            throw new ConfigException("bad value '" + regions + "' for replicate-regions-per-node: at least 1, and at most 1023 regions"
                    + " per table over all nodes");
        }
        spec.setRegionsPerNode((int) regions);
        for (String entry : list(get.apply("replicate-table-ids"))) {
            int equals = entry.indexOf('=');
            if (equals <= 0 || !entry.substring(0, equals).contains(".")) {
                throw new ConfigException("bad entry '" + entry + "' in replicate-table-ids: expected db.table=ID");
            }
            try {
                long id = Long.parseLong(entry.substring(equals + 1).trim());
                if (id <= 0) {
                    throw new NumberFormatException("not positive");
                }
                spec.putTableIds(entry.substring(0, equals).trim(), id);
            } catch (NumberFormatException e) {
                throw new ConfigException("bad entry '" + entry + "' in replicate-table-ids: the id must be a positive number");
            }
        }
        spec.setMaxBackoffMillis((int) Math.max(1, millis("replicate-max-backoff", get)));
        return spec.build();
    }

    /** replicate-start: snapshot, now, FILE:POS, :POS (the oldest file), or gtid:SET. */
    static StartPoint start(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.equals("snapshot")) {
            return StartPoint.newBuilder().setSnapshot(true).build();
        }
        if (lower.equals("now")) {
            return StartPoint.newBuilder().setNow(true).build();
        }
        if (lower.startsWith("gtid:")) {
            String set = text.substring(5).trim();
            if (set.isEmpty()) {
                throw new ConfigException("bad value '" + text + "' for replicate-start: gtid: needs a GTID set, such as gtid:0-1-42");
            }
            return StartPoint.newBuilder().setGtidSet(set).build();
        }
        int colon = text.lastIndexOf(':');
        if (colon >= 0) {
            try {
                long position = Long.parseLong(text.substring(colon + 1).trim());
                if (position < 4) {
                    throw new ConfigException("bad value '" + text + "' for replicate-start: a binlog position is at least 4 (the start of a file)");
                }
                return StartPoint.newBuilder().setFile(FilePosition.newBuilder().setFile(text.substring(0, colon).trim()).setPosition(position))
                        .build();
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw new ConfigException("bad value '" + text + "' for replicate-start: snapshot, now, FILE:POS (such as mariadb-bin.000002:4;"
                + " :4 for the oldest file), or gtid:SET");
    }

    /** host:port with a non-empty host and a port from 1 to 65535. */
    private static void checkAddress(String name, String address) {
        int colon = address.lastIndexOf(':');
        int port;
        try {
            port = colon <= 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException("bad value '" + address + "' for " + name + ": expected host:port, the port from 1 to 65535");
        }
    }

    private static long number(String name, java.util.function.Function<String, String> get) {
        try {
            return Long.parseLong(get.apply(name));
        } catch (NumberFormatException e) {
            throw new ConfigException("bad value '" + get.apply(name) + "' for " + name + ": not a number");
        }
    }

    private static long millis(String name, java.util.function.Function<String, String> get) {
        try {
            Duration duration = NodeConfig.parseDuration(get.apply(name));
            if (duration.isNegative() || duration.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("out of range");
            }
            return duration.toMillis();
        } catch (RuntimeException e) {
            throw new ConfigException("bad value '" + get.apply(name) + "' for " + name + ": " + e.getMessage());
        }
    }

    private static List<String> list(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
