package io.mppnode.server.log;

import java.util.logging.LogManager;

/**
 * A LogManager that keeps logging while the JVM shuts down: the stock one resets its handlers
 * in its own shutdown hook, which would silence the node's last lines on SIGTERM ("shutting
 * down", "node stopped"). Installed by {@code Main} before anything logs.
 */
public final class NodeLogManager extends LogManager {
    @Override
    public void reset() {
        if (Thread.currentThread().getName().contains("Cleaner") || isShutdownHookThread()) {
            return;
        }
        super.reset();
    }

    private static boolean isShutdownHookThread() {
        StackTraceElement[] stack = Thread.currentThread().getStackTrace();
        for (StackTraceElement frame : stack) {
            if (frame.getClassName().startsWith("java.util.logging.LogManager$Cleaner")) {
                return true;
            }
        }
        return false;
    }
}
