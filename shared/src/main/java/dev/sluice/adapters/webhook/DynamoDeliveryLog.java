package dev.sluice.adapters.webhook;

import dev.sluice.core.port.DeliveryLog;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * The delivery log and dead-letter queue of every subscription in WebhookDeliveriesTable (key {@code subscriptionId},
 * {@code entry}). An attempt is {@code msg#<webhook-id>#<attempt>} (with the message, so any recent delivery can be
 * replayed), listed newest first through the GSI {@code by-time} ({@code subscriptionId}, {@code loggedKey}) and kept
 * 7 days (TTL). A dead letter is {@code dead#<webhook-id>}, kept 14 days: "everything in this subscription's
 * dead-letter queue" is one query on the partition, and taking one out is a conditional delete, so a replay that
 * races another sends each delivery once.
 */
public final class DynamoDeliveryLog implements DeliveryLog {
    public static final Duration LOG_RETENTION = Duration.ofDays(7);
    public static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(14);
    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;

    public DynamoDeliveryLog(DynamoDbClient dynamo, String table, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    @Override
    public void record(DeliveryAttempt a, WebhookMessage message) {
        String attempt = String.format("%03d", a.attempt());
        Map<String, AttributeValue> i = new HashMap<>();
        i.put("subscriptionId", s(a.subscriptionId()));
        i.put("entry", s("msg#" + a.webhookId() + "#" + attempt + "#" + a.at().toEpochMilli()));
        i.put("loggedKey", s(a.at() + "#" + a.webhookId() + "#" + attempt));
        i.put("webhookId", s(a.webhookId()));
        i.put("type", s(a.type()));
        i.put("attempt", n(a.attempt()));
        i.put("at", s(a.at().toString()));
        a.statusCode().ifPresent(c -> i.put("statusCode", n(c)));
        i.put("latencyMs", n(a.latencyMillis()));
        a.error().ifPresent(e -> i.put("error", s(e.length() > 500 ? e.substring(0, 500) : e)));
        i.put("outcome", s(a.outcome().wireName()));
        i.put("message", s(WebhookCodec.write(message)));
        i.put("expiresAt", n(clock.instant().plus(LOG_RETENTION).getEpochSecond()));
        dynamo.putItem(r -> r.tableName(table).item(i));
    }

    @Override
    public void deadLetter(WebhookMessage message, String lastError) {
        Map<String, AttributeValue> i = new HashMap<>();
        i.put("subscriptionId", s(message.subscriptionId()));
        i.put("entry", s("dead#" + message.webhookId()));
        i.put("message", s(WebhookCodec.write(message)));
        i.put("lastError", s(lastError.length() > 500 ? lastError.substring(0, 500) : lastError));
        i.put("at", s(clock.instant().toString()));
        i.put("expiresAt", n(clock.instant().plus(DEAD_LETTER_RETENTION).getEpochSecond()));
        dynamo.putItem(r -> r.tableName(table).item(i));
    }

    @Override
    public List<DeliveryAttempt> recent(String subscriptionId, int limit) {
        QueryResponse page = dynamo.query(r -> r.tableName(table).indexName("by-time")
                .keyConditionExpression("subscriptionId = :s").expressionAttributeValues(Map.of(":s", s(subscriptionId)))
                .scanIndexForward(false).limit(limit));
        return page.items().stream().map(DynamoDeliveryLog::attempt).toList();
    }

    @Override
    public List<WebhookMessage> deadLetters(String subscriptionId) {
        List<WebhookMessage> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        Instant now = clock.instant();
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = dynamo.query(r -> r.tableName(table).consistentRead(true)
                    .keyConditionExpression("subscriptionId = :s AND begins_with(#e, :p)")
                    .expressionAttributeNames(Map.of("#e", "entry"))
                    .expressionAttributeValues(Map.of(":s", s(subscriptionId), ":p", s("dead#"))).exclusiveStartKey(from));
            page.items().forEach(i -> out.add(WebhookCodec.read(i.get("message").s(), now)));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    @Override
    public boolean removeDeadLetter(String subscriptionId, String webhookId) {
        try {
            dynamo.deleteItem(r -> r.tableName(table)
                    .key(Map.of("subscriptionId", s(subscriptionId), "entry", s("dead#" + webhookId)))
                    .conditionExpression("attribute_exists(#e)").expressionAttributeNames(Map.of("#e", "entry")));
            return true;
        } catch (ConditionalCheckFailedException notThere) {
            return false;
        }
    }

    @Override
    public Optional<WebhookMessage> find(String subscriptionId, String webhookId) {
        Instant now = clock.instant();
        Map<String, AttributeValue> dead = dynamo.getItem(r -> r.tableName(table).consistentRead(true)
                .key(Map.of("subscriptionId", s(subscriptionId), "entry", s("dead#" + webhookId)))).item();
        if (dead != null && !dead.isEmpty()) {
            return Optional.of(WebhookCodec.read(dead.get("message").s(), now));
        }
        QueryResponse page = dynamo.query(r -> r.tableName(table).consistentRead(true)
                .keyConditionExpression("subscriptionId = :s AND begins_with(#e, :p)")
                .expressionAttributeNames(Map.of("#e", "entry"))
                .expressionAttributeValues(Map.of(":s", s(subscriptionId), ":p", s("msg#" + webhookId + "#"))).limit(1));
        return page.items().stream().findFirst().map(i -> WebhookCodec.read(i.get("message").s(), now));
    }

    private static DeliveryAttempt attempt(Map<String, AttributeValue> i) {
        return new DeliveryAttempt(i.get("subscriptionId").s(), i.get("webhookId").s(), i.get("type").s(),
                Integer.parseInt(i.get("attempt").n()), Instant.parse(i.get("at").s()),
                Optional.ofNullable(i.get("statusCode")).map(a -> Integer.parseInt(a.n())), Long.parseLong(i.get("latencyMs").n()),
                Optional.ofNullable(i.get("error")).map(AttributeValue::s),
                DeliveryAttempt.Outcome.valueOf(i.get("outcome").s().toUpperCase(java.util.Locale.ROOT)));
    }
}
