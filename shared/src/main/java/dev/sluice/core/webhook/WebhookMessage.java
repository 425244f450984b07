package dev.sluice.core.webhook;

import dev.sluice.core.json.JsonObject;
import java.time.Instant;

/**
 * One delivery on its way: which subscription, the envelope fields, and where it is in the retry schedule.
 * {@code webhookId} is the same on every attempt and every replay, so receivers can deduplicate. A delivery is not
 * attempted before {@code notBefore} (queue delays are at most 15 minutes, longer waits are re-delayed).
 */
public record WebhookMessage(String subscriptionId, String webhookId, String type, Instant time, JsonObject data,
                             int attempt, Instant notBefore) {

    public WebhookMessage {
        java.util.Objects.requireNonNull(data, "data"); // the event's detail, open JSON by contract; values may be null (previous_status)
    }

    public WebhookMessage nextAttempt(Instant at) {
        return new WebhookMessage(subscriptionId, webhookId, type, time, data, attempt + 1, at);
    }

    /** The same delivery from its first attempt again (a replay). */
    public WebhookMessage replayed(Instant now) {
        return new WebhookMessage(subscriptionId, webhookId, type, time, data, 1, now);
    }

    /** The versioned envelope receivers get: {@code {version, type, id, time, data}} (infra/events/webhook-delivery.schema.json). */
    public JsonObject envelope() {
        JsonObject.Builder sorted = JsonObject.builder();
        new java.util.TreeMap<>(data.fields()).forEach(sorted::put);
        return JsonObject.builder()
                .put("version", "1")
                .put("type", type)
                .put("id", webhookId)
                .put("time", time.toString())
                .put("data", sorted.build())
                .build();
    }
}
