package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.error.DomainException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Where a session listing resumes: the index partition and the key of the last session returned, opaque to clients. */
record SessionCursor(String partition, Map<String, AttributeValue> key) {

    String encode() {
        Map<String, String> k = new LinkedHashMap<>();
        key.forEach((name, value) -> k.put(name, value.s()));
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Json.write(Map.of("p", partition, "k", k)).getBytes(StandardCharsets.UTF_8));
    }

    static SessionCursor decode(String cursor) {
        try {
            Map<String, Object> raw = Json.readObject(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            Map<String, AttributeValue> key = new LinkedHashMap<>();
            Object k = raw.get("k");
            if (!(raw.get("p") instanceof String partition) || !(k instanceof Map<?, ?> keyMap) || keyMap.size() != 3) {
                throw new IllegalArgumentException("not a cursor");
            }
            for (Map.Entry<?, ?> e : keyMap.entrySet()) {
                if (!(e.getValue() instanceof String v) || !java.util.Set.of("id", "owner", "openOwner", "createdMonth", "createdKey").contains(e.getKey())) {
                    throw new IllegalArgumentException("not a cursor");
                }
                key.put((String) e.getKey(), AttributeValue.fromS(v));
            }
            return new SessionCursor(partition, key);
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw DomainException.invalid("cursor", "is not a cursor this API returned");
        }
    }
}
