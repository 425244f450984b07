package dev.sluice.core.webhook;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One user's subscription: where to deliver, what to deliver, and the secrets deliveries are signed with. After a
 * rotation the previous secret stays valid (deliveries carry both signatures) until {@code previousSecretValidUntil}.
 * {@code version} grows by one per change (conditional writes).
 */
public record WebhookSubscription(String id, String owner, String url, String description, WebhookFilter filter,
                                  String secret, Optional<String> previousSecret, Optional<Instant> previousSecretValidUntil,
                                  Instant createdAt, Instant updatedAt, long version) {

    /** The id prefix of a subscription; callbacks of sessions (callback_url) use {@link #CALLBACK_PREFIX}. */
    public static final String ID_PREFIX = "wh_";
    public static final String CALLBACK_PREFIX = "cb_";

    /** The secrets to sign with at {@code now}: the current one, and the previous one during its grace period. */
    public List<String> signingSecrets(Instant now) {
        List<String> secrets = new ArrayList<>();
        secrets.add(secret);
        if (previousSecret.isPresent() && previousSecretValidUntil.isPresent() && now.isBefore(previousSecretValidUntil.get())) {
            secrets.add(previousSecret.get());
        }
        return secrets;
    }

    public WebhookSubscription withSettings(String newUrl, String newDescription, WebhookFilter newFilter, Instant at) {
        return new WebhookSubscription(id, owner, newUrl, newDescription, newFilter, secret, previousSecret,
                previousSecretValidUntil, createdAt, at, version + 1);
    }

    public WebhookSubscription rotated(String newSecret, Instant graceUntil, Instant at) {
        return new WebhookSubscription(id, owner, url, description, filter, newSecret, Optional.of(secret),
                Optional.of(graceUntil), createdAt, at, version + 1);
    }
}
