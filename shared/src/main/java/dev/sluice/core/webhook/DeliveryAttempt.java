package dev.sluice.core.webhook;

import java.time.Instant;
import java.util.Optional;

/**
 * What one attempt of one delivery did: when, which event, which attempt, the receiver's status code (none when the
 * connection failed), how long it took, the error, and what happens next.
 */
public record DeliveryAttempt(String subscriptionId, String webhookId, String type, int attempt, Instant at,
                              Optional<Integer> statusCode, long latencyMillis, Optional<String> error, Outcome outcome) {

    public enum Outcome {
        DELIVERED, RETRYING, DEAD_LETTERED, DROPPED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
