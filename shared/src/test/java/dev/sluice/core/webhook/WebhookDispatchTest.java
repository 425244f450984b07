package dev.sluice.core.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.port.DeliveryDestinations;
import dev.sluice.core.port.DeliveryLog;
import dev.sluice.core.port.DeliveryQueue;
import dev.sluice.core.port.WebhookTransport;
import dev.sluice.core.usecase.WebhookDispatch;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookDispatchTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String OLD_SECRET = WebhookSignature.secretOf(new byte[24]);

    private record Sent(WebhookMessage message, Duration delay) {
    }

    private record Post(URI url, InetAddress address, Map<String, String> headers, String body) {
    }

    private final List<Sent> queued = new ArrayList<>();
    private final List<Post> posts = new ArrayList<>();
    private final List<DeliveryAttempt> attempts = new ArrayList<>();
    private final List<WebhookMessage> dead = new ArrayList<>();
    private final List<List<InetAddress>> dnsAnswers = new ArrayList<>();
    private int answer = 204;
    private Optional<DeliveryDestinations.Destination> destination;
    private WebhookDispatch dispatch;

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void wire() {
        destination = Optional.of(new DeliveryDestinations.Destination("https://hooks.example/in", "alice", List.of(SECRET, OLD_SECRET)));
        dnsAnswers.add(List.of(ip("93.184.216.34")));
        DeliveryQueue queue = (m, d) -> queued.add(new Sent(m, d));
        DeliveryLog log = new DeliveryLog() {
            @Override public void record(DeliveryAttempt a, WebhookMessage m) { attempts.add(a); }
            @Override public void deadLetter(WebhookMessage m, String e) { dead.add(m); }
            @Override public List<DeliveryAttempt> recent(String s, int l) { return attempts; }
            @Override public List<WebhookMessage> deadLetters(String s) { return dead; }
            @Override public boolean removeDeadLetter(String s, String w) { return dead.removeIf(m -> m.webhookId().equals(w)); }
            @Override public Optional<WebhookMessage> find(String s, String w) { return Optional.empty(); }
        };
        WebhookTransport transport = new WebhookTransport() {
            @Override
            public List<InetAddress> resolve(String host) {
                return dnsAnswers.size() > 1 ? dnsAnswers.remove(0) : dnsAnswers.get(0);
            }

            @Override
            public DeliveryResult post(URI url, InetAddress address, Map<String, String> headers, String body) {
                posts.add(new Post(url, address, headers, body));
                return new DeliveryResult(Optional.of(answer), 12, Optional.empty());
            }
        };
        dispatch = new WebhookDispatch((id, now) -> destination, queue, log,
                new WebhookTargets(new TargetAddressPolicy(false), transport), transport, RetrySchedule.parse("10s,1h"),
                WebhookDispatchTest::json, () -> 0.5, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** A tiny stand-in for the JSON writer (the core has no JSON library); stable and enough to sign. */
    private static String json(JsonObject o) {
        return String.valueOf(plain(o));
    }

    private static Object plain(JsonValue v) {
        if (v instanceof JsonObject o) {
            Map<String, Object> m = new LinkedHashMap<>();
            o.fields().forEach((k, x) -> m.put(k, plain(x)));
            return m;
        }
        if (v instanceof JsonValue.Array a) {
            return a.items().stream().map(WebhookDispatchTest::plain).toList();
        }
        return v instanceof JsonValue.Text t ? t.value() : v instanceof JsonValue.Num n ? n.value()
                : v instanceof JsonValue.Bool b ? b.value() : null;
    }

    private static WebhookMessage message(int attempt, Instant notBefore) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("session_id", "s-1");
        data.put("owner", "alice");
        data.put("previous_status", null);
        data.put("sequence", 1);
        return new WebhookMessage("wh_1", "msg_abc", "session.status_changed", NOW.minusSeconds(1), (JsonObject) JsonValue.of(data),
                attempt, notBefore);
    }

    @Test
    void aDeliveryIsSignedWithEveryValidSecretAndSentToTheCheckedAddress() {
        assertThat(dispatch.handle(message(1, NOW))).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        Post p = posts.get(0);
        assertThat(p.address()).isEqualTo(ip("93.184.216.34"));
        assertThat(p.headers()).containsEntry("webhook-id", "msg_abc").containsEntry("webhook-timestamp", Long.toString(NOW.getEpochSecond()));
        assertThat(p.headers().get("webhook-signature")).isEqualTo(
                WebhookSignature.sign(SECRET, "msg_abc", NOW.getEpochSecond(), p.body()) + " "
                        + WebhookSignature.sign(OLD_SECRET, "msg_abc", NOW.getEpochSecond(), p.body()));
        assertThat(p.body()).contains("version=1", "type=session.status_changed", "id=msg_abc", "sequence=1");
        assertThat(attempts).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
            assertThat(a.statusCode()).contains(204);
            assertThat(a.attempt()).isEqualTo(1);
        });
        assertThat(queued).isEmpty();
    }

    @Test
    void aFailureQueuesTheNextAttemptWithTheSameIdAndItsDelay() {
        answer = 500;
        assertThat(dispatch.handle(message(1, NOW))).isEqualTo(DeliveryAttempt.Outcome.RETRYING);
        assertThat(queued).singleElement().satisfies(s -> {
            assertThat(s.message().attempt()).isEqualTo(2);
            assertThat(s.message().webhookId()).isEqualTo("msg_abc");
            assertThat(s.delay()).isEqualTo(Duration.ofSeconds(10));
            assertThat(s.message().notBefore()).isEqualTo(NOW.plusSeconds(10));
        });
        assertThat(attempts.get(0).outcome()).isEqualTo(DeliveryAttempt.Outcome.RETRYING);
        assertThat(attempts.get(0).statusCode()).contains(500);
    }

    @Test
    void aWaitLongerThanTheQueueAllowsIsTakenInStepsWithoutPosting() {
        answer = 500;
        dispatch.handle(message(2, NOW));
        assertThat(queued.get(0).delay()).as("SQS delays at most 15 minutes").isEqualTo(Duration.ofMinutes(15));
        assertThat(queued.get(0).message().notBefore()).isEqualTo(NOW.plus(Duration.ofHours(1)));
        queued.clear();
        posts.clear();
        assertThat(dispatch.handle(message(3, NOW.plus(Duration.ofMinutes(45))))).isEqualTo(DeliveryAttempt.Outcome.RETRYING);
        assertThat(posts).isEmpty();
        assertThat(queued).singleElement().satisfies(s -> {
            assertThat(s.delay()).isEqualTo(Duration.ofMinutes(15));
            assertThat(s.message().attempt()).as("a re-delay is not an attempt").isEqualTo(3);
        });
    }

    @Test
    void afterTheLastAttemptTheDeliveryIsDeadLettered() {
        answer = 503;
        assertThat(dispatch.handle(message(3, NOW))).isEqualTo(DeliveryAttempt.Outcome.DEAD_LETTERED);
        assertThat(dead).singleElement().satisfies(m -> assertThat(m.webhookId()).isEqualTo("msg_abc"));
        assertThat(queued).isEmpty();
        assertThat(attempts.get(0).outcome()).isEqualTo(DeliveryAttempt.Outcome.DEAD_LETTERED);
    }

    @Test
    void aDnsAnswerThatTurnsInternalAtDeliveryIsRefusedAndRetriedNeverPosted() {
        dnsAnswers.clear();
        dnsAnswers.add(List.of(ip("169.254.169.254")));
        assertThat(dispatch.handle(message(1, NOW))).isEqualTo(DeliveryAttempt.Outcome.RETRYING);
        assertThat(posts).isEmpty();
        assertThat(attempts.get(0).error()).hasValueSatisfying(e -> assertThat(e).contains("target refused", "169.254.169.254"));
    }

    @Test
    void aDeletedSubscriptionOrAnotherOwnersEventIsDropped() {
        destination = Optional.empty();
        assertThat(dispatch.handle(message(1, NOW))).isEqualTo(DeliveryAttempt.Outcome.DROPPED);
        destination = Optional.of(new DeliveryDestinations.Destination("https://hooks.example/in", "mallory", List.of(SECRET)));
        assertThat(dispatch.handle(message(1, NOW))).isEqualTo(DeliveryAttempt.Outcome.DROPPED);
        assertThat(posts).isEmpty();
        assertThat(queued).isEmpty();
    }

    @Test
    void theEnvelopeKeepsNullFieldsOfTheSnapshot() {
        assertThat(message(1, NOW).envelope().fields()).containsKeys("version", "type", "id", "time", "data");
        assertThat(((JsonObject) message(1, NOW).envelope().get("data").orElseThrow()).has("previous_status")).isTrue();
    }
}
