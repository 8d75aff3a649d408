package io.mppnode.server.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SequencedMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything an operator can set on a node, with documented defaults. It is read from a
 * properties file and from command-line flags of the same names ({@code --task-timeout=5s});
 * flags win. Sizes take a unit (B, KiB, MiB, GiB, or none for bytes); durations take ms, s, m
 * or h. Every value is checked here, so a node never starts with a setting it cannot honour.
 *
 * @param listenAddress where the gRPC server listens, host:port (port 0 picks a free one)
 * @param advertisedAddress the address peers and coordinators use to reach this node; empty
 *     means the listen address (with the bound port)
 * @param dataDir where the node keeps its files; created if missing
 * @param workerThreads the bounded pool that runs tasks
 * @param taskConcurrency how many drivers run each parallel pipeline of a task (scans split
 *     into that many parts) unless the plan sets its own concurrency
 * @param memoryLimitBytes Arrow memory of the whole node
 * @param queryMemoryLimitBytes default limit of one query on this node; a plan may lower it
 * @param taskTimeout how long a connection waits for its task to be dispatched, and a task for
 *     its receivers to connect
 * @param metricsAddress where the Prometheus scrape endpoint listens (/metrics); empty disables it
 * @param shutdownTimeout how long a graceful shutdown lets running tasks drain
 * @param tunnelBufferBytes the bound of each tunnel's send buffer
 * @param cancelledGatherCacheSize how many cancelled gathers (and finished tasks) are remembered
 * @param cancelledGatherTtl how long they are remembered
 * @param sampleTables load the built-in sample tables at start
 * @param binlog the binlog (Pump service) and the replica it feeds
 * @param replication replication from a MySQL/MariaDB server (replicate-*)
 */
public record NodeConfig(
        String listenAddress,
        String advertisedAddress,
        Path dataDir,
        int workerThreads,
        int taskConcurrency,
        long memoryLimitBytes,
        long queryMemoryLimitBytes,
        Duration taskTimeout,
        String metricsAddress,
        Duration shutdownTimeout,
        long tunnelBufferBytes,
        int cancelledGatherCacheSize,
        Duration cancelledGatherTtl,
        boolean sampleTables,
        BinlogSettings binlog,
        ReplicationSettings replication) {

    /** Every property: its name, default, and description, in the order the help lists them. */
    public static final SequencedMap<String, String[]> PROPERTIES = properties();

    private static SequencedMap<String, String[]> properties() {
        SequencedMap<String, String[]> properties = new LinkedHashMap<>();
        properties.put("listen-address", new String[] {"127.0.0.1:3930", "gRPC listen address, host:port (port 0 picks a free port)"});
        properties.put("advertised-address", new String[] {"", "address peers and coordinators use to reach this node; empty means the listen address"});
        properties.put("data-dir", new String[] {"data", "directory for the node's files; created if missing"});
        properties.put("worker-threads", new String[] {String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())), "threads that run tasks (the number of cores, at least 2)"});
        properties.put("task-concurrency", new String[] {String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors() / 2)), "drivers per parallel pipeline of a task, unless its plan sets a concurrency (half the cores, at least 1)"});
        properties.put("memory-limit", new String[] {"4GiB", "Arrow memory of the whole node"});
        properties.put("query-memory-limit", new String[] {"2GiB", "default memory limit of one query on this node; a plan may lower it"});
        properties.put("task-timeout", new String[] {"10s", "how long a connection waits for its task, and a task for its receivers"});
        properties.put("metrics-address", new String[] {"127.0.0.1:8234", "Prometheus scrape endpoint (/metrics), host:port; empty disables it"});
        properties.put("shutdown-timeout", new String[] {"30s", "how long a graceful shutdown lets running tasks drain"});
        properties.put("tunnel-buffer-size", new String[] {"8MiB", "bound of each tunnel's send buffer"});
        properties.put("cancelled-gather-cache-size", new String[] {"100000", "how many cancelled gathers and finished tasks are remembered"});
        properties.put("cancelled-gather-ttl", new String[] {"10m", "how long cancelled gathers and finished tasks are remembered"});
        properties.put("sample-tables", new String[] {"false", "load the built-in sample tables at start"});
        properties.put("cluster-id", new String[] {"1", "the clusterID every WriteBinlog and PullBinlogs request must carry"});
        properties.put("binlog-dir", new String[] {"", "directory of the binlog segment files; empty means <data-dir>/binlog"});
        properties.put("binlog-segment-size", new String[] {"64MiB", "a binlog segment file rolls to the next one at this size"});
        properties.put("binlog-fsync", new String[] {"always", "always: WriteBinlog answers after an fsync (group commit); none: after the write only (a crash can lose acknowledged entities)"});
        properties.put("binlog-retention-age", new String[] {"168h", "segments older than this are freed (0s keeps them)"});
        properties.put("binlog-retention-size", new String[] {"0", "oldest segments are freed while the binlog is larger (0: no bound)"});
        properties.put("gc-life-time", new String[] {"10m", "versions older than this (behind the resolved ts) are compacted away; reads below it fail"});
        properties.put("compaction-interval", new String[] {"1m", "how often the replica compacts versions and checkpoints its tables"});
        properties.putAll(ReplicationSettings.PROPERTIES);
        return java.util.Collections.unmodifiableSequencedMap(properties);
    }

    public NodeConfig {
        requireNonNull(listenAddress, "listenAddress is null");
        requireNonNull(advertisedAddress, "advertisedAddress is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(taskTimeout, "taskTimeout is null");
        requireNonNull(metricsAddress, "metricsAddress is null");
        requireNonNull(shutdownTimeout, "shutdownTimeout is null");
        requireNonNull(cancelledGatherTtl, "cancelledGatherTtl is null");
        requireNonNull(binlog, "binlog is null");
        requireNonNull(replication, "replication is null");
        checkAddress("listen-address", listenAddress);
        if (!advertisedAddress.isEmpty()) {
            checkAddress("advertised-address", advertisedAddress);
        }
        if (!metricsAddress.isEmpty()) {
            checkAddress("metrics-address", metricsAddress);
        }
        positive("worker-threads", workerThreads);
        positive("task-concurrency", taskConcurrency);
        positive("memory-limit", memoryLimitBytes);
        positive("query-memory-limit", queryMemoryLimitBytes);
        positive("tunnel-buffer-size", tunnelBufferBytes);
        positive("cancelled-gather-cache-size", cancelledGatherCacheSize);
        positive("task-timeout", taskTimeout);
        positive("shutdown-timeout", shutdownTimeout);
        positive("cancelled-gather-ttl", cancelledGatherTtl);
        if (queryMemoryLimitBytes > memoryLimitBytes) {
            throw new ConfigException("query-memory-limit (" + queryMemoryLimitBytes
                    + " bytes) is above memory-limit (" + memoryLimitBytes + " bytes)");
        }
    }

    public static NodeConfig defaults() {
        return load(Map.of());
    }

    /** Reads a properties file, then applies the overrides (flags). */
    public static NodeConfig load(Path file, Map<String, String> overrides) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name).trim()));
        values.putAll(overrides);
        return load(values);
    }

    /** Builds a config from property values; what is not given takes its default. */
    public static NodeConfig load(Map<String, String> values) {
        for (String name : values.keySet()) {
            if (!PROPERTIES.containsKey(name)) {
                throw new ConfigException("unknown property '" + name + "'; known properties: " + String.join(", ", PROPERTIES.keySet()));
            }
        }
        Function<String, String> get = name -> values.getOrDefault(name, PROPERTIES.get(name)[0]);
        return new NodeConfig(
                get.apply("listen-address"),
                get.apply("advertised-address"),
                Path.of(get.apply("data-dir")),
                parse("worker-threads", get, Integer::parseInt),
                parse("task-concurrency", get, Integer::parseInt),
                parse("memory-limit", get, NodeConfig::parseBytes),
                parse("query-memory-limit", get, NodeConfig::parseBytes),
                parse("task-timeout", get, NodeConfig::parseDuration),
                get.apply("metrics-address"),
                parse("shutdown-timeout", get, NodeConfig::parseDuration),
                parse("tunnel-buffer-size", get, NodeConfig::parseBytes),
                parse("cancelled-gather-cache-size", get, Integer::parseInt),
                parse("cancelled-gather-ttl", get, NodeConfig::parseDuration),
                parse("sample-tables", get, NodeConfig::parseBoolean),
                new BinlogSettings(
                        parse("cluster-id", get, Long::parseUnsignedLong),
                        get.apply("binlog-dir").isEmpty() ? Path.of(get.apply("data-dir"), "binlog") : Path.of(get.apply("binlog-dir")),
                        parse("binlog-segment-size", get, NodeConfig::parseBytes),
                        parse("binlog-fsync", get, BinlogSettings::parseFsync),
                        parse("binlog-retention-age", get, NodeConfig::parseDuration),
                        parse("binlog-retention-size", get, NodeConfig::parseBytes),
                        parse("gc-life-time", get, NodeConfig::parseDuration),
                        parse("compaction-interval", get, NodeConfig::parseDuration)),
                ReplicationSettings.load(get));
    }

    /** A copy with one property changed, checked like any other value. */
    public NodeConfig with(String name, String value) {
        Map<String, String> values = new LinkedHashMap<>(toProperties());
        values.put(name, value);
        return load(values);
    }

    /** This config as property values that {@link #load(Map)} reads back to an equal config. */
    public Map<String, String> toProperties() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("listen-address", listenAddress);
        values.put("advertised-address", advertisedAddress);
        values.put("data-dir", dataDir.toString());
        values.put("worker-threads", String.valueOf(workerThreads));
        values.put("task-concurrency", String.valueOf(taskConcurrency));
        values.put("memory-limit", String.valueOf(memoryLimitBytes));
        values.put("query-memory-limit", String.valueOf(queryMemoryLimitBytes));
        values.put("task-timeout", taskTimeout.toMillis() + "ms");
        values.put("metrics-address", metricsAddress);
        values.put("shutdown-timeout", shutdownTimeout.toMillis() + "ms");
        values.put("tunnel-buffer-size", String.valueOf(tunnelBufferBytes));
        values.put("cancelled-gather-cache-size", String.valueOf(cancelledGatherCacheSize));
        values.put("cancelled-gather-ttl", cancelledGatherTtl.toMillis() + "ms");
        values.put("sample-tables", String.valueOf(sampleTables));
        values.put("cluster-id", Long.toUnsignedString(binlog.clusterId()));
        // Empty while it is the default, so that a changed data-dir moves it along.
        values.put("binlog-dir", binlog.dir().equals(dataDir.resolve("binlog")) ? "" : binlog.dir().toString());
        values.put("binlog-segment-size", String.valueOf(binlog.segmentSizeBytes()));
        values.put("binlog-fsync", binlog.fsync() ? "always" : "none");
        values.put("binlog-retention-age", binlog.retentionAge().toMillis() + "ms");
        values.put("binlog-retention-size", String.valueOf(binlog.retentionBytes()));
        values.put("gc-life-time", binlog.gcLifeTime().toMillis() + "ms");
        values.put("compaction-interval", binlog.compactionInterval().toMillis() + "ms");
        // In the table's order (replication.values() is a Map.copyOf, whose order is arbitrary).
        ReplicationSettings.PROPERTIES.forEach((name, defaultAndDescription) ->
                values.put(name, replication.values().getOrDefault(name, defaultAndDescription[0])));
        return values;
    }

    private static <T> T parse(String name, Function<String, String> get, Function<String, T> parser) {
        String value = get.apply(name);
        try {
            return parser.apply(value.trim());
        } catch (RuntimeException e) {
            throw new ConfigException("bad value '" + value + "' for " + name + ": " + e.getMessage());
        }
    }

    private static final Pattern SIZE = Pattern.compile("(-?\\d+)\\s*(B|KiB|MiB|GiB|TiB)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(-?\\d+)\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

    static long parseBytes(String text) {
        Matcher matcher = SIZE.matcher(text);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("expected a size such as 512MiB, 4GiB or 1048576");
        }
        long number = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "b" : matcher.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit) {
            case "kib" -> 10;
            case "mib" -> 20;
            case "gib" -> 30;
            case "tib" -> 40;
            default -> 0;
        };
        if (Math.abs(number) > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("too large");
        }
        return number << shift;
    }

    /** A duration such as 500ms, 10s, 5m or 1h. @throws ConfigException naming {@code what} */
    public static Duration duration(String what, String text) {
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(what + " '" + text + "': " + e.getMessage());
        }
    }

    static Duration parseDuration(String text) {
        Matcher matcher = DURATION.matcher(text);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 10s, 5m or 1h");
        }
        long number = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> Duration.ofMillis(number);
            case "s" -> Duration.ofSeconds(number);
            case "m" -> Duration.ofMinutes(number);
            default -> Duration.ofHours(number);
        };
    }

    private static boolean parseBoolean(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    private static void checkAddress(String name, String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException(name + " '" + address + "' is not host:port");
        }
        try {
            int port = Integer.parseInt(address.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new ConfigException(name + " '" + address + "' has a port outside 0..65535");
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " '" + address + "' has no numeric port");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new ConfigException(name + " must be positive, got " + value);
        }
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new ConfigException(name + " must be positive, got " + value.toMillis() + "ms");
        }
    }

    /** The host part of a host:port address. */
    public static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    /** The port part of a host:port address. */
    public static int port(String address) {
        int colon = address.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            return Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException("'" + address + "' is not an address of the form host:port");
        }
    }
}
