package io.mppnode.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.proto.replication.FilePosition;
import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.StartPoint;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The replicate-* properties: each parses, has its default, and a bad value is a ConfigException naming it. */
class ReplicationSettingsTest {
    /** The least a spec needs: a source, a user and tables; {@code more} adds or overrides. */
    private static Map<String, String> minimal(String... more) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("replicate-source", "db.example:3306");
        values.put("replicate-user", "repl");
        values.put("replicate-tables", "shop");
        for (int i = 0; i < more.length; i += 2) {
            values.put(more[i], more[i + 1]);
        }
        return values;
    }

    private static ReplicationSpec spec(String... more) {
        return ReplicationSettings.spec(minimal(more));
    }

    @Test
    void pinsThePropertiesTheirOrderAndDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        ReplicationSettings.PROPERTIES.forEach((name, defaultAndDescription) -> defaults.put(name, defaultAndDescription[0]));
        assertThat(defaults).containsExactly(
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
        assertThat(ReplicationSettings.PROPERTIES.values()).allSatisfy(defaultAndDescription -> {
            assertThat(defaultAndDescription).hasSize(2);
            assertThat(defaultAndDescription[1]).as("description").isNotBlank();
        });
        // every replicate-* property is a node property too
        assertThat(NodeConfig.PROPERTIES.keySet()).containsAll(ReplicationSettings.PROPERTIES.keySet());
    }

    @Test
    void noSourceMeansNoReplication() {
        assertThat(NodeConfig.defaults().replication().spec()).isEmpty();
        assertThat(NodeConfig.load(Map.of("replicate-source", "  ")).replication().spec()).isEmpty();
    }

    @Test
    void theMinimalSpecTakesEveryDefault() {
        ReplicationSpec spec = spec();
        assertThat(spec.getHost()).isEqualTo("db.example");
        assertThat(spec.getPort()).isEqualTo(3306);
        assertThat(spec.getUser()).isEqualTo("repl");
        assertThat(spec.getPassword()).isEmpty();
        assertThat(spec.getServerId()).isEqualTo(6000);
        assertThat(spec.getTablesList()).containsExactly("shop");
        assertThat(spec.getStart()).isEqualTo(StartPoint.newBuilder().setSnapshot(true).build());
        assertThat(spec.getNonBlocking()).isFalse();
        assertThat(spec.getHeartbeatMillis()).isEqualTo(1000);
        assertThat(spec.getSkipHeartbeats()).isFalse();
        assertThat(spec.getNodesList()).isEmpty();
        assertThat(spec.getRegionsPerNode()).isEqualTo(2);
        assertThat(spec.getTableIdsMap()).isEmpty();
        assertThat(spec.getMaxBackoffMillis()).isEqualTo(30_000);
    }

    @Test
    void everyPropertyParses() {
        ReplicationSpec spec = spec(
                "replicate-source", " 10.0.0.7:3307 ",
                "replicate-user", "replica",
                "replicate-password", "s3cret:with,odd chars",
                "replicate-server-id", "4294967295",
                "replicate-tables", "shop, sales.orders ,, sales.items",
                "replicate-start", "mariadb-bin.000002:4",
                "replicate-mode", "NON-BLOCKING",
                "replicate-heartbeat", "250ms",
                "replicate-skip-heartbeats", "TRUE",
                "replicate-nodes", "10.0.0.1:3930,10.0.0.2:3930",
                "replicate-regions-per-node", "8",
                "replicate-table-ids", "shop.items=100, sales.orders = 200",
                "replicate-max-backoff", "2m");
        assertThat(spec.getHost()).isEqualTo("10.0.0.7");
        assertThat(spec.getPort()).isEqualTo(3307);
        assertThat(spec.getUser()).isEqualTo("replica");
        assertThat(spec.getPassword()).isEqualTo("s3cret:with,odd chars");
        assertThat(Integer.toUnsignedLong(spec.getServerId())).as("uint32 server_id").isEqualTo(4294967295L);
        assertThat(spec.getTablesList()).containsExactly("shop", "sales.orders", "sales.items");
        assertThat(spec.getStart().getFile()).isEqualTo(FilePosition.newBuilder().setFile("mariadb-bin.000002").setPosition(4).build());
        assertThat(spec.getNonBlocking()).isTrue();
        assertThat(spec.getHeartbeatMillis()).isEqualTo(250);
        assertThat(spec.getSkipHeartbeats()).isTrue();
        assertThat(spec.getNodesList()).containsExactly("10.0.0.1:3930", "10.0.0.2:3930");
        assertThat(spec.getRegionsPerNode()).isEqualTo(8);
        assertThat(spec.getTableIdsMap()).containsExactlyInAnyOrderEntriesOf(Map.of("shop.items", 100L, "sales.orders", 200L));
        assertThat(spec.getMaxBackoffMillis()).isEqualTo(120_000);
    }

    @Test
    void aHeartbeatOfZeroMeansNone() {
        assertThat(spec("replicate-heartbeat", "0s").getHeartbeatMillis()).isZero();
        assertThat(spec("replicate-mode", "follow").getNonBlocking()).isFalse();
        assertThat(spec("replicate-skip-heartbeats", "false").getSkipHeartbeats()).isFalse();
    }

    @Test
    void theStartForms() {
        assertThat(ReplicationSettings.start("snapshot")).isEqualTo(StartPoint.newBuilder().setSnapshot(true).build());
        assertThat(ReplicationSettings.start("SNAPSHOT").getSnapshot()).isTrue();
        assertThat(ReplicationSettings.start("now")).isEqualTo(StartPoint.newBuilder().setNow(true).build());
        assertThat(ReplicationSettings.start("Now").getNow()).isTrue();
        assertThat(ReplicationSettings.start("mariadb-bin.000003:1234").getFile())
                .isEqualTo(FilePosition.newBuilder().setFile("mariadb-bin.000003").setPosition(1234).build());
        // position 4: the start of the file
        assertThat(ReplicationSettings.start("binlog.000001:4").getFile().getPosition()).isEqualTo(4);
        // an empty file name: the oldest file the source has
        assertThat(ReplicationSettings.start(":4").getFile()).isEqualTo(FilePosition.newBuilder().setFile("").setPosition(4).build());
        // spaces around the parts
        assertThat(ReplicationSettings.start("mariadb-bin.000002 : 120").getFile())
                .isEqualTo(FilePosition.newBuilder().setFile("mariadb-bin.000002").setPosition(120).build());
        // a GTID set, MariaDB's and MySQL's; GTID: in any case
        assertThat(ReplicationSettings.start("gtid:0-1-42").getGtidSet()).isEqualTo("0-1-42");
        assertThat(ReplicationSettings.start("GTID: 0-1-42,1-1-7 ").getGtidSet()).isEqualTo("0-1-42,1-1-7 ".strip());
        assertThat(ReplicationSettings.start("gtid:3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5").getGtidSet())
                .isEqualTo("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
        // through the spec, the value is trimmed first
        assertThat(spec("replicate-start", "  now ").getStart().getNow()).isTrue();
    }

    @ParameterizedTest(name = "replicate-start={0}")
    @CsvSource(delimiter = '|', value = {
        "mariadb-bin.000002",
        "mariadb-bin.000002:",
        "mariadb-bin.000002:abc",
        "mariadb-bin.000002:3",
        "mariadb-bin.000002:0",
        "mariadb-bin.000002:-4",
        "gtid:",
        "'gtid:   '",
        "snap",
        "latest",
        "''",
    })
    void aBadStartIsAConfigErrorNamingTheProperty(String value) {
        assertThatThrownBy(() -> spec("replicate-start", value))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("replicate-start");
    }

    @Test
    void aPositionBelowFourSaysWhy() {
        assertThatThrownBy(() -> ReplicationSettings.start("mariadb-bin.000002:3"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("replicate-start")
                .hasMessageContaining("at least 4");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        // property                  | bad value
        "replicate-source            | db.example",
        "replicate-source            | db.example:",
        "replicate-source            | db.example:port",
        "replicate-source            | :3306",
        "replicate-source            | db.example:0",
        "replicate-source            | db.example:65536",
        "replicate-source            | db.example:-1",
        "replicate-user              | ''",
        "replicate-user              | '   '",
        "replicate-server-id         | 0",
        "replicate-server-id         | -1",
        "replicate-server-id         | 4294967296",
        "replicate-server-id         | six",
        "replicate-server-id         | ''",
        "replicate-tables            | ''",
        "replicate-tables            | ' , '",
        "replicate-tables            | .items",
        "replicate-tables            | shop.",
        "replicate-mode              | folow",
        "replicate-mode              | nonblocking",
        "replicate-mode              | ''",
        "replicate-heartbeat         | 1",
        "replicate-heartbeat         | -1s",
        "replicate-heartbeat         | soon",
        "replicate-heartbeat         | 1000h",
        "replicate-skip-heartbeats   | yes",
        "replicate-skip-heartbeats   | 1",
        "replicate-nodes             | 10.0.0.1",
        "replicate-nodes             | 10.0.0.1:3930,10.0.0.2",
        "replicate-nodes             | 10.0.0.1:port",
        "replicate-regions-per-node  | 0",
        "replicate-regions-per-node  | -2",
        "replicate-regions-per-node  | many",
        "replicate-regions-per-node  | 1024",
        "replicate-table-ids         | items=5",
        "replicate-table-ids         | shop.items",
        "replicate-table-ids         | shop.items=",
        "replicate-table-ids         | shop.items=0",
        "replicate-table-ids         | shop.items=-3",
        "replicate-table-ids         | shop.items=x",
        "replicate-table-ids         | =5",
        "replicate-max-backoff       | 30",
        "replicate-max-backoff       | -1s",
        "replicate-max-backoff       | forever",
    })
    void aBadValueIsAConfigErrorNamingTheProperty(String property, String value) {
        assertThatThrownBy(() -> spec(property, value))
                .as("%s=%s", property, value)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(property);
        // the same through the node's config: it is checked when the node loads it
        Map<String, String> values = minimal(property, value);
        assertThatThrownBy(() -> NodeConfig.load(values))
                .as("node config %s=%s", property, value)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(property);
    }

    @Test
    void regionsOverAllNodesAreBounded() {
        // 1023 regions per table over all nodes: 341 on each of three nodes, not 342
        assertThat(spec("replicate-nodes", "a:1,b:1,c:1", "replicate-regions-per-node", "341").getRegionsPerNode()).isEqualTo(341);
        assertThatThrownBy(() -> spec("replicate-nodes", "a:1,b:1,c:1", "replicate-regions-per-node", "342"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("replicate-regions-per-node");
    }

    @Test
    void theNodeConfigCarriesTheSpec() {
        NodeConfig config = NodeConfig.load(minimal("replicate-password", "pw", "replicate-start", "now"));
        ReplicationSpec spec = config.replication().spec().orElseThrow();
        assertThat(spec.getHost()).isEqualTo("db.example");
        assertThat(spec.getPassword()).isEqualTo("pw");
        assertThat(spec.getStart().getNow()).isTrue();
        // written back as properties, in the table's order, and read back to the same config
        Map<String, String> properties = config.toProperties();
        assertThat(properties.keySet().stream().filter(name -> name.startsWith("replicate-")).toList())
                .containsExactlyElementsOf(ReplicationSettings.PROPERTIES.keySet());
        assertThat(properties).containsEntry("replicate-source", "db.example:3306").containsEntry("replicate-start", "now");
        assertThat(NodeConfig.load(properties).replication().spec()).contains(spec);
    }

    @Test
    void anUnknownReplicatePropertyIsRefused() {
        assertThatThrownBy(() -> NodeConfig.load(minimal("replicate-tabels", "shop")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("replicate-tabels");
    }
}
