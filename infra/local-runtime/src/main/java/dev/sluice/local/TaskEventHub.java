package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.core.event.BusEvent;
import dev.sluice.adapters.json.Json;
import dev.sluice.functions.folders.TaskEventStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Follows task events from the bus for the local server-sent-events endpoint: a rule on the {@code sluice} bus sends
 * every {@code Task Updated} event to a queue of this runtime, and a poller wakes the streams of that task.
 */
final class TaskEventHub implements TaskEventStream.Wakeups, AutoCloseable {
    /** Updates kept per task for the streams that follow it (the newest ones; a stream that falls behind reads the item). */
    static final int KEPT_PER_TASK = 5_000;
    private final Map<String, AtomicLong> versions = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.ConcurrentSkipListMap<Long, Map<String, Object>>> updates = new ConcurrentHashMap<>();
    private final SqsClient sqs;
    private final String queueUrl;
    private final Thread poller;
    private volatile boolean running = true;

    private TaskEventHub(SqsClient sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.poller = new Thread(this::poll, "task-event-hub");
        this.poller.setDaemon(true);
    }

    /** Creates (or reuses) the queue and the rule of this runtime and starts following. */
    static TaskEventHub follow(String busName, String name) {
        SqsClient sqs = SqsClient.builder().httpClient(AwsClients.httpClient()).build();
        EventBridgeClient events = AwsClients.shared().eventBridge();
        String queueUrl = sqs.createQueue(b -> b.queueName(name)).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        String pattern = Json.write(Map.of("source", List.of(BusEvent.TASK_UPDATED.source()),
                "detail-type", List.of(BusEvent.TASK_UPDATED.detailType())));
        events.putRule(b -> b.name(name).eventBusName(busName).eventPattern(pattern));
        events.putTargets(b -> b.rule(name).eventBusName(busName).targets(t -> t.id("queue").arn(queueArn)));
        TaskEventHub hub = new TaskEventHub(sqs, queueUrl);
        hub.poller.start();
        return hub;
    }

    private void poll() {
        while (running) {
            try {
                List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                for (Message m : messages) {
                    JsonNode event = Json.MAPPER.readTree(m.body());
                    Map<String, Object> detail = Json.MAPPER.convertValue(event.path("detail"),
                            new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
                    deliver(event.path("detail").path("id").asText(""), detail);
                }
                if (!messages.isEmpty()) {
                    sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(messages.stream()
                            .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
                            .toList()));
                }
            } catch (Exception e) {
                if (running) {
                    System.out.println(Json.write(Map.of("level", "WARN", "logger", "task-event-hub", "error", String.valueOf(e))));
                    sleep(Duration.ofMillis(500));
                }
            }
        }
    }

    void deliver(String taskId, Map<String, Object> detail) {
        if (detail.get("sequence") instanceof Number n) {
            java.util.concurrent.ConcurrentSkipListMap<Long, Map<String, Object>> kept =
                    updates.computeIfAbsent(taskId, k -> new java.util.concurrent.ConcurrentSkipListMap<>());
            kept.put(n.longValue(), detail);
            while (kept.size() > KEPT_PER_TASK) {
                kept.pollFirstEntry();
            }
        }
        signal(taskId);
    }

    @Override
    public List<Map<String, Object>> after(String taskId, long sequence) {
        java.util.concurrent.ConcurrentSkipListMap<Long, Map<String, Object>> kept = updates.get(taskId);
        return kept == null ? List.of() : List.copyOf(kept.tailMap(sequence, false).values());
    }

    void signal(String taskId) {
        AtomicLong v = versions.computeIfAbsent(taskId, k -> new AtomicLong());
        synchronized (v) {
            v.incrementAndGet();
            v.notifyAll();
        }
    }

    @Override
    public long version(String taskId) {
        return versions.computeIfAbsent(taskId, k -> new AtomicLong()).get();
    }

    @Override
    public void await(String taskId, long seen, Duration timeout) throws InterruptedException {
        AtomicLong v = versions.computeIfAbsent(taskId, k -> new AtomicLong());
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (v) {
            while (v.get() <= seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                v.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        poller.interrupt();
    }
}
