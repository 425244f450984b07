package dev.sluice.adapters.webhook;

import dev.sluice.core.port.DeliveryQueue;
import dev.sluice.core.webhook.WebhookMessage;
import java.time.Duration;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The delivery queue in SQS: a delay of up to 15 minutes is SQS's own DelaySeconds. */
public final class SqsDeliveryQueue implements DeliveryQueue {
    private final SqsClient sqs;
    private final String queueUrl;

    public SqsDeliveryQueue(SqsClient sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
    }

    @Override
    public void send(WebhookMessage message, Duration delay) {
        int seconds = (int) Math.min(900, Math.max(0, (delay.toMillis() + 999) / 1000));
        sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(WebhookCodec.write(message)).delaySeconds(seconds));
    }
}
