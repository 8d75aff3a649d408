package io.mppnode.server.binlog.log;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Futures waiting for the durable end to move past a position, ordered by that position so each
 * advance completes just the ones it satisfies. A waiter is a future, not a parked thread.
 *
 * <p>Thread-safe. Futures complete outside the lock, on the thread that advances the end (the
 * log's writer) or that closes.
 */
final class AppendWaiters {
    private record Waiter(LogPosition knownEnd, CompletableFuture<Void> future) {}

    private final Object lock = new Object();
    private final PriorityQueue<Waiter> waiting = new PriorityQueue<>(Comparator.comparing(Waiter::knownEnd));
    private LogPosition end;
    private String closedReason;

    AppendWaiters(LogPosition end) {
        this.end = requireNonNull(end, "end is null");
    }

    CompletableFuture<Void> await(LogPosition knownEnd) {
        requireNonNull(knownEnd, "knownEnd is null");
        CompletableFuture<Void> future = new CompletableFuture<>();
        Waiter waiter = new Waiter(knownEnd, future);
        synchronized (lock) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(new IllegalStateException(closedReason));
            }
            if (end.isAfter(knownEnd)) {
                return CompletableFuture.completedFuture(null);
            }
            waiting.add(waiter);
        }
        // A caller that gives up (a cancelled stream) must not leave its waiter behind on an idle log.
        future.whenComplete((ignored, error) -> {
            if (future.isCancelled()) {
                synchronized (lock) {
                    waiting.remove(waiter);
                }
            }
        });
        return future;
    }

    void advance(LogPosition newEnd) {
        List<Waiter> ready = new ArrayList<>();
        synchronized (lock) {
            end = newEnd;
            while (!waiting.isEmpty() && newEnd.isAfter(waiting.peek().knownEnd())) {
                ready.add(waiting.poll());
            }
        }
        for (Waiter waiter : ready) {
            waiter.future().complete(null);
        }
    }

    void close(String reason) {
        List<Waiter> left;
        synchronized (lock) {
            closedReason = reason;
            left = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (Waiter waiter : left) {
            waiter.future().completeExceptionally(new IllegalStateException(reason));
        }
    }
}
