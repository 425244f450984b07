package dev.sluice.adapters.dynamodb;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A session's small last output, kept in the sessions table as its own item ({@code id = <session>#out}, {@code out},
 * {@code expiresAt}) written in the same transaction as the session's end: no index key, so no index write, and the
 * session item (read by every listing) does not grow. It expires by the table's TTL after {@link #KEPT}, as the logs
 * bucket's objects do.
 */
final class SessionOutputs {
    static final String TEXT = "out";
    static final String EXPIRES_AT = "expiresAt";
    /** As long as the logs bucket keeps an output (its lifecycle rule). */
    static final Duration KEPT = Duration.ofDays(30);

    private SessionOutputs() {
    }

    static String id(String sessionId) {
        return sessionId + "#out";
    }

    static Map<String, AttributeValue> item(String sessionId, String text, Instant at) {
        return Map.of("id", AttributeValue.fromS(id(sessionId)), TEXT, AttributeValue.fromS(text),
                EXPIRES_AT, AttributeValue.fromN(Long.toString(at.plus(KEPT).getEpochSecond())));
    }

    static Optional<String> text(Map<String, AttributeValue> item) {
        if (item == null || !item.containsKey(TEXT)) {
            return Optional.empty();
        }
        return Optional.of(item.get(TEXT).s());
    }
}
