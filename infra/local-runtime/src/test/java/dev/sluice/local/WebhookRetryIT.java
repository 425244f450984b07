package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Failed deliveries: retried on the (compressed) schedule with the same webhook-id, parked in the subscription's
 * dead-letter queue after the last attempt, and delivered by a replay once the receiver is back. Nothing is lost,
 * nothing is replayed twice.
 */
class WebhookRetryIT {
    private static final int ATTEMPTS = 4; // LocalStack.WEBHOOK_RETRY_SCHEDULE "1s,1s,2s": the first attempt and 3 retries

    private static JsonNode awaitApi(ApiClient api, String path, String token, Predicate<JsonNode> done) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode got = api.get(path, token).json();
        while (!done.test(got) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            got = api.get(path, token).json();
        }
        if (!done.test(got)) {
            throw new AssertionError(path + " did not get there within 30 s: " + got);
        }
        return got;
    }

    @Test
    void aReceiverAnswering500GetsEveryAttemptThenTheDeadLetterQueueThenTheReplay() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-retry-500");
        try (WebhookReceiver receiver = WebhookReceiver.start(0)) {
            JsonNode sub = WebhooksIT.subscribe(receiver, api, token, "failing", ",\"event_types\":[\"session.status_changed\"]");
            String id = sub.path("id").asText();
            receiver.configure("failing", List.of(sub.path("secret").asText()), 500);

            String session = WebhooksIT.createSession(api, token, WebhooksIT.newIdleGroup(plane)); // one event: PENDING
            assertThat(api.post("/webhooks/" + id + "/test", token, null).status()).isEqualTo(202);  // and a test event

            JsonNode dead = awaitApi(api, "/webhooks/" + id + "/dead-letters", token, j -> j.path("items").size() >= 2);
            assertThat(dead.path("items")).hasSize(2);
            List<JsonNode> tried = receiver.deliveries("failing");
            assertThat(tried).hasSize(2 * ATTEMPTS).allMatch(d -> d.path("verified").asBoolean());
            Map<String, Long> attemptsPerId = tried.stream().collect(java.util.stream.Collectors.groupingBy(
                    d -> d.path("webhook_id").asText(), java.util.stream.Collectors.counting()));
            assertThat(attemptsPerId.values()).as("the webhook-id is the same on every retry").containsOnly((long) ATTEMPTS);

            JsonNode log = api.get("/webhooks/" + id + "/deliveries?limit=50", token).json().path("items");
            assertThat(log).hasSize(2 * ATTEMPTS);
            assertThat(log).allMatch(a -> a.path("status_code").asInt() == 500 && a.path("latency_ms").isNumber());
            assertThat(log).filteredOn(a -> a.path("outcome").asText().equals("dead_lettered")).hasSize(2)
                    .allMatch(a -> a.path("attempt").asInt() == ATTEMPTS);
            assertThat(log).filteredOn(a -> a.path("outcome").asText().equals("retrying")).hasSize(2 * (ATTEMPTS - 1));

            receiver.configure("failing", List.of(sub.path("secret").asText()), 204);
            ApiClient.Reply replay = api.post("/webhooks/" + id + "/dead-letters/replay", token, null);
            assertThat(replay.status()).as(replay.body()).isEqualTo(202);
            assertThat(replay.json().path("replayed").asInt()).isEqualTo(2);
            assertThat(api.post("/webhooks/" + id + "/dead-letters/replay", token, null).json().path("replayed").asInt())
                    .as("a second replay finds the queue empty").isZero();

            List<JsonNode> all = receiver.await("failing", d -> d.size() >= 2 * ATTEMPTS + 2, Duration.ofSeconds(20));
            all = WebhooksIT.deliveriesUpToAMarker(receiver, api, token, id, "failing");
            List<JsonNode> delivered = all.stream().filter(d -> d.path("answered").asInt() == 204).toList();
            assertThat(delivered).hasSize(2).allMatch(d -> d.path("verified").asBoolean());
            assertThat(delivered.stream().map(d -> d.path("webhook_id").asText()).toList())
                    .containsExactlyInAnyOrderElementsOf(attemptsPerId.keySet());
            assertThat(delivered).anyMatch(d -> d.path("payload").path("data").path("session_id").asText().equals(session));
            assertThat(api.get("/webhooks/" + id + "/dead-letters", token).json().path("items")).isEmpty();
        }
    }

    @Test
    void aReceiverThatIsDownGetsTheDeliveryByReplayOnceItIsBack() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-retry-down");
        int port;
        String secret;
        String id;
        try (WebhookReceiver receiver = WebhookReceiver.start(0)) {
            port = receiver.port;
            JsonNode sub = WebhooksIT.subscribe(receiver, api, token, "down", "");
            secret = sub.path("secret").asText();
            id = sub.path("id").asText();
        }
        String webhookId = api.post("/webhooks/" + id + "/test", token, null).json().path("webhook_id").asText();
        JsonNode dead = awaitApi(api, "/webhooks/" + id + "/dead-letters", token, j -> j.path("items").size() >= 1);
        assertThat(dead.path("items")).extracting(n -> n.path("webhook_id").asText()).containsExactly(webhookId);
        JsonNode log = api.get("/webhooks/" + id + "/deliveries", token).json().path("items");
        assertThat(log).hasSize(ATTEMPTS).allMatch(a -> a.path("status_code").isNull() && !a.path("error").asText().isEmpty());

        try (WebhookReceiver back = WebhookReceiver.start(port)) {
            back.configure("down", List.of(secret), 204);
            ApiClient.Reply replay = api.post("/webhooks/" + id + "/deliveries/" + webhookId + "/replay", token, null);
            assertThat(replay.status()).as(replay.body()).isEqualTo(202);
            List<JsonNode> got = back.await("down", d -> d.size() >= 1, Duration.ofSeconds(15));
            got = WebhooksIT.deliveriesUpToAMarker(back, api, token, id, "down");
            assertThat(got).hasSize(1);
            assertThat(got.get(0).path("verified").asBoolean()).isTrue();
            assertThat(got.get(0).path("webhook_id").asText()).isEqualTo(webhookId);
            assertThat(api.get("/webhooks/" + id + "/dead-letters", token).json().path("items")).isEmpty();
            assertThat(api.post("/webhooks/" + id + "/deliveries/msg_unknown/replay", token, null).status()).isEqualTo(404);
        }
    }
}
