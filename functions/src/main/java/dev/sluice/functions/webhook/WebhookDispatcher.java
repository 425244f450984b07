package dev.sluice.functions.webhook;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.adapters.webhook.WebhookCodec;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookMessage;
import dev.sluice.functions.Priming;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Takes a batch of the delivery queue and delivers its messages side by side (one slow receiver does not hold up
 * the others of the batch): signed, retried through the queue, dead-lettered after the last attempt. A message
 * whose handling failed (not a receiver's failure: an AWS error) is reported back to SQS as a batch item failure,
 * so only it comes back after the visibility timeout. One JSON log line per delivery; never the secret, the URL or
 * the body.
 */
public final class WebhookDispatcher implements RequestHandler<SQSEvent, SQSBatchResponse> {
    /** At most one batch of SQS (10 messages) in flight per container. */
    private static final int PARALLEL = 10;
    private final ControlPlane plane;
    private final Clock clock;
    private volatile ExecutorService pool;

    public WebhookDispatcher() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public WebhookDispatcher(Wiring wiring) {
        this.plane = wiring.control();
        this.clock = wiring.clock();
    }

    /** Threads are made at the first batch, not during init (nothing for a SnapStart snapshot to hold). */
    private ExecutorService pool() {
        if (pool == null) {
            synchronized (this) {
                if (pool == null) {
                    pool = Executors.newFixedThreadPool(PARALLEL, r -> {
                        Thread t = new Thread(r, "webhook-delivery");
                        t.setDaemon(true);
                        return t;
                    });
                }
            }
        }
        return pool;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        List<Future<Optional<String>>> outcomes = new ArrayList<>();
        for (SQSEvent.SQSMessage record : records) {
            outcomes.add(pool().submit(() -> deliver(record, context)));
        }
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            Optional<String> failed;
            try {
                failed = outcomes.get(i).get();
            } catch (ExecutionException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                failed = Optional.of(records.get(i).getMessageId());
            }
            failed.ifPresent(id -> failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(id).build()));
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }

    /** Delivers one record; the message id when SQS should hand it out again. */
    private Optional<String> deliver(SQSEvent.SQSMessage record, Context context) {
        RequestLog line = RequestLog.start(context, "WebhookDispatcher", "queue");
        line.put("messageId", record.getMessageId());
        String level = "INFO";
        int status = 200;
        String error = null;
        Optional<String> failed = Optional.empty();
        try {
            WebhookMessage message;
            try {
                message = WebhookCodec.read(record.getBody(), clock.instant());
            } catch (RuntimeException unreadable) {
                // a body that is not a delivery will never become one: log it and let it go
                level = "WARN";
                status = 400;
                line.put("outcome", "unreadable");
                error = unreadable.getClass().getSimpleName();
                return failed;
            }
            line.put("subscription", message.subscriptionId());
            line.put("webhookId", message.webhookId());
            line.put("attempt", message.attempt());
            DeliveryAttempt.Outcome outcome = plane.webhooks().dispatch().handle(message);
            line.put("outcome", outcome.wireName());
        } catch (RuntimeException e) {
            level = "ERROR";
            status = 500;
            line.put("outcome", "failed");
            error = RequestLog.failure(e);
            failed = Optional.of(record.getMessageId());
        } finally {
            line.end(level, status, error);
        }
        return failed;
    }
}
