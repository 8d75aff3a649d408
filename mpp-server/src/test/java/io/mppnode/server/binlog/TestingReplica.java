package io.mppnode.server.binlog;

import io.mppnode.exec.storage.TableInfo;
import io.mppnode.server.TestingNode;
import io.mppnode.server.coordinator.QueryResult;
import io.mppnode.server.coordinator.QuerySpec;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** Reads a binlog-fed table through a real query at a snapshot. */
final class TestingReplica {
    private TestingReplica() {}

    /** Every row of the table at {@code startTs}, ordered by the first column. */
    static List<List<Object>> rows(TestingNode node, TableInfo table, long startTs) {
        return query(node, table, startTs, Duration.ofSeconds(20)).rows().stream()
                .sorted(Comparator.comparing(row -> (Long) row.getFirst()))
                .toList();
    }

    static QueryResult query(TestingNode node, TableInfo table, long startTs, Duration timeout) {
        try (BufferAllocator results = new RootAllocator()) {
            return node.node().newCoordinator(results)
                    .execute(QuerySpec.of(TestingPump.scanAll(table), List.of(node.address())).withStartTs(startTs).withTimeout(timeout));
        }
    }
}
