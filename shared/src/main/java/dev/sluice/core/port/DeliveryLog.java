package dev.sluice.core.port;

import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookMessage;
import java.util.List;
import java.util.Optional;

/** Recent attempts of a subscription's deliveries, and its dead-letter queue (deliveries that ran out of attempts). */
public interface DeliveryLog {
    /** Records an attempt together with the message it tried (so any recent delivery can be replayed). */
    void record(DeliveryAttempt attempt, WebhookMessage message);

    /** Parks a delivery that ran out of attempts in the subscription's dead-letter queue. */
    void deadLetter(WebhookMessage message, String lastError);

    /** The newest attempts first, at most {@code limit}. */
    List<DeliveryAttempt> recent(String subscriptionId, int limit);

    /** The subscription's dead-lettered deliveries. */
    List<WebhookMessage> deadLetters(String subscriptionId);

    /** Takes one delivery out of the dead-letter queue; false when it was not there (already replayed). */
    boolean removeDeadLetter(String subscriptionId, String webhookId);

    /** The message of a recent delivery (dead-lettered or in the log). */
    Optional<WebhookMessage> find(String subscriptionId, String webhookId);
}
