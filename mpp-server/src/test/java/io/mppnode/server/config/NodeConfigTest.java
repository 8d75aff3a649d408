package io.mppnode.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeConfigTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    @Test
    void pinsEveryPropertyNameInOrder() {
        assertThat(NodeConfig.PROPERTIES.keySet()).containsExactly(
                "listen-address",
                "advertised-address",
                "data-dir",
                "worker-threads",
                "task-concurrency",
                "memory-limit",
                "query-memory-limit",
                "task-timeout",
                "metrics-address",
                "shutdown-timeout",
                "tunnel-buffer-size",
                "cancelled-gather-cache-size",
                "cancelled-gather-ttl",
                "sample-tables",
                "cluster-id",
                "binlog-dir",
                "binlog-segment-size",
                "binlog-fsync",
                "binlog-retention-age",
                "binlog-retention-size",
                "gc-life-time",
                "compaction-interval",
                "replicate-source",
                "replicate-user",
                "replicate-password",
                "replicate-server-id",
                "replicate-tables",
                "replicate-start",
                "replicate-mode",
                "replicate-heartbeat",
                "replicate-skip-heartbeats",
                "replicate-nodes",
                "replicate-regions-per-node",
                "replicate-table-ids",
                "replicate-max-backoff");
        assertThat(NodeConfig.PROPERTIES.values()).allSatisfy(defaultAndDescription -> {
            assertThat(defaultAndDescription).hasSize(2);
            assertThat(defaultAndDescription[1]).as("description").isNotBlank();
        });
        // toProperties writes every property, in the same order
        assertThat(NodeConfig.defaults().toProperties().keySet()).containsExactlyElementsOf(NodeConfig.PROPERTIES.keySet());
    }

    @Test
    void pinsEveryDefault() {
        NodeConfig config = NodeConfig.defaults();
        assertThat(config.listenAddress()).isEqualTo("127.0.0.1:3930");
        assertThat(config.advertisedAddress()).isEmpty();
        assertThat(config.dataDir()).isEqualTo(Path.of("data"));
        assertThat(config.workerThreads()).isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
        assertThat(config.memoryLimitBytes()).isEqualTo(4 * GIB);
        assertThat(config.queryMemoryLimitBytes()).isEqualTo(2 * GIB);
        assertThat(config.taskTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.metricsAddress()).isEqualTo("127.0.0.1:8234");
        assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.tunnelBufferBytes()).isEqualTo(8 * MIB);
        assertThat(config.cancelledGatherCacheSize()).isEqualTo(100_000);
        assertThat(config.cancelledGatherTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.sampleTables()).isFalse();
    }

    @Test
    void defaultsInTheTableAreTheOnesTheConfigUses() {
        Map<String, String> defaults = new LinkedHashMap<>();
        NodeConfig.PROPERTIES.forEach((name, defaultAndDescription) -> defaults.put(name, defaultAndDescription[0]));
        assertThat(defaults).containsExactly(
                Map.entry("listen-address", "127.0.0.1:3930"),
                Map.entry("advertised-address", ""),
                Map.entry("data-dir", "data"),
                Map.entry("worker-threads", String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors()))),
                Map.entry("task-concurrency", String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors() / 2))),
                Map.entry("memory-limit", "4GiB"),
                Map.entry("query-memory-limit", "2GiB"),
                Map.entry("task-timeout", "10s"),
                Map.entry("metrics-address", "127.0.0.1:8234"),
                Map.entry("shutdown-timeout", "30s"),
                Map.entry("tunnel-buffer-size", "8MiB"),
                Map.entry("cancelled-gather-cache-size", "100000"),
                Map.entry("cancelled-gather-ttl", "10m"),
                Map.entry("sample-tables", "false"),
                Map.entry("cluster-id", "1"),
                Map.entry("binlog-dir", ""),
                Map.entry("binlog-segment-size", "64MiB"),
                Map.entry("binlog-fsync", "always"),
                Map.entry("binlog-retention-age", "168h"),
                Map.entry("binlog-retention-size", "0"),
                Map.entry("gc-life-time", "10m"),
                Map.entry("compaction-interval", "1m"),
                Map.entry("replicate-source", ""),
                Map.entry("replicate-user", ""),
                Map.entry("replicate-password", ""),
                Map.entry("replicate-server-id", "6000"),
                Map.entry("replicate-tables", ""),
                Map.entry("replicate-start", "snapshot"),
                Map.entry("replicate-mode", "follow"),
                Map.entry("replicate-heartbeat", "1s"),
                Map.entry("replicate-skip-heartbeats", "false"),
                Map.entry("replicate-nodes", ""),
                Map.entry("replicate-regions-per-node", "2"),
                Map.entry("replicate-table-ids", ""),
                Map.entry("replicate-max-backoff", "30s"));
        assertThat(NodeConfig.load(defaults)).isEqualTo(NodeConfig.defaults());
    }

    @Test
    void loadsAPropertiesFileAndTheOverridesWin(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("node.properties");
        Files.writeString(file, String.join("\n",
                "# a node config",
                "listen-address = 0.0.0.0:4000",
                "task-timeout=5s",
                "memory-limit=  1GiB  ",
                "query-memory-limit=256MiB",
                "worker-threads=3",
                "data-dir=" + dir.resolve("data").toString().replace("\\", "\\\\"),
                "sample-tables=true",
                ""), StandardCharsets.UTF_8);

        NodeConfig config = NodeConfig.load(file, Map.of("task-timeout", "250ms", "worker-threads", "7"));

        assertThat(config.listenAddress()).isEqualTo("0.0.0.0:4000");
        assertThat(config.memoryLimitBytes()).isEqualTo(GIB);
        assertThat(config.queryMemoryLimitBytes()).isEqualTo(256 * MIB);
        assertThat(config.dataDir()).isEqualTo(dir.resolve("data"));
        assertThat(config.sampleTables()).isTrue();
        // the overrides (flags) win over the file
        assertThat(config.taskTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.workerThreads()).isEqualTo(7);
        // what neither sets keeps its default
        assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.metricsAddress()).isEqualTo("127.0.0.1:8234");
    }

    @Test
    void aMissingFileIsAConfigErrorNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> NodeConfig.load(missing, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void anUnknownPropertyInAFileIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("node.properties");
        Files.writeString(file, "listen-adress=127.0.0.1:1\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> NodeConfig.load(file, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listen-adress");
    }

    @Test
    void toPropertiesRoundTrips() {
        NodeConfig defaults = NodeConfig.defaults();
        assertThat(NodeConfig.load(defaults.toProperties())).isEqualTo(defaults);

        NodeConfig custom = NodeConfig.load(Map.ofEntries(
                Map.entry("listen-address", "10.0.0.1:1234"),
                Map.entry("advertised-address", "node-1.example:1234"),
                Map.entry("data-dir", "/var/lib/mpp"),
                Map.entry("worker-threads", "5"),
                Map.entry("task-concurrency", "3"),
                Map.entry("memory-limit", "3GiB"),
                Map.entry("query-memory-limit", "1536MiB"),
                Map.entry("task-timeout", "1500ms"),
                Map.entry("metrics-address", ""),
                Map.entry("shutdown-timeout", "2m"),
                Map.entry("tunnel-buffer-size", "64KiB"),
                Map.entry("cancelled-gather-cache-size", "17"),
                Map.entry("cancelled-gather-ttl", "1h"),
                Map.entry("sample-tables", "true")));
        assertThat(NodeConfig.load(custom.toProperties())).isEqualTo(custom);
        assertThat(custom.with("worker-threads", "9").workerThreads()).isEqualTo(9);
        Map<String, String> changed = new LinkedHashMap<>(custom.with("worker-threads", "9").toProperties());
        changed.put("worker-threads", "5");
        assertThat(changed).isEqualTo(custom.toProperties());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "task-timeout|-5s",
            "task-timeout|0s",
            "task-timeout|5",
            "task-timeout|five seconds",
            "task-timeout|1.5s",
            "task-timeout|5d",
            "shutdown-timeout|-1ms",
            "cancelled-gather-ttl|0m",
            "memory-limit|lots",
            "memory-limit|4GB",
            "memory-limit|1.5GiB",
            "memory-limit|0",
            "memory-limit|-1MiB",
            "memory-limit|99999999999GiB",
            "tunnel-buffer-size|8 MB",
            "query-memory-limit|8GiB",
            "worker-threads|0",
            "worker-threads|-2",
            "task-concurrency|0",
            "worker-threads|two",
            "worker-threads|99999999999",
            "cancelled-gather-cache-size|0",
            "listen-address|127.0.0.1",
            "listen-address|127.0.0.1:",
            "listen-address|127.0.0.1:http",
            "listen-address|127.0.0.1:70000",
            "listen-address|:3930",
            "advertised-address|node-1",
            "metrics-address|localhost",
            "sample-tables|yes",
            "sample-tables|1",
            "binlog-fsync|sometimes",
            "binlog-segment-size|1KiB",
            "cluster-id|-1",
            "compaction-interval|0s",
            "binlog-retention-size|-1",
    })
    void aBadValueIsRefusedNamingTheProperty(String name, String value) {
        assertThatThrownBy(() -> NodeConfig.load(Map.of(name, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(name);
    }

    @Test
    void anUnknownPropertyIsRefusedNamingIt() {
        assertThatThrownBy(() -> NodeConfig.load(Map.of("worker-thread", "4")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'worker-thread'")
                .hasMessageContaining("worker-threads");
    }

    @Test
    void aNegativeTaskTimeoutSaysItMustBePositive() {
        assertThatThrownBy(() -> NodeConfig.load(Map.of("task-timeout", "-5s")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("task-timeout")
                .hasMessageContaining("positive");
    }

    @Test
    void aQueryLimitAboveTheNodeLimitNamesBoth() {
        assertThatThrownBy(() -> NodeConfig.load(Map.of("memory-limit", "1GiB", "query-memory-limit", "2GiB")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("query-memory-limit")
                .hasMessageContaining("memory-limit");
        // equal is allowed
        assertThat(NodeConfig.load(Map.of("memory-limit", "1GiB", "query-memory-limit", "1GiB")).queryMemoryLimitBytes())
                .isEqualTo(GIB);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "0, 0",
            "1048576, 1048576",
            "512B, 512",
            "1KiB, 1024",
            "3kib, 3072",
            "64 KiB, 65536",
            "512MiB, 536870912",
            "1MiB, 1048576",
            "4GiB, 4294967296",
            "2gib, 2147483648",
            "1TiB, 1099511627776",
    })
    void sizesParseWithBinaryUnits(String text, long bytes) {
        assertThat(NodeConfig.parseBytes(text)).isEqualTo(bytes);
    }

    @Test
    void sizeUnitsReachTheConfig() {
        assertThat(NodeConfig.load(Map.of("tunnel-buffer-size", "3KiB")).tunnelBufferBytes()).isEqualTo(3 * KIB);
        assertThat(NodeConfig.load(Map.of("tunnel-buffer-size", "5MiB")).tunnelBufferBytes()).isEqualTo(5 * MIB);
        assertThat(NodeConfig.load(Map.of("memory-limit", "6GiB")).memoryLimitBytes()).isEqualTo(6 * GIB);
        assertThat(NodeConfig.load(Map.of("tunnel-buffer-size", "4096")).tunnelBufferBytes()).isEqualTo(4096);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "250ms, 250",
            "1500ms, 1500",
            "5s, 5000",
            "10S, 10000",
            "5m, 300000",
            "1h, 3600000",
            "2 h, 7200000",
    })
    void durationsParseWithUnits(String text, long millis) {
        assertThat(NodeConfig.parseDuration(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void durationUnitsReachTheConfig() {
        assertThat(NodeConfig.load(Map.of("task-timeout", "750ms")).taskTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(NodeConfig.load(Map.of("task-timeout", "3s")).taskTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(NodeConfig.load(Map.of("shutdown-timeout", "2m")).shutdownTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(NodeConfig.load(Map.of("cancelled-gather-ttl", "1h")).cancelledGatherTtl()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void booleansAcceptTrueAndFalseInAnyCase() {
        assertThat(NodeConfig.load(Map.of("sample-tables", "TRUE")).sampleTables()).isTrue();
        assertThat(NodeConfig.load(Map.of("sample-tables", "False")).sampleTables()).isFalse();
    }

    @Test
    void addressesSplitIntoHostAndPort() {
        assertThat(NodeConfig.host("127.0.0.1:3930")).isEqualTo("127.0.0.1");
        assertThat(NodeConfig.port("127.0.0.1:3930")).isEqualTo(3930);
        assertThat(NodeConfig.load(Map.of("listen-address", "127.0.0.1:0")).listenAddress()).isEqualTo("127.0.0.1:0");
        assertThat(Arrays.asList(NodeConfig.PROPERTIES.get("listen-address"))).first().isEqualTo("127.0.0.1:3930");
    }
}
