package io.mppnode.server.replication;

import static io.mppnode.server.replication.TestingReplication.PASSWORD;
import static io.mppnode.server.replication.TestingReplication.USER;
import static io.mppnode.server.replication.TestingReplication.assertSameAsSource;
import static io.mppnode.server.replication.TestingReplication.awaitCaughtUp;
import static io.mppnode.server.replication.TestingReplication.awaitStatus;
import static io.mppnode.server.replication.TestingReplication.spec;
import static io.mppnode.server.replication.TestingReplication.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.exec.storage.TableInfo;
import io.mppnode.proto.replication.ReplicationState;
import io.mppnode.proto.replication.ReplicationStatus;
import io.mppnode.server.TestingNode;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A node replicating from a real MariaDB server: the initial snapshot, then inserts, updates
 * and deletes (multi-row, multi-statement transactions, rollbacks), each upstream transaction
 * one commit; DDL; everything compared with the rows MariaDB holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationTest {
    private TestingMariaDb maria;
    private TestingNode node;

    @BeforeAll
    void startSource() {
        maria = TestingMariaDb.start();
        maria.createReplicationUser(USER, PASSWORD);
    }

    @AfterAll
    void stopSource() {
        maria.close();
    }

    @BeforeEach
    void startNode() {
        node = TestingNode.start(Map.of("sample-tables", "false"));
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    @Test
    void snapshotThenRowChangesMatchTheSource() throws Exception {
        maria.execute("CREATE DATABASE shop",
                "CREATE TABLE shop.items (id BIGINT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4, price DECIMAL(10,2),"
                        + " stock INT, added DATE)",
                "CREATE TABLE shop.orders (order_id INT, line INT, item BIGINT, qty INT NOT NULL, PRIMARY KEY (order_id, line))");
        try (Connection connection = maria.connect("shop"); Statement statement = connection.createStatement()) {
            for (int i = 1; i <= 500; i++) {
                statement.addBatch("INSERT INTO items VALUES (" + i + ", 'item " + i + " é✓', " + (i * 3) + ".25, " + (i % 17) + ", '2024-01-"
                        + (1 + i % 28) + "')");
            }
            statement.executeBatch();
            statement.execute("INSERT INTO orders VALUES (1, 1, 5, 2), (1, 2, 6, 1), (2, 1, 5, 9)");
        }
        node.node().replication().start(spec(maria, "shop", Map.of()));
        ReplicationStatus caughtUp = awaitCaughtUp(node, maria);
        assertThat(caughtUp.getState()).isEqualTo(ReplicationState.STREAMING);
        assertSameAsSource(node, List.of(node.address()), maria, "shop.items");
        assertSameAsSource(node, List.of(node.address()), maria, "shop.orders");
        long transactionsBefore = caughtUp.getTransactionsApplied();

        try (Connection connection = maria.connect("shop"); Statement statement = connection.createStatement()) {
            // 1: a multi-row insert
            statement.execute("INSERT INTO items VALUES (1001, 'new a', 1.50, 3, '2024-05-01'), (1002, NULL, NULL, NULL, NULL),"
                    + " (1003, 'new c', 99999999.99, -5, '1999-12-31')");
            // 2: a multi-row update, one that moves a key, and deletes, in one multi-statement transaction
            connection.setAutoCommit(false);
            statement.execute("UPDATE items SET price = price * 2, stock = stock + 1 WHERE id <= 100");
            statement.execute("UPDATE items SET id = 5000, name = 'moved' WHERE id = 200");
            statement.execute("DELETE FROM items WHERE id BETWEEN 300 AND 350");
            statement.execute("UPDATE orders SET qty = qty + 10 WHERE order_id = 1");
            statement.execute("DELETE FROM orders WHERE order_id = 2");
            statement.execute("INSERT INTO orders VALUES (3, 1, 1001, 4)");
            connection.commit();
            // a rolled-back transaction leaves nothing
            statement.execute("INSERT INTO items VALUES (7777, 'rolled back', 1, 1, NULL)");
            statement.execute("DELETE FROM items WHERE id = 1");
            connection.rollback();
            // 3: a single-row update and a delete of a row inserted in the same transaction
            statement.execute("INSERT INTO items VALUES (8888, 'short-lived', 1, 1, NULL)");
            statement.execute("UPDATE items SET name = 'renamed' WHERE id = 2");
            statement.execute("DELETE FROM items WHERE id = 8888");
            connection.commit();
        }
        ReplicationStatus after = awaitCaughtUp(node, maria);
        assertSameAsSource(node, List.of(node.address()), maria, "shop.items");
        assertSameAsSource(node, List.of(node.address()), maria, "shop.orders");
        assertThat(after.getTransactionsApplied() - transactionsBefore).as("one commit per upstream transaction").isEqualTo(3);
        assertThat(after.getApplied().getGtidSet()).as("the GTID set moves with the position").isNotEmpty();
        assertThat(after.getLastError()).isEmpty();
    }

    @Test
    void createAddColumnAndDropTableAreApplied() throws Exception {
        maria.execute("CREATE DATABASE ddl", "CREATE TABLE ddl.a (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO ddl.a VALUES (1, 'one')");
        node.node().replication().start(spec(maria, "ddl", Map.of()));
        awaitCaughtUp(node, maria);

        maria.execute("CREATE TABLE ddl.b (k BIGINT PRIMARY KEY, amount DECIMAL(12,3))",
                "INSERT INTO ddl.b VALUES (10, 1.5), (20, -2.125)",
                "ALTER TABLE ddl.a ADD COLUMN extra BIGINT",
                "INSERT INTO ddl.a VALUES (2, 'two', 42)",
                "UPDATE ddl.a SET extra = 7 WHERE id = 1");
        awaitCaughtUp(node, maria);
        TableInfo a = table(node, "ddl.a");
        assertThat(a.columns()).extracting(column -> column.name()).containsExactly("id", "v", "extra");
        assertSameAsSource(node, List.of(node.address()), maria, "ddl.a");
        assertSameAsSource(node, List.of(node.address()), maria, "ddl.b");

        maria.execute("DROP TABLE ddl.b");
        awaitCaughtUp(node, maria);
        assertThat(node.node().catalog().table("ddl.b")).as("dropped upstream, dropped here").isEmpty();

        // DDL replication does not apply stops replication, naming the statement; what is applied stays
        maria.execute("ALTER TABLE ddl.a DROP COLUMN v", "INSERT INTO ddl.a VALUES (3, 99)");
        ReplicationStatus failed = awaitStatus(node, "replication to stop on DROP COLUMN", s -> s.getState() == ReplicationState.FAILED);
        assertThat(failed.getLastError()).contains("ALTER TABLE ddl.a DROP COLUMN v").contains("does not apply");
        // the replica stopped before the DDL: reads at its resolved ts see the rows before it
        assertThat(TestingReplication.rows(node, List.of(node.address()), table(node, "ddl.a"), node.node().binlog().replica().resolvedTs()))
                .as("rows before the DDL").hasSize(2);
    }
}
