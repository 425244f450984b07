package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RelativeTimeTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final RelativeTime relative = new RelativeTime(Clock.fixed(NOW, ZoneOffset.UTC));

    @ParameterizedTest
    @CsvSource({
        "2026-03-01T12:00:00Z, 0s ago",
        "2026-03-01T11:59:48Z, 12s ago",
        "2026-03-01T11:59:00.500Z, 59s ago",
        "2026-03-01T11:59:00Z, 1m ago",
        "2026-03-01T11:55:00Z, 5m ago",
        "2026-03-01T11:00:01Z, 59m ago",
        "2026-03-01T09:00:00Z, 3h ago",
        "2026-02-28T12:00:01Z, 23h ago",
        "2026-02-28T12:00:00Z, 1d ago",
        "2026-02-27T10:00:00Z, 2d ago",
        "2026-03-01T12:05:00Z, in 5m",
        "2026-03-01T14:00:00+02:00, 0s ago"})
    void timesReadAsAgesInTheLargestWholeUnit(String timestamp, String expected) {
        assertThat(relative.since(timestamp)).isEqualTo(expected);
    }

    @Test
    void missingOrUnreadableTimesAreShownAsTheyAre() {
        assertThat(relative.since((String) null)).isEqualTo("-");
        assertThat(relative.since("")).isEqualTo("-");
        assertThat(relative.since("yesterday")).isEqualTo("yesterday");
    }

    @Test
    void apiTimestampsAreShownToTheSecond() {
        assertThat(RelativeTime.toSecond("2026-11-24T19:45:24.357050940Z")).isEqualTo("2026-11-24T19:45:24Z");
        assertThat(RelativeTime.toSecond("soon")).isEqualTo("soon");
    }
}
