package dev.sluice.core.port;

import java.util.Map;

/** The bus rule of each subscription: its event pattern, targeting the delivery queue with the subscription's id. */
public interface WebhookRules {
    void put(String subscriptionId, Map<String, Object> eventPattern);

    void delete(String subscriptionId);
}
