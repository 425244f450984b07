package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.Page;
import dev.sluice.core.usecase.CursorSeal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Where a session listing resumes: the index partition and the key of the last session returned, opaque to clients.
 * The cursor is sealed ({@link CursorSeal}) and checked field by field on the way back, so that no cursor a client
 * makes up reaches DynamoDB as a start key it would refuse.
 */
record SessionCursor(String partition, Map<String, AttributeValue> key) {
    private static final String LISTING = "sessions";
    private static final Set<String> PARTITION_ATTRIBUTES = Set.of("owner", "openOwner", "createdMonth");
    private static final int MAX_VALUE = 1024;

    String encode() {
        Map<String, String> k = new LinkedHashMap<>();
        key.forEach((name, value) -> k.put(name, value.s()));
        return CursorSeal.seal(LISTING, Json.write(Map.of("p", partition, "k", k)));
    }

    static SessionCursor decode(String cursor) {
        Page.UnknownCursor refused = new Page.UnknownCursor("is not a cursor this API returned");
        try {
            Map<String, Object> raw = Json.readObject(CursorSeal.open(LISTING, cursor).orElseThrow(() -> refused));
            if (!(raw.get("p") instanceof String partition) || !(raw.get("k") instanceof Map<?, ?> keyMap) || keyMap.size() != 3) {
                throw refused;
            }
            Map<String, AttributeValue> key = new LinkedHashMap<>();
            String partitionAttribute = null;
            for (Map.Entry<?, ?> e : keyMap.entrySet()) {
                if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof String v) || v.isEmpty() || v.length() > MAX_VALUE
                        || !(name.equals("id") || name.equals("createdKey") || PARTITION_ATTRIBUTES.contains(name))) {
                    throw refused;
                }
                if (PARTITION_ATTRIBUTES.contains(name)) {
                    partitionAttribute = name;
                }
                key.put(name, AttributeValue.fromS(v));
            }
            // The start key of an index query: the table key, the index's partition (the cursor's own) and its sort key
            // (createdAt#id of that same session).
            if (partitionAttribute == null || !key.containsKey("id") || !key.containsKey("createdKey")
                    || !key.get(partitionAttribute).s().equals(partition)
                    || !key.get("createdKey").s().endsWith("#" + key.get("id").s())) {
                throw refused;
            }
            return new SessionCursor(partition, key);
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw refused;
        }
    }
}
