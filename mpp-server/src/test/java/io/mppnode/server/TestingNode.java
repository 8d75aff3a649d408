package io.mppnode.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.mppnode.proto.TikvGrpc;
import io.mppnode.server.config.NodeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real node on a loopback port (and a metrics endpoint on another), with the sample table
 * loaded, its own data directory, and stubs to call it. {@link #close()} shuts it down
 * gracefully and fails when any Arrow memory was not released (the root allocator refuses to
 * close) or when a task is left in the registry.
 */
public final class TestingNode implements AutoCloseable {
    private final MppNode node;
    private final Path dataDir;

    private final Map<String, String> properties;

    private TestingNode(MppNode node, Path dataDir, Map<String, String> properties) {
        this.node = node;
        this.dataDir = dataDir;
        this.properties = properties;
    }

    /**
     * Stops the node (checking, as {@link #close()} does, that it released everything) and
     * starts a new one on the same data directory and properties (another port).
     */
    public static TestingNode restart(TestingNode previous) {
        previous.node.close();
        assertThat(previous.node.tasks().taskCount()).as("tasks left in the registry").isZero();
        assertThat(previous.node.allocator().getAllocatedMemory()).as("Arrow memory not released").isZero();
        try {
            return new TestingNode(MppNode.start(NodeConfig.load(previous.properties)), previous.dataDir, previous.properties);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestingNode start() {
        return start(Map.of());
    }

    /** Starts a node; the overrides are node properties (see NodeConfig.PROPERTIES). */
    public static TestingNode start(Map<String, String> overrides) {
        try {
            Path dataDir = Files.createTempDirectory("mpp-test-node");
            Map<String, String> properties = new LinkedHashMap<>();
            properties.put("listen-address", "127.0.0.1:0");
            properties.put("metrics-address", "127.0.0.1:0");
            properties.put("data-dir", dataDir.toString());
            properties.put("sample-tables", "true");
            properties.put("worker-threads", "2");
            properties.putAll(overrides);
            return new TestingNode(MppNode.start(NodeConfig.load(properties)), dataDir, properties);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public MppNode node() {
        return node;
    }

    public String address() {
        return node.address();
    }

    public ManagedChannel channel() {
        return node.channels().channel(node.address());
    }

    public TikvGrpc.TikvBlockingStub blocking() {
        return TikvGrpc.newBlockingStub(channel());
    }

    public TikvGrpc.TikvStub async() {
        return TikvGrpc.newStub(channel());
    }

    @Override
    public void close() {
        try {
            node.close();
            assertThat(node.tasks().taskCount()).as("tasks left in the registry").isZero();
            assertThat(node.allocator().getAllocatedMemory()).as("Arrow memory not released").isZero();
        } finally {
            try (var files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
