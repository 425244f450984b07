package dev.sluice.core.webhook;

import dev.sluice.core.time.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * When a failed delivery is tried again: the delays before attempts 2, 3, ... (the first attempt is immediate).
 * The default follows the Standard Webhooks reference schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight
 * attempts over about 27.6 hours). Each delay gets up to ±20% jitter so retries of many deliveries spread out.
 * Tests compress it (e.g. {@code 1s,1s,1s}) through the template parameter WebhookRetrySchedule.
 */
public record RetrySchedule(List<Duration> delays) {
    public static final String DEFAULT = "5s,5m,30m,2h,5h,10h,10h";
    private static final double JITTER = 0.2;

    public RetrySchedule {
        delays = List.copyOf(delays);
    }

    public static RetrySchedule parse(String text) {
        List<Duration> delays = new ArrayList<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            delays.add(DurationText.parse(part.trim())
                    .orElseThrow(() -> new IllegalArgumentException("not a duration in the retry schedule: " + part)));
        }
        return new RetrySchedule(delays);
    }

    /** Attempts in all, the first included. */
    public int maxAttempts() {
        return delays.size() + 1;
    }

    /** The whole schedule without jitter: how long after the first attempt the last one happens. */
    public Duration span() {
        return delays.stream().reduce(Duration.ZERO, Duration::plus);
    }

    /**
     * The wait before attempt {@code nextAttempt} (2 or more) with jitter from {@code random} (uniform in [0,1));
     * empty when {@code nextAttempt} is beyond the schedule (the delivery goes to the dead-letter queue).
     */
    public java.util.Optional<Duration> delayBefore(int nextAttempt, DoubleSupplier random) {
        if (nextAttempt < 2 || nextAttempt > maxAttempts()) {
            return java.util.Optional.empty();
        }
        Duration base = delays.get(nextAttempt - 2);
        double factor = 1 + JITTER * (2 * random.getAsDouble() - 1);
        return java.util.Optional.of(Duration.ofMillis(Math.max(0, Math.round(base.toMillis() * factor))));
    }
}
