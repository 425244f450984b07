package dev.sluice.functions.webhook;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.adapters.webhook.WebhookCodec;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes a batch of the delivery queue and delivers each message (signed, retried through the queue, dead-lettered
 * after the last attempt). A message whose handling failed (not a receiver's failure: an AWS error) is reported back
 * to SQS as a batch item failure, so only it comes back after the visibility timeout. One JSON log line per
 * delivery; never the secret, the URL or the body.
 */
public final class WebhookDispatcher implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final ControlPlane plane;

    public WebhookDispatcher() {
        this(ControlPlane.fromEnvironment(System.getenv()));
    }

    public WebhookDispatcher(ControlPlane plane) {
        this.plane = plane;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        for (SQSEvent.SQSMessage record : records) {
            long started = System.nanoTime();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("logger", "webhook-dispatcher");
            line.put("requestId", context == null ? null : context.getAwsRequestId());
            line.put("messageId", record.getMessageId());
            WebhookMessage message;
            try {
                message = WebhookCodec.read(record.getBody(), Instant.now());
            } catch (RuntimeException unreadable) {
                // a body that is not a delivery will never become one: log it and let it go
                line.put("level", "WARN");
                line.put("outcome", "unreadable");
                line.put("error", unreadable.getClass().getSimpleName());
                System.out.println(Json.write(line));
                continue;
            }
            try {
                line.put("subscription", message.subscriptionId());
                line.put("webhookId", message.webhookId());
                line.put("attempt", message.attempt());
                DeliveryAttempt.Outcome outcome = plane.webhooks().dispatch().handle(message);
                line.put("level", "INFO");
                line.put("outcome", outcome.wireName());
            } catch (RuntimeException e) {
                line.put("level", "ERROR");
                line.put("outcome", "failed");
                line.put("error", e.getClass().getName() + ": " + e.getMessage());
                failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(record.getMessageId()).build());
            }
            line.put("durationMs", (System.nanoTime() - started) / 1_000_000.0);
            System.out.println(Json.write(line));
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }
}
