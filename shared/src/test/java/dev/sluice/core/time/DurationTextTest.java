package dev.sluice.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationTextTest {
    @Test
    void formattedDurationsParseBackToThemselves() {
        for (long seconds : new long[] {0, 1, 59, 60, 90, 3600, 5400, 86400, 90061}) {
            Duration d = Duration.ofSeconds(seconds);
            assertThat(DurationText.parse(DurationText.format(d))).contains(d);
        }
        assertThat(DurationText.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    }

    @Test
    void textThatIsNotADurationIsEmpty() {
        assertThat(DurationText.parse("1.5h")).isEmpty();
        assertThat(DurationText.parse(null)).isEmpty();
        assertThat(DurationText.parse("h")).isEmpty();
    }
}
