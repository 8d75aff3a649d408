package io.mppnode.server.tpch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.plan.ExchangeType;
import io.mppnode.proto.plan.Executor;
import io.mppnode.proto.plan.Plan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every TPC-H plan follows the distributed plan convention: unique executor ids; every
 * ExchangeReceiver has one child, the ExchangeSender of its fragment, and leaves TaskMetas and
 * schema to the coordinator; HASH senders have keys, others none; a fragment scans at most one
 * table and, if it scans, receives no HASH and no PASS_THROUGH exchange; a fragment that
 * receives a PASS_THROUGH exchange runs on one node (it neither scans nor receives HASH), and
 * so does the root fragment, which ends every query.
 */
class TpchPlanShapeTest {
    static IntStream queries() {
        return IntStream.rangeClosed(1, TpchQueries.COUNT);
    }

    /** One fragment: its root sender, the tables it scans, the exchanges it receives. */
    private record FragmentShape(Executor sender, Set<Long> tables, List<ExchangeType> received) {
        boolean runsOnOneNode() {
            return tables.isEmpty() && !received.contains(ExchangeType.HASH);
        }
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void followsTheDistributedPlanConvention(int query) {
        Plan plan = TpchQueries.plan(query);
        assertThat(plan.getRoot().hasExchangeSender()).isTrue();
        assertThat(plan.getRoot().getExchangeSender().getType()).isEqualTo(ExchangeType.PASS_THROUGH);
        Set<String> ids = new HashSet<>();
        List<FragmentShape> fragments = new ArrayList<>();
        FragmentShape root = fragment(plan.getRoot(), ids, fragments);
        assertThat(root.runsOnOneNode()).as("Q%d: the root fragment runs on one node", query).isTrue();
        assertThat(fragments.size()).as("Q%d is distributed", query).isGreaterThan(1);
        for (FragmentShape fragment : fragments) {
            String name = "Q" + query + " fragment " + fragment.sender().getExecutorId();
            assertThat(fragment.tables()).as("%s scans at most one table", name).hasSizeLessThanOrEqualTo(1);
            if (!fragment.tables().isEmpty()) {
                assertThat(fragment.received()).as("%s scans, so receives only BROADCAST", name)
                        .doesNotContain(ExchangeType.HASH, ExchangeType.PASS_THROUGH);
            }
            if (fragment.received().contains(ExchangeType.PASS_THROUGH)) {
                assertThat(fragment.runsOnOneNode()).as("%s receives PASS_THROUGH, so runs on one node", name).isTrue();
            }
        }
    }

    private static FragmentShape fragment(Executor sender, Set<String> ids, List<FragmentShape> fragments) {
        Set<Long> tables = new LinkedHashSet<>();
        List<ExchangeType> received = new ArrayList<>();
        checkSender(sender, ids);
        walk(sender.getChildren(0), ids, tables, received, fragments);
        FragmentShape shape = new FragmentShape(sender, tables, received);
        fragments.add(shape);
        return shape;
    }

    private static void checkSender(Executor sender, Set<String> ids) {
        assertThat(ids.add(sender.getExecutorId())).as("executor id %s is unique", sender.getExecutorId()).isTrue();
        assertThat(sender.getChildrenCount()).as("children of %s", sender.getExecutorId()).isEqualTo(1);
        assertThat(sender.getExchangeSender().getReceiversCount()).as("receivers of %s", sender.getExecutorId()).isZero();
        boolean hash = sender.getExchangeSender().getType() == ExchangeType.HASH;
        assertThat(sender.getExchangeSender().getPartitionKeysCount() > 0).as("%s has keys iff HASH", sender.getExecutorId())
                .isEqualTo(hash);
    }

    private static void walk(Executor executor, Set<String> ids, Set<Long> tables, List<ExchangeType> received,
            List<FragmentShape> fragments) {
        assertThat(ids.add(executor.getExecutorId())).as("executor id %s is unique", executor.getExecutorId()).isTrue();
        assertThat(executor.hasExchangeSender()).as("%s: a sender only roots a fragment", executor.getExecutorId()).isFalse();
        if (executor.hasTableScan()) {
            tables.add(executor.getTableScan().getTableId());
        }
        if (executor.hasExchangeReceiver()) {
            assertThat(executor.getChildrenCount()).as("children of %s", executor.getExecutorId()).isEqualTo(1);
            Executor sender = executor.getChildren(0);
            assertThat(sender.hasExchangeSender()).as("the child of %s is a sender", executor.getExecutorId()).isTrue();
            assertThat(executor.getExchangeReceiver().getSchemaCount()).as("schema of %s", executor.getExecutorId()).isZero();
            assertThat(executor.getExchangeReceiver().getSendersCount()).as("senders of %s", executor.getExecutorId()).isZero();
            received.add(sender.getExchangeSender().getType());
            fragment(sender, ids, fragments);
            return;
        }
        executor.getChildrenList().forEach(child -> walk(child, ids, tables, received, fragments));
    }
}
