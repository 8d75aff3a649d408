package io.mppnode.server.replication;

import io.mppnode.proto.replication.ReplicationSpec;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import java.util.Map;

/**
 * {@link TestingReplication}'s helpers for tests in other packages (such as the TPC-H
 * replication test in {@code io.mppnode.server.tpch}); that class stays package-private.
 */
public final class TestingReplicationAccess {
    private TestingReplicationAccess() {}

    /** Creates the replication user the specs of {@link #spec} log in as. */
    public static void createReplicationUser(TestingMariaDb maria) {
        maria.createReplicationUser(TestingReplication.USER, TestingReplication.PASSWORD);
    }

    /** See {@link TestingReplication#spec}. */
    public static ReplicationSpec spec(TestingMariaDb maria, String tables, Map<String, String> more) {
        return TestingReplication.spec(maria, tables, more);
    }

    /** See {@link TestingReplication#awaitCaughtUp}. */
    public static ReplicationStatus awaitCaughtUp(TestingNode node, TestingMariaDb maria) {
        return TestingReplication.awaitCaughtUp(node, maria);
    }
}
