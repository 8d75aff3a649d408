package io.mppnode.server.binlog.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The defaults, pinned, and the settings the log refuses. */
class LogOptionsTest {
    @Test
    void defaults() {
        LogOptions options = LogOptions.defaults();

        assertThat(options.segmentSizeBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(options.maxPayloadBytes()).isEqualTo(64 * 1024 * 1024);
        assertThat(options.fsyncPolicy()).isEqualTo(FsyncPolicy.ALWAYS);
        assertThat(options.retentionMaxAge()).isEqualTo(Duration.ZERO);
        assertThat(options.retentionMaxBytes()).isZero();
        assertThat(options.channels()).isSameAs(SegmentChannels.DEFAULT);
    }

    @Test
    void eachWitherChangesOnlyItsSetting() {
        LogOptions options = LogOptions.defaults().withSegmentSizeBytes(1).withMaxPayloadBytes(2)
                .withFsyncPolicy(FsyncPolicy.NONE).withRetentionMaxAge(Duration.ofMinutes(3)).withRetentionMaxBytes(4);

        assertThat(options).isEqualTo(new LogOptions(1, 2, FsyncPolicy.NONE, Duration.ofMinutes(3), 4, SegmentChannels.DEFAULT));
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        LogOptions defaults = LogOptions.defaults();

        assertThat(catchThrowable(() -> defaults.withSegmentSizeBytes(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("segmentSizeBytes must be positive, got 0");
        assertThat(catchThrowable(() -> defaults.withMaxPayloadBytes(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxPayloadBytes must be between 0 and 2147483615, got -1");
        assertThat(catchThrowable(() -> defaults.withRetentionMaxAge(Duration.ofSeconds(-1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retentionMaxAge must not be negative (zero keeps segments forever), got PT-1S");
        assertThat(catchThrowable(() -> defaults.withRetentionMaxBytes(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retentionMaxBytes must not be negative (zero means no bound), got -1");
    }
}
