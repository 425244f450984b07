package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.ResourcePolicyStore;
import dev.sluice.core.scheduler.ResourcePolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/** Resource policies in DynamoDB, one item per scope, the policy as validated JSON (read back through the same parser). */
public final class DynamoResourcePolicyStore implements ResourcePolicyStore {
    private final DynamoDbClient dynamoDb;
    private final String table;

    public DynamoResourcePolicyStore(DynamoDbClient dynamoDb, String table) {
        this.dynamoDb = dynamoDb;
        this.table = table;
    }

    @Override
    public void put(String scope, ResourcePolicy policy) {
        dynamoDb.putItem(b -> b.tableName(table).item(Map.of("scope", AttributeValue.fromS(scope),
                "policy", AttributeValue.fromS(Json.write(stored(policy))))));
    }

    /** The stored form: the definition an admin writes ({@link ResourcePolicy#parse} reads it back), absent limits as null. */
    static Map<String, Object> stored(ResourcePolicy p) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("max_concurrent_sessions", p.maxConcurrentSessions().orElse(null));
        m.put("max_total_slots", p.maxTotalSlots().map(dev.sluice.core.slots.ResourceSlots::toStrings).orElse(null));
        m.put("max_pending_sessions", p.maxPendingSessions().orElse(null));
        m.put("max_pending_slots", p.maxPendingSlots().map(dev.sluice.core.slots.ResourceSlots::toStrings).orElse(null));
        return m;
    }

    @Override
    public Optional<ResourcePolicy> find(String scope) {
        Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("scope", AttributeValue.fromS(scope)))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(read(item));
    }

    @Override
    public Map<String, ResourcePolicy> findAll(Collection<String> scopes) {
        Map<String, ResourcePolicy> out = new TreeMap<>();
        List<String> all = new ArrayList<>(scopes);
        for (int i = 0; i < all.size(); i += 100) {
            List<Map<String, AttributeValue>> keys = all.subList(i, Math.min(all.size(), i + 100)).stream()
                    .map(s -> Map.of("scope", AttributeValue.fromS(s))).toList();
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
            while (!request.isEmpty()) {
                Map<String, KeysAndAttributes> pending = request;
                var response = dynamoDb.batchGetItem(b -> b.requestItems(pending));
                response.responses().getOrDefault(table, List.of()).forEach(item -> out.put(item.get("scope").s(), read(item)));
                request = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
            }
        }
        return out;
    }

    @Override
    public void delete(String scope) {
        dynamoDb.deleteItem(b -> b.tableName(table).key(Map.of("scope", AttributeValue.fromS(scope))));
    }

    @Override
    public Map<String, ResourcePolicy> list() {
        Map<String, ResourcePolicy> out = new TreeMap<>();
        dynamoDb.scanPaginator(b -> b.tableName(table)).items().forEach(item -> out.put(item.get("scope").s(), read(item)));
        return out;
    }

    private static ResourcePolicy read(Map<String, AttributeValue> item) {
        Map<String, Object> raw = new java.util.HashMap<>(Json.readObjectUnchecked(item.get("policy").s()));
        raw.values().removeIf(java.util.Objects::isNull);
        return ResourcePolicy.parse(dev.sluice.core.request.RequestFields.of(raw));
    }
}
