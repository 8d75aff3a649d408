package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalRedrawsOneLineAtMostTenTimesASecond() {
        ProgressBar bar = new ProgressBar("import t", 1000, out, true, clock::get);
        clock.addAndGet(1_000_000_000L);
        bar.update(250);
        String first = output();
        assertThat(first).startsWith("\r").doesNotContain("\n");
        assertThat(first).contains("import t [=======>").contains("]  25% 250/1000 rows").contains(" 250 rows/s 1.0s");

        clock.addAndGet(50_000_000L);
        bar.update(300);
        assertThat(output()).as("no redraw within 100 ms").isEqualTo(first);

        clock.addAndGet(60_000_000L);
        bar.update(500);
        String second = output().substring(first.length());
        assertThat(second).startsWith("\r").contains("[===============>").contains(" 50% 500/1000 rows").contains(" 1.1s");

        clock.addAndGet(890_000_000L);
        bar.finish();
        String last = output().substring(first.length() + second.length());
        assertThat(last).startsWith("\r").endsWith(System.lineSeparator());
        assertThat(last).contains(" 50% 500/1000 rows").contains("250 rows/s 2.0s");
        assertThat(output().chars().filter(c -> c == '\r').count()).isEqualTo(3);

        bar.update(1000);
        bar.finish();
        assertThat(output()).as("nothing after finish").isEqualTo(first + second + last);
    }

    @Test
    void aFullBarAndAShorterLineBlanksOutTheLongerOne() {
        ProgressBar bar = new ProgressBar("load", 0, out, true, clock::get);
        clock.addAndGet(2_000_000_000L);
        bar.update(123_456_789);
        String first = output();
        assertThat(first).as("unknown total: no bar").isEqualTo("\rload 123456789 rows 61728395 rows/s 2.0s");
        bar.total(10);
        clock.addAndGet(200_000_000L);
        bar.finish();
        String line = output().substring(first.length());
        assertThat(line).contains("[" + "=".repeat(ProgressBar.BAR_WIDTH) + "] 100% 123456789/10 rows");
        bar = new ProgressBar("x", 100, out, true, clock::get);
        bytes.reset();
        bar.update(100);
        clock.addAndGet(200_000_000L);
        bar.total(1_000_000_000);
        String longer = output();
        clock.addAndGet(200_000_000L);
        bar.total(100);
        String shorter = output().substring(longer.length());
        // The second draw is shorter than the first: spaces blank out the rest.
        assertThat(shorter).endsWith(" ");
        assertThat(shorter.length()).isEqualTo(longer.split("\r")[2].length() + 1);
    }

    @Test
    void elsewherePrintsOnlyASummaryLine() {
        ProgressBar bar = new ProgressBar("import orders", 1000, out, false, clock::get);
        bar.update(10);
        clock.addAndGet(500_000_000L);
        bar.update(1000);
        assertThat(output()).isEmpty();
        clock.addAndGet(1_500_000_000L);
        bar.finish();
        assertThat(output()).isEqualTo("import orders: 1000 rows in 2.0 s, 500 rows/s" + System.lineSeparator());
        bar.finish();
        assertThat(output().lines()).hasSize(1);
    }

    @Test
    void updatesFromManyThreadsAddUp() throws InterruptedException {
        ProgressBar bar = new ProgressBar("many", 80_000, out, true);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    bar.add(1);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        bar.update(5);
        assertThat(bar.done()).as("update never goes back").isEqualTo(80_000);
        bar.finish();
        String[] draws = output().split("\r");
        assertThat(draws[draws.length - 1]).contains("100% 80000/80000 rows").endsWith(System.lineSeparator());
        assertThat(draws.length - 1).as("redraws").isLessThanOrEqualTo(20);
    }
}
