package dev.sluice.core.usecase;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.DeliveryDestinations;
import dev.sluice.core.port.DeliveryLog;
import dev.sluice.core.port.DeliveryQueue;
import dev.sluice.core.port.WebhookTransport;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.DeliveryResult;
import dev.sluice.core.webhook.RetrySchedule;
import dev.sluice.core.webhook.WebhookMessage;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.core.webhook.WebhookSubscription;
import dev.sluice.core.webhook.WebhookTargets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * Delivers one queued message: checks the target's addresses again (a changed DNS answer is caught), signs the
 * envelope (Standard Webhooks), POSTs it, logs the attempt, and on failure queues the next attempt of the schedule
 * or, after the last one, parks the message in the subscription's dead-letter queue.
 */
public final class WebhookDispatch {
    /** SQS delays a message at most this long; longer waits are re-delayed until {@code notBefore}. */
    public static final Duration MAX_QUEUE_DELAY = Duration.ofSeconds(900);

    private final DeliveryDestinations destinations;
    private final DeliveryQueue queue;
    private final DeliveryLog log;
    private final WebhookTargets targets;
    private final WebhookTransport transport;
    private final RetrySchedule schedule;
    private final Function<JsonObject, String> json;
    private final DoubleSupplier random;
    private final Clock clock;

    public WebhookDispatch(DeliveryDestinations destinations, DeliveryQueue queue, DeliveryLog log, WebhookTargets targets,
                           WebhookTransport transport, RetrySchedule schedule, Function<JsonObject, String> json, DoubleSupplier random, Clock clock) {
        this.destinations = destinations;
        this.queue = queue;
        this.log = log;
        this.targets = targets;
        this.transport = transport;
        this.schedule = schedule;
        this.json = json;
        this.random = random;
        this.clock = clock;
    }

    public RetrySchedule schedule() {
        return schedule;
    }

    public DeliveryAttempt.Outcome handle(WebhookMessage message) {
        Instant now = clock.instant();
        if (message.notBefore().isAfter(now.plusSeconds(1))) {
            queue.send(message, min(Duration.between(now, message.notBefore()), MAX_QUEUE_DELAY));
            return DeliveryAttempt.Outcome.RETRYING;
        }
        Optional<DeliveryDestinations.Destination> destination = destinations.find(message.subscriptionId(), now);
        Optional<JsonValue> owner = message.data().get("owner").filter(o -> o != JsonValue.Null.NULL);
        if (destination.isEmpty() || (owner.isPresent() && !owner.get().equals(new JsonValue.Text(destination.get().owner())))) {
            if (message.subscriptionId().startsWith(WebhookSubscription.CALLBACK_PREFIX)) {
                return DeliveryAttempt.Outcome.DROPPED; // most sessions have no callback_url: nothing worth a log entry
            }
            log.record(attempt(message, now, DeliveryResult.failed("the subscription no longer exists", 0),
                    DeliveryAttempt.Outcome.DROPPED), message);
            return DeliveryAttempt.Outcome.DROPPED;
        }
        DeliveryResult result = deliver(message, destination.get(), now);
        if (result.delivered()) {
            log.record(attempt(message, now, result, DeliveryAttempt.Outcome.DELIVERED), message);
            return DeliveryAttempt.Outcome.DELIVERED;
        }
        Optional<Duration> wait = schedule.delayBefore(message.attempt() + 1, random);
        if (wait.isPresent()) {
            queue.send(message.nextAttempt(now.plus(wait.get())), min(wait.get(), MAX_QUEUE_DELAY));
            log.record(attempt(message, now, result, DeliveryAttempt.Outcome.RETRYING), message);
            return DeliveryAttempt.Outcome.RETRYING;
        }
        log.deadLetter(message, result.error().orElse("HTTP " + result.statusCode().map(String::valueOf).orElse("?")));
        log.record(attempt(message, now, result, DeliveryAttempt.Outcome.DEAD_LETTERED), message);
        return DeliveryAttempt.Outcome.DEAD_LETTERED;
    }

    private DeliveryResult deliver(WebhookMessage message, DeliveryDestinations.Destination destination, Instant now) {
        WebhookTargets.Checked checked;
        try {
            checked = targets.check("url", destination.url());
        } catch (DomainException refused) {
            return DeliveryResult.failed("target refused: " + refused.getMessage(), 0);
        }
        String body = json.apply(message.envelope());
        long timestamp = now.getEpochSecond();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("user-agent", "Sluice-Webhooks/1");
        headers.put("webhook-id", message.webhookId());
        headers.put("webhook-timestamp", Long.toString(timestamp));
        headers.put("webhook-signature", WebhookSignature.header(destination.secrets(), message.webhookId(), timestamp, body));
        return transport.post(checked.target().uri(), checked.address(), headers, body);
    }

    private static DeliveryAttempt attempt(WebhookMessage m, Instant at, DeliveryResult r, DeliveryAttempt.Outcome outcome) {
        return new DeliveryAttempt(m.subscriptionId(), m.webhookId(), m.type(), m.attempt(), at, r.statusCode(), r.latencyMillis(),
                r.error(), outcome);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
