package dev.sluice.core.port;

import dev.sluice.core.webhook.WebhookSubscription;
import java.util.List;
import java.util.Optional;

/** Webhook subscriptions, by id and by owner. Every change is conditional on the stored version. */
public interface WebhookStore {
    /** Creates the subscription if its owner has fewer than {@code maxPerOwner}; false when the owner is at the cap. */
    boolean create(WebhookSubscription subscription, int maxPerOwner);

    Optional<WebhookSubscription> find(String id);

    List<WebhookSubscription> listByOwner(String owner);

    /** Writes {@code updated} if the stored one is still at {@code expectedVersion}; false otherwise. */
    boolean update(WebhookSubscription updated, long expectedVersion);

    void delete(WebhookSubscription subscription);
}
