package io.mppnode.server.replication;

/**
 * Replication cannot go on. {@code retryable}: the source is unreachable or went away, and a
 * reconnect (with backoff) may mend it; otherwise the message says what is wrong and what to do,
 * and replication stops in state FAILED.
 */
final class ReplicationException extends RuntimeException {
    private final boolean retryable;

    ReplicationException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    ReplicationException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    static ReplicationException fatal(String message) {
        return new ReplicationException(message, false);
    }

    boolean retryable() {
        return retryable;
    }
}
