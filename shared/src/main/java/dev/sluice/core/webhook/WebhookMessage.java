package dev.sluice.core.webhook;

import java.time.Instant;
import java.util.Map;

/**
 * One delivery on its way: which subscription, the envelope fields, and where it is in the retry schedule.
 * {@code webhookId} is the same on every attempt and every replay, so receivers can deduplicate. A delivery is not
 * attempted before {@code notBefore} (queue delays are at most 15 minutes, longer waits are re-delayed).
 */
public record WebhookMessage(String subscriptionId, String webhookId, String type, Instant time, Map<String, Object> data,
                             int attempt, Instant notBefore) {

    public WebhookMessage {
        data = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data)); // values may be null (previous_status)
    }

    public WebhookMessage nextAttempt(Instant at) {
        return new WebhookMessage(subscriptionId, webhookId, type, time, data, attempt + 1, at);
    }

    /** The same delivery from its first attempt again (a replay). */
    public WebhookMessage replayed(Instant now) {
        return new WebhookMessage(subscriptionId, webhookId, type, time, data, 1, now);
    }

    /** The versioned envelope receivers get: {@code {version, type, id, time, data}} (infra/events/webhook-delivery.schema.json). */
    public Map<String, Object> envelope() {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("version", "1");
        e.put("type", type);
        e.put("id", webhookId);
        e.put("time", time.toString());
        e.put("data", new java.util.TreeMap<>(data));
        return e;
    }
}
