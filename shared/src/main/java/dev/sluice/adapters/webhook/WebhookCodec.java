package dev.sluice.adapters.webhook;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.webhook.WebhookEventType;
import dev.sluice.core.webhook.WebhookMessage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The delivery queue's message bodies. Two shapes arrive: what a subscription's rule puts there (the bus event cut
 * down by the rule's InputTransformer: {@code subscription}, {@code event_id}, {@code source}, {@code detail_type},
 * {@code time}, {@code detail}) and what the dispatcher and the API queue themselves (a retry, a replay, a test).
 */
public final class WebhookCodec {
    /** The subscription tag of the built-in rule that carries every session event to the sessions' callback_url. */
    public static final String SESSION_CALLBACK_TAG = "session-callback";

    private WebhookCodec() {
    }

    /** The InputTransformer of a subscription's rule target: the event id, type and detail, tagged with the subscription. */
    public static String inputTemplate(String subscriptionId) {
        return "{\"subscription\":" + Json.write(subscriptionId)
                + ",\"event_id\":<id>,\"source\":<source>,\"detail_type\":<type>,\"time\":<time>,\"detail\":<detail>}";
    }

    public static Map<String, String> inputPaths() {
        return Map.of("id", "$.id", "source", "$.source", "type", "$.detail-type", "time", "$.time", "detail", "$.detail");
    }

    public static String write(WebhookMessage m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("subscription_id", m.subscriptionId());
        o.put("webhook_id", m.webhookId());
        o.put("type", m.type());
        o.put("time", m.time().toString());
        o.put("data", Json.plain(m.data()));
        o.put("attempt", m.attempt());
        o.put("not_before", m.notBefore().toString());
        return Json.write(o);
    }

    @SuppressWarnings("unchecked")
    public static WebhookMessage read(String body, Instant now) {
        Map<String, Object> o = Json.readObjectUnchecked(body);
        if (o.containsKey("webhook_id")) {
            return new WebhookMessage((String) o.get("subscription_id"), (String) o.get("webhook_id"), (String) o.get("type"),
                    Instant.parse((String) o.get("time")), Json.object((Map<String, Object>) o.get("data")),
                    ((Number) o.get("attempt")).intValue(), Instant.parse((String) o.get("not_before")));
        }
        Map<String, Object> detail = (Map<String, Object>) o.get("detail");
        String source = (String) o.get("source");
        String detailType = (String) o.get("detail_type");
        String type = WebhookEventType.ofBusEvent(source, detailType).map(WebhookEventType::wireName)
                .orElseThrow(() -> new IllegalArgumentException("not a webhook event: " + source + " / " + detailType));
        Object occurred = detail.get("occurred_at");
        Instant time = occurred instanceof String s ? Instant.parse(s) : Instant.parse((String) o.get("time"));
        String subscription = (String) o.get("subscription");
        if (SESSION_CALLBACK_TAG.equals(subscription)) {
            subscription = dev.sluice.core.webhook.WebhookSubscription.CALLBACK_PREFIX + detail.get("session_id");
        }
        return new WebhookMessage(subscription, "msg_" + o.get("event_id"), type, time, Json.object(detail), 1, now);
    }
}
