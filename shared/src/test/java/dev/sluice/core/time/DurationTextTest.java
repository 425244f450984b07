package dev.sluice.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTextTest {

    @ParameterizedTest(name = "{0}s formats as {1}")
    @CsvSource({
            "0, 0",
            "1, 1s",
            "59, 59s",
            "60, 1m",
            "90, 1m30s",
            "3600, 1h",
            "3601, 1h1s",
            "5400, 1h30m",
            "86400, 1d",
            "90061, 1d1h1m1s",
            "31536000, 365d"})
    void formatWritesTheShortestTextAndParseReadsItBack(long seconds, String text) {
        Duration d = Duration.ofSeconds(seconds);
        assertThat(DurationText.format(d)).isEqualTo(text);
        assertThat(DurationText.parse(text)).contains(d);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 59, 61, 599, 600, 3599, 7322, 86399, 86401, 172800, 1_000_000, 31_622_400})
    void everyDurationUpToTheLimitRoundTrips(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        assertThat(DurationText.parse(DurationText.format(d))).contains(d);
    }

    @ParameterizedTest(name = "{0} = {1}s")
    @CsvSource({
            "0, 0",
            "600, 600",
            "000600, 600",
            "90s, 90",
            "30m, 1800",
            "2h, 7200",
            "1d, 86400",
            "1h30m, 5400",
            "90m, 5400",
            "1d2h3m4s, 93784",
            "' 30m ', 1800"})
    void parseReadsSecondsAndUnits(String text, long seconds) {
        assertThat(DurationText.parse(text)).contains(Duration.ofSeconds(seconds));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "-1", "-30m", "abc", "10x", "1.5h", "h", "m30", "30 m", "1h 30m", "30M", "1w",
            "367d", "31622401", "1000000000", "9999999999s"})
    void textThatIsNotADurationOfAtMostAYearIsEmpty(String text) {
        assertThat(DurationText.parse(text)).isEmpty();
    }

    @Test
    void nullIsNotADuration() {
        assertThat(DurationText.parse(null)).isEmpty();
    }
}
