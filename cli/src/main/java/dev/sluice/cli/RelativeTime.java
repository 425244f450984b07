package dev.sluice.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** Times as people read them in a listing: {@code 12s ago}, {@code 5m ago}, {@code 3h ago}, {@code 2d ago}. */
final class RelativeTime {
    private final Clock clock;

    RelativeTime(Clock clock) {
        this.clock = clock;
    }

    String since(Instant then) {
        Duration d = Duration.between(then, clock.instant());
        if (d.isNegative()) {
            return "in " + amount(d.negated());
        }
        return amount(d) + " ago";
    }

    /** The relative form of an API timestamp; "-" when there is none, the text itself when it is not a time. */
    String since(String timestamp) {
        if (timestamp == null || timestamp.isBlank()) {
            return "-";
        }
        return parse(timestamp).map(this::since).orElse(timestamp);
    }

    /** An API timestamp to the second ({@code 2026-03-01T11:00:00Z}); the text itself when it is not a time. */
    static String toSecond(String timestamp) {
        return parse(timestamp).map(t -> t.truncatedTo(ChronoUnit.SECONDS).toString()).orElse(timestamp);
    }

    static Optional<Instant> parse(String timestamp) {
        try {
            return Optional.of(Instant.parse(timestamp));
        } catch (DateTimeParseException notAnInstant) {
            try {
                return Optional.of(OffsetDateTime.parse(timestamp).toInstant());
            } catch (DateTimeParseException notATime) {
                return Optional.empty();
            }
        }
    }

    private static String amount(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m";
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h";
        }
        return seconds / 86_400 + "d";
    }
}
