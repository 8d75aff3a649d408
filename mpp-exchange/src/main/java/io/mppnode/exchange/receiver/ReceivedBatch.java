package io.mppnode.exchange.receiver;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A batch taken from a receiver, with where it came from: the index of its source (in the
 * receiver's source order) and its stream id (fine-grained shuffle; 0 otherwise). The caller
 * owns the batch and closes it.
 */
public record ReceivedBatch(VectorSchemaRoot batch, int sourceIndex, long streamId) {
    public ReceivedBatch {
        requireNonNull(batch, "batch is null");
    }
}
