package io.mppnode.benchmarks;

/**
 * One way of moving {@link ExchangeBatches} from a sending thread to the benchmark thread, as
 * {@link ExchangeBenchmark} compares them. Built once per trial (servers, channels, threads),
 * then {@link #moveAll()} is one operation.
 */
interface ExchangeContender extends AutoCloseable {
    /**
     * Moves every batch once, from a sender thread to the calling thread, and returns when the
     * last one arrived and was released. Returns the rows received, so that a short transfer
     * cannot pass for a fast one.
     */
    long moveAll() throws Exception;

    /** Stops the servers and threads and closes the contender's allocators, failing on a leak. */
    @Override
    void close() throws Exception;
}
