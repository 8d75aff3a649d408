package io.mppnode.benchmarks;

import org.apache.arrow.memory.BufferAllocator;

/**
 * Our side of one {@link OperatorBenchmark.Operation}: mpp-exec operators run over the batches
 * of {@link LineitemData}, their whole output reduced to one number, the checksum, by the same
 * rule as the operation's DuckDB query (a row count, or the sum of every numeric value of the
 * result), so that the benchmark can check once, before measuring, that both sides did the same
 * work.
 *
 * <p>This is the extension point for more operators: a single-input operator (Sort, say) is one
 * more {@link SingleInputWorkload} factory; an operator with two inputs (a hash join's build and
 * probe sides) implements {@link #runOurs} itself, over a second table generated next to
 * {@code lineitem} and loaded into DuckDB too.
 */
interface OperatorWorkload {
    /**
     * Runs our operators once over every batch of {@code data}, consuming the whole output, and
     * returns the checksum. Everything is allocated in child allocators of {@code parent} that
     * are closed again before returning (a leak fails the run).
     */
    double runOurs(LineitemData data, BufferAllocator parent);
}
