package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.eventbridge.EventBridgePublisher;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.event.BusEvent;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Webhook delivery (issue #7): latency from a session's state change (its occurred_at) to the receiver, and sustained
 * deliveries per second with nothing lost, through the whole path (bus rule, delivery queue, dispatcher, signed POST).
 * Baseline, same run: the emulator's own floor, the same events through a plain rule into an SQS queue drained by a
 * long poll (no dispatcher, no POST). The receiver verifies every signature (HMAC-SHA256, Standard Webhooks).
 */
public final class WebhookBenchmark {
    private static final int LATENCY_SESSIONS = 40;
    private static final int THROUGHPUT_EVENTS = 1000;

    private WebhookBenchmark() {
    }

    public record Report(Stats latency, Stats baselineLatency, double deliveriesPerSecond, double baselinePerSecond, int sent,
                         int received, int duplicates, int badSignatures) {
        public String markdown() {
            return String.join("\n",
                    "| state change -> receiver, " + latency.count() + " deliveries (" + LATENCY_SESSIONS + " sessions: created, then cancelled) | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    latency.row("**through the subscription's rule, the delivery queue, the dispatcher and a signed POST** — goal p50 < 1 s"),
                    baselineLatency.row("baseline: PutEvents -> a plain rule -> SQS, read by a long poll (the emulator's floor), same run"),
                    "",
                    "| sustained, " + THROUGHPUT_EVENTS + " events published as fast as PutEvents takes them | value |",
                    "|---|---|",
                    String.format("| **deliveries per second, first publish to last delivery** | %.0f /s |", deliveriesPerSecond),
                    String.format("| baseline: the same events into a plain rule's SQS queue, drained by the bench | %.0f /s |", baselinePerSecond),
                    String.format("| delivered / sent (each webhook-id once; duplicates, which at-least-once allows, counted apart) | %d / %d, %d duplicates |",
                            received, sent, duplicates),
                    String.format("| deliveries whose signature did not verify | %d |", badSignatures),
                    "",
                    "Per delivery the dispatcher makes one DynamoDB GetItem (the subscription) and one PutItem (the log), and the"
                            + " records of a batch (up to 10) are delivered side by side. Locally everything runs in one JVM fed by the emulator's"
                            + " SQS event source; on AWS, Lambda takes several batches of the queue at once, so throughput grows with the"
                            + " dispatcher's concurrency.");
        }
    }

    /** A receiver that checks each signature and notes when each webhook-id first arrived. */
    private static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final ExecutorService executor = Executors.newFixedThreadPool(8);
        final Map<String, Long> firstArrival = new ConcurrentHashMap<>();
        final Map<String, Map<String, Object>> payloads = new ConcurrentHashMap<>();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger badSignatures = new AtomicInteger();
        volatile String secret = "";

        Receiver() throws java.io.IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(executor);
            server.createContext("/hook", exchange -> {
                long now = System.currentTimeMillis();
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                long ts = Long.parseLong(exchange.getRequestHeaders().getFirst("webhook-timestamp"));
                String expected = WebhookSignature.sign(secret, id, ts, body);
                if (!List.of(exchange.getRequestHeaders().getFirst("webhook-signature").split(" ")).contains(expected)) {
                    badSignatures.incrementAndGet();
                }
                if (firstArrival.putIfAbsent(id, now) != null) {
                    duplicates.incrementAndGet();
                } else {
                    payloads.put(id, Json.readObjectUnchecked(body));
                }
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow(); // its threads are not daemons: left running, they keep the JVM alive
        }
    }

    public static Report run(LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        String apiUrl = LocalRuntime.apiUrl(stack);
        String token = LocalUsers.of(stack).token("bench-webhooks", List.of("users"));
        String owner = subject(token);
        HttpClient http = HttpClient.newHttpClient();
        EventBridgeClient events = EventBridgeClient.builder().httpClient(AwsClients.httpClient()).build();
        SqsClient sqs = SqsClient.builder().httpClient(AwsClients.httpClient()).build();
        String bus = stack.outputs().get("EventBusName");
        String group = "bench-wh-" + UUID.randomUUID().toString().substring(0, 8);
        dev.sluice.adapters.ControlPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(
                runtime.host().bindings().values().iterator().next().environment()).control();
        plane.groupStore().put(dev.sluice.core.group.ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));

        try (Receiver receiver = new Receiver()) {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/webhooks"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + receiver.url() + "\",\"event_types\":[\"session.status_changed\"]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("subscription refused: " + created.body());
            }
            receiver.secret = Json.readObjectUnchecked(created.body()).get("secret").toString();

            // Latency: real sessions through the API; each change is timed from its occurred_at to its arrival.
            for (int i = 0; i < LATENCY_SESSIONS; i++) {
                HttpResponse<String> s = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}")).build(), HttpResponse.BodyHandlers.ofString());
                String id = Json.readObjectUnchecked(s.body()).get("id").toString();
                http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions/" + id)).header("Authorization", "Bearer " + token)
                        .DELETE().build(), HttpResponse.BodyHandlers.discarding());
                Thread.sleep(100);
            }
            awaitCount(receiver, 2 * LATENCY_SESSIONS, Duration.ofSeconds(60));
            List<Long> latencies = new ArrayList<>();
            receiver.payloads.forEach((id, payload) -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> data = (Map<String, Object>) payload.get("data");
                long changed = Instant.parse(data.get("occurred_at").toString()).toEpochMilli();
                latencies.add(Duration.ofMillis(receiver.firstArrival.get(id) - changed).toNanos());
            });

            // Baseline latency and throughput: a plain rule into a queue of the bench's own, drained by long polls.
            String queueUrl = sqs.createQueue(r -> r.queueName("bench-webhook-baseline-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNamesWithStrings("QueueArn")).attributesAsStrings().get("QueueArn");
            String baselineOwner = "bench-baseline-" + UUID.randomUUID();
            String rule = "bench-webhook-baseline";
            events.putRule(r -> r.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of("source", List.of("sluice.sessions"),
                    "detail", Map.of("owner", List.of(baselineOwner))))));
            events.putTargets(r -> r.rule(rule).eventBusName(bus).targets(t -> t.id("q").arn(queueArn)));
            List<Long> baseline = new ArrayList<>();
            for (int i = 0; i < 2 * LATENCY_SESSIONS; i++) {
                long sent = System.currentTimeMillis();
                publish(events, bus, List.of(event(baselineOwner, i)));
                List<Message> got = List.of();
                while (got.isEmpty()) {
                    got = sqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(5).maxNumberOfMessages(10)).messages();
                }
                baseline.add(Duration.ofMillis(System.currentTimeMillis() - sent).toNanos());
                for (Message m : got) {
                    sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                }
            }

            long baseStart = System.nanoTime();
            publishMany(events, bus, baselineOwner, THROUGHPUT_EVENTS);
            int drained = 0;
            while (drained < THROUGHPUT_EVENTS) {
                List<Message> got = sqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(5).maxNumberOfMessages(10)).messages();
                if (got.isEmpty()) {
                    break;
                }
                drained += got.size();
                sqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(got.stream().map(m -> software.amazon.awssdk.services.sqs.model
                        .DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
            }
            double baselinePerSecond = drained / ((System.nanoTime() - baseStart) / 1e9);
            events.removeTargets(r -> r.rule(rule).eventBusName(bus).ids("q"));
            events.deleteRule(r -> r.name(rule).eventBusName(bus));
            sqs.deleteQueue(r -> r.queueUrl(queueUrl));

            // Sustained: the subscription's owner's events published as fast as PutEvents takes them.
            int before = receiver.firstArrival.size();
            long start = System.nanoTime();
            publishMany(events, bus, owner, THROUGHPUT_EVENTS);
            awaitCount(receiver, before + THROUGHPUT_EVENTS, Duration.ofMinutes(5));
            long lastArrival = receiver.firstArrival.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            long startMillis = System.currentTimeMillis() - (System.nanoTime() - start) / 1_000_000;
            int received = receiver.firstArrival.size() - before;
            double perSecond = received / ((lastArrival - startMillis) / 1000.0);
            return new Report(Stats.of(latencies), Stats.of(baseline), perSecond, baselinePerSecond, THROUGHPUT_EVENTS, received,
                    receiver.duplicates.get(), receiver.badSignatures.get());
        }
    }

    private static void awaitCount(Receiver receiver, int count, Duration within) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        while (receiver.firstArrival.size() < count && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
    }

    private static PutEventsRequestEntry event(String owner, int i) {
        Map<String, Object> detail = EventBridgePublisher.detail(new SessionStatusChanged("bench-" + UUID.randomUUID(), owner, "bench",
                SessionType.BATCH, Optional.empty(), SessionStatus.PENDING, "bench", Instant.now(), 1, false));
        return PutEventsRequestEntry.builder().source(BusEvent.SESSION_STATUS_CHANGED.source()).detailType(BusEvent.SESSION_STATUS_CHANGED.detailType())
                .detail(Json.write(detail)).build();
    }

    private static void publish(EventBridgeClient events, String bus, List<PutEventsRequestEntry> entries) {
        var response = events.putEvents(r -> r.entries(entries.stream().map(e -> e.toBuilder().eventBusName(bus).build()).toList()));
        if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused " + response.failedEntryCount());
        }
    }

    private static void publishMany(EventBridgeClient events, String bus, String owner, int count) {
        for (int i = 0; i < count; i += 10) {
            List<PutEventsRequestEntry> batch = new ArrayList<>();
            for (int j = i; j < Math.min(count, i + 10); j++) {
                batch.add(event(owner, j));
            }
            publish(events, bus, batch);
        }
    }

    private static String subject(String token) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        return Json.readObjectUnchecked(payload).get("sub").toString();
    }

}
