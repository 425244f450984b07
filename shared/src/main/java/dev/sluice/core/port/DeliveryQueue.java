package dev.sluice.core.port;

import dev.sluice.core.webhook.WebhookMessage;
import java.time.Duration;

/** The durable queue deliveries wait in until the dispatcher takes them. */
public interface DeliveryQueue {
    void send(WebhookMessage message, Duration delay);
}
