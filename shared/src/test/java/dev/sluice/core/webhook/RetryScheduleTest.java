package dev.sluice.core.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

    @Test
    void theDefaultScheduleKeepsTryingForMoreThanADay() {
        RetrySchedule s = RetrySchedule.parse(RetrySchedule.DEFAULT);
        assertThat(s.maxAttempts()).isEqualTo(8);
        assertThat(s.span()).isGreaterThan(Duration.ofHours(24)).isLessThan(Duration.ofHours(28));
    }

    @Test
    void delaysGrowAndCarryAtMostTwentyPercentJitter() {
        RetrySchedule s = RetrySchedule.parse(RetrySchedule.DEFAULT);
        assertThat(s.delayBefore(2, () -> 0.5)).contains(Duration.ofSeconds(5));
        assertThat(s.delayBefore(3, () -> 0.0)).contains(Duration.ofSeconds(240));
        assertThat(s.delayBefore(3, () -> 0.999999)).hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(359), Duration.ofSeconds(360)));
        assertThat(s.delayBefore(8, () -> 0.5)).contains(Duration.ofHours(10));
    }

    @Test
    void afterTheLastAttemptThereIsNoNextOne() {
        RetrySchedule compressed = RetrySchedule.parse("1s,1s,2s");
        assertThat(compressed.maxAttempts()).isEqualTo(4);
        assertThat(compressed.delayBefore(4, () -> 0.5)).contains(Duration.ofSeconds(2));
        assertThat(compressed.delayBefore(5, () -> 0.5)).isEmpty();
        assertThat(compressed.delayBefore(1, () -> 0.5)).isEmpty();
    }
}
