package dev.sluice.adapters.webhook;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.WebhookStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.webhook.WebhookFilter;
import dev.sluice.core.webhook.WebhookSubscription;
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
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Subscriptions in WebhooksTable (key {@code id}; GSI {@code by-owner}). Each owner also has a counter item
 * ({@code id = owner#<subject>}, not in the GSI) that the create and delete transactions move, so the per-user cap
 * holds even when two creates race.
 */
public final class DynamoWebhookStore implements WebhookStore {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoWebhookStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private static Map<String, AttributeValue> counterKey(String owner) {
        return Map.of("id", s("owner#" + owner));
    }

    @Override
    public boolean create(WebhookSubscription sub, int maxPerOwner) {
        try {
            dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().update(u -> u.tableName(table).key(counterKey(sub.owner()))
                            .updateExpression("SET subscriptions = if_not_exists(subscriptions, :zero) + :one")
                            .conditionExpression("attribute_not_exists(subscriptions) OR subscriptions < :max")
                            .expressionAttributeValues(Map.of(":zero", n(0), ":one", n(1), ":max", n(maxPerOwner)))).build(),
                    TransactWriteItem.builder().put(p -> p.tableName(table).item(item(sub))
                            .conditionExpression("attribute_not_exists(id)")).build()));
            return true;
        } catch (TransactionCanceledException e) {
            return false;
        }
    }

    @Override
    public Optional<WebhookSubscription> find(String id) {
        if (!id.startsWith(WebhookSubscription.ID_PREFIX)) {
            return Optional.empty();
        }
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(Map.of("id", s(id))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(subscription(item));
    }

    @Override
    public List<WebhookSubscription> listByOwner(String owner) {
        List<WebhookSubscription> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = dynamo.query(r -> r.tableName(table).indexName("by-owner")
                    .keyConditionExpression("#o = :o").expressionAttributeNames(Map.of("#o", "owner"))
                    .expressionAttributeValues(Map.of(":o", s(owner))).exclusiveStartKey(from));
            page.items().forEach(i -> out.add(subscription(i)));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        out.sort(java.util.Comparator.comparing(WebhookSubscription::createdAt).thenComparing(WebhookSubscription::id));
        return out;
    }

    @Override
    public boolean update(WebhookSubscription updated, long expectedVersion) {
        try {
            dynamo.putItem(r -> r.tableName(table).item(item(updated)).conditionExpression("version = :v")
                    .expressionAttributeValues(Map.of(":v", n(expectedVersion))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public void delete(WebhookSubscription sub) {
        try {
            dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().delete(d -> d.tableName(table).key(Map.of("id", s(sub.id())))
                            .conditionExpression("attribute_exists(id)")).build(),
                    TransactWriteItem.builder().update(u -> u.tableName(table).key(counterKey(sub.owner()))
                            .updateExpression("SET subscriptions = subscriptions - :one")
                            .conditionExpression("subscriptions > :zero")
                            .expressionAttributeValues(Map.of(":zero", n(0), ":one", n(1)))).build()));
        } catch (TransactionCanceledException alreadyDeleted) {
            // deleted by a concurrent call: the counter moved once, with that delete
        }
    }

    private static Map<String, AttributeValue> item(WebhookSubscription sub) {
        Map<String, AttributeValue> i = new HashMap<>();
        i.put("id", s(sub.id()));
        i.put("owner", s(sub.owner()));
        i.put("url", s(sub.url()));
        i.put("description", s(sub.description()));
        // The stored filter is the request's shape (read back through WebhookFilter.parse), its event types inside.
        Map<String, Object> filter = new java.util.LinkedHashMap<>();
        filter.put("statuses", sub.filter().statuses());
        filter.put("resource_groups", sub.filter().resourceGroups());
        filter.put("session_types", sub.filter().sessionTypes());
        filter.put("session_ids", sub.filter().sessionIds());
        filter.put("event_types", sub.filter().eventTypeNames());
        i.put("filter", s(Json.write(filter)));
        i.put("secret", s(sub.secret()));
        sub.previousSecret().ifPresent(p -> i.put("previousSecret", s(p)));
        sub.previousSecretValidUntil().ifPresent(p -> i.put("previousSecretValidUntil", s(p.toString())));
        i.put("createdAt", s(sub.createdAt().toString()));
        i.put("updatedAt", s(sub.updatedAt().toString()));
        i.put("version", n(sub.version()));
        return i;
    }

    private static WebhookSubscription subscription(Map<String, AttributeValue> i) {
        Map<String, Object> stored = Json.readObjectUnchecked(i.get("filter").s());
        Map<String, Object> asRequest = new HashMap<>();
        asRequest.put("event_types", stored.remove("event_types"));
        asRequest.put("filter", stored);
        WebhookFilter filter = WebhookFilter.parse(RequestFields.of(asRequest), WebhookFilter.everything());
        return new WebhookSubscription(i.get("id").s(), i.get("owner").s(), i.get("url").s(),
                i.containsKey("description") ? i.get("description").s() : "", filter, i.get("secret").s(),
                Optional.ofNullable(i.get("previousSecret")).map(AttributeValue::s),
                Optional.ofNullable(i.get("previousSecretValidUntil")).map(a -> Instant.parse(a.s())),
                Instant.parse(i.get("createdAt").s()), Instant.parse(i.get("updatedAt").s()), Long.parseLong(i.get("version").n()));
    }
}
