package io.mppnode.server.cli;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long load, in rows. On a terminal it redraws one line with {@code \r}, at most
 * ten times a second: the label, a bar, the percentage, done/total, rows per second and the
 * time elapsed. Elsewhere (a pipe, a log file) it prints nothing until {@link #finish()}, which
 * prints one summary line. Pass {@link #isTerminal()} as {@code terminal}.
 *
 * <p>Thread-safe: several threads may report. {@link #update} sets the rows done (it never goes
 * back), {@link #add} adds to them; a total of zero or less means it is not known (no bar and no
 * percentage). Updates after {@link #finish()} are ignored.
 */
public final class ProgressBar {
    static final long REDRAW_EVERY_NANOS = 100_000_000L;
    static final int BAR_WIDTH = 30;

    private final String label;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private final long startNanos;
    private long total;
    private long done;
    private long lastDrawNanos;
    private boolean drawn;
    private int lastLineLength;
    private boolean finished;

    public ProgressBar(String label, long total, PrintStream out, boolean terminal) {
        this(label, total, out, terminal, System::nanoTime);
    }

    ProgressBar(String label, long total, PrintStream out, boolean terminal, LongSupplier nanoTime) {
        this.label = requireNonNull(label, "label is null");
        this.out = requireNonNull(out, "out is null");
        this.terminal = terminal;
        this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
        this.total = total;
        this.startNanos = nanoTime.getAsLong();
    }

    /** Whether this process talks to a terminal: what to pass as {@code terminal}. */
    public static boolean isTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Sets the rows done so far; a smaller figure than the last is ignored. */
    public synchronized void update(long rowsDone) {
        if (finished) {
            return;
        }
        done = Math.max(done, rowsDone);
        maybeDraw();
    }

    /** Adds to the rows done. */
    public synchronized void add(long rows) {
        if (finished) {
            return;
        }
        done += rows;
        maybeDraw();
    }

    /** Changes the total (when it was an estimate); zero or less: unknown. */
    public synchronized void total(long newTotal) {
        if (finished) {
            return;
        }
        total = newTotal;
        maybeDraw();
    }

    public synchronized long done() {
        return done;
    }

    /**
     * Ends the progress: on a terminal draws the last state and ends the line; elsewhere prints
     * the summary line (label, rows, seconds, rows per second). Only the first call prints.
     */
    public synchronized void finish() {
        if (finished) {
            return;
        }
        finished = true;
        long now = nanoTime.getAsLong();
        if (terminal) {
            draw(now);
            out.print(System.lineSeparator());
        } else {
            double seconds = seconds(now);
            out.println(String.format(Locale.ROOT, "%s: %d rows in %.1f s, %d rows/s", label, done, seconds, rate(seconds)));
        }
        out.flush();
    }

    private void maybeDraw() {
        if (!terminal) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (drawn && now - lastDrawNanos < REDRAW_EVERY_NANOS) {
            return;
        }
        draw(now);
    }

    private void draw(long now) {
        lastDrawNanos = now;
        drawn = true;
        String line = line(now);
        StringBuilder text = new StringBuilder("\r").append(line);
        // Blank out what is left of a longer previous line.
        for (int i = line.length(); i < lastLineLength; i++) {
            text.append(' ');
        }
        lastLineLength = line.length();
        out.print(text);
        out.flush();
    }

    /** The line a terminal shows now. */
    String line(long now) {
        double seconds = seconds(now);
        StringBuilder line = new StringBuilder(label).append(' ');
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.floor(fraction * BAR_WIDTH);
            line.append('[');
            for (int i = 0; i < BAR_WIDTH; i++) {
                line.append(i < filled ? '=' : i == filled ? '>' : ' ');
            }
            line.append(']');
            line.append(String.format(Locale.ROOT, " %3d%% %d/%d rows", (int) Math.floor(fraction * 100), done, total));
        } else {
            line.append(done).append(" rows");
        }
        line.append(String.format(Locale.ROOT, " %d rows/s %.1fs", rate(seconds), seconds));
        return line.toString();
    }

    private double seconds(long now) {
        return Math.max(0, now - startNanos) / 1e9;
    }

    private long rate(double seconds) {
        return seconds <= 0 ? 0 : Math.round(done / seconds);
    }
}
