package dev.sluice.core.port;

import dev.sluice.core.json.JsonObject;

/** The bus rule of each subscription: its event pattern, targeting the delivery queue with the subscription's id. */
public interface WebhookRules {
    void put(String subscriptionId, JsonObject eventPattern);

    void delete(String subscriptionId);
}
