package dev.sluice.core.usecase;

import dev.sluice.core.port.CallbackSecrets;
import dev.sluice.core.port.DeliveryDestinations;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.WebhookStore;
import dev.sluice.core.webhook.WebhookSubscription;
import java.time.Instant;
import java.util.Optional;

/**
 * Where a delivery goes, read when it is attempted (so a changed URL or a rotated secret applies to retries):
 * a subscription's URL and secrets, or for {@code cb_<session id>} the session's {@code callback_url} signed with its
 * owner's callback secret.
 */
public final class WebhookDestinations implements DeliveryDestinations {
    private final WebhookStore subscriptions;
    private final SessionStore sessions;
    private final CallbackSecrets callbackSecrets;

    public WebhookDestinations(WebhookStore subscriptions, SessionStore sessions, CallbackSecrets callbackSecrets) {
        this.subscriptions = subscriptions;
        this.sessions = sessions;
        this.callbackSecrets = callbackSecrets;
    }

    @Override
    public Optional<Destination> find(String subscriptionId, Instant now) {
        if (subscriptionId.startsWith(WebhookSubscription.CALLBACK_PREFIX)) {
            return sessions.find(subscriptionId.substring(WebhookSubscription.CALLBACK_PREFIX.length()))
                    .flatMap(s -> s.spec().callbackUrl().map(url -> new Destination(url, s.owner(),
                            callbackSecrets.signingSecrets(s.owner(), now))));
        }
        return subscriptions.find(subscriptionId).map(s -> new Destination(s.url(), s.owner(), s.signingSecrets(now)));
    }
}
