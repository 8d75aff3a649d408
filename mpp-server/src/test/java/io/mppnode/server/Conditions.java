package io.mppnode.server;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a bounded loop, for state that changes on another thread. */
public final class Conditions {
    private Conditions() {}

    public static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 30 s waiting for: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
