package io.mppnode.server.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * One line per record: {@code 2026-11-22T15:40:01.123Z INFO  [thread] Logger: message}, with
 * a stack trace only when a record carries one. The node's own code logs through SLF4J, which
 * (like gRPC and Netty) ends in java.util.logging; {@link #install} routes all of it to stdout.
 */
public final class OneLineFormatter extends Formatter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(128)
                .append(TIME.format(Instant.ofEpochMilli(record.getMillis())))
                .append(' ').append(String.format("%-5s", levelName(record.getLevel())))
                .append(" [").append(Thread.currentThread().getName()).append("] ")
                .append(shortName(record.getLoggerName())).append(": ")
                .append(formatMessage(record))
                .append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }

    /** Sends every log record to stdout at INFO and above (DEBUG for io.mppnode when {@code verbose}). */
    public static void install(boolean verbose) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        // Not a ConsoleHandler pointed at stdout: its setOutputStream closes the stream it had,
        // System.err, and every later message to stderr (config errors, bad flags) was lost.
        Handler handler = new StreamHandler(System.out, new OneLineFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }

            @Override
            public synchronized void close() {
                flush(); // System.out is not ours to close
            }
        };
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        // Held in a static field: java.util.logging keeps loggers weakly, and a collected logger forgets its level.
        CONFIGURED.clear();
        CONFIGURED.add(root);
        configure("io.mppnode", verbose ? Level.FINE : Level.INFO);
        // Netty and gRPC are chatty below WARNING.
        configure("io.netty", Level.WARNING);
        configure("io.grpc", Level.WARNING);
        // Arrow announces its allocation manager at INFO on every start.
        configure("org.apache.arrow", Level.WARNING);
    }

    private static final java.util.List<Logger> CONFIGURED = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static void configure(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(level);
        CONFIGURED.add(logger);
    }

    private static String levelName(Level level) {
        if (level.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (level.intValue() >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (level.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return level.intValue() >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    private static String shortName(String loggerName) {
        if (loggerName == null) {
            return "root";
        }
        return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }
}
