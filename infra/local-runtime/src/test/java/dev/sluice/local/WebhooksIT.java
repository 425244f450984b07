package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.SessionService;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks end to end: subscription rules on the bus, the delivery queue, the dispatcher, and a real receiver that
 * verifies every delivery with the Standard Webhooks reference library (npm standardwebhooks).
 */
class WebhooksIT {
    private static WebhookReceiver receiver;
    private static JsonSchema envelope;

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = WebhookReceiver.start(0);
        envelope = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                Files.readString(LocalStack.ROOT.resolve("infra/events/webhook-delivery.schema.json")));
    }

    @AfterAll
    static void stopReceiver() throws Exception {
        receiver.close();
    }

    static String newGroup(ControlPlane plane) {
        String group = "wh-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, Map.of(), Instant.now(), Instant.now()));
        Instant now = Instant.now();
        plane.agentStore().put(new Agent(group + "-a1", group, AgentStatus.ALIVE, true,
                ResourceSlots.parse("a", Map.of("cuda.device", 8, "cpu", 64, "mem", "256g")), ResourceSlots.EMPTY,
                "x86_64", "test", Map.of(), now, now));
        return group;
    }

    /** Creates a subscription for {@code endpoint} of the receiver and tells the receiver its secret. */
    static JsonNode subscribe(ApiClient api, String token, String endpoint, String extraJson) {
        ApiClient.Reply created = api.post("/webhooks", token, "{\"url\":\"" + receiver.url(endpoint) + "\"" + extraJson + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String secret = created.json().path("secret").asText();
        assertThat(secret).startsWith("whsec_");
        receiver.configure(endpoint, List.of(secret), 204);
        return created.json();
    }

    static String createSession(ApiClient api, String token, String group) {
        ApiClient.Reply r = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    static void awaitStatus(ControlPlane plane, String id, SessionStatus wanted) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (plane.sessionStore().find(id).orElseThrow().status() != wanted && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(plane.sessionStore().find(id).orElseThrow().status()).isEqualTo(wanted);
    }

    static void transition(ControlPlane plane, String id, SessionStatus to) {
        assertThat(plane.sessions().transition(id, to, "reported by the agent", Map.of()))
                .isInstanceOf(SessionService.TransitionOutcome.Applied.class);
    }

    @Test
    void aSessionsWholeLifeArrivesVerifiedCompleteAndOrderedBySequence() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-life");
        String group = newGroup(plane);
        subscribe(api, token, "life", ",\"event_types\":[\"session.status_changed\"]");

        String id = createSession(api, token, group);
        awaitStatus(plane, id, SessionStatus.SCHEDULED);
        transition(plane, id, SessionStatus.PULLING);
        transition(plane, id, SessionStatus.PREPARING);
        transition(plane, id, SessionStatus.RUNNING);
        assertThat(api.call("DELETE", "/sessions/" + id, token, null, Map.of()).status()).isEqualTo(200);
        transition(plane, id, SessionStatus.TERMINATED);
        List<String> life = List.of("PENDING", "SCHEDULED", "PULLING", "PREPARING", "RUNNING", "TERMINATING", "TERMINATED");

        List<JsonNode> got = receiver.await("life", d -> d.size() >= life.size(), Duration.ofSeconds(20));
        Thread.sleep(500);
        got = receiver.deliveries("life");
        assertThat(got).hasSize(life.size());
        for (JsonNode d : got) {
            assertThat(d.path("verified").asBoolean()).as("verified by standardwebhooks: " + d).isTrue();
            assertThat(d.path("webhook_id").asText()).isEqualTo(d.path("payload").path("id").asText());
            assertThat(envelope.validate(d.path("payload"))).as(d.path("payload").toString()).isEmpty();
            assertThat(d.path("payload").path("type").asText()).isEqualTo("session.status_changed");
            assertThat(d.path("payload").path("data").path("session_id").asText()).isEqualTo(id);
        }
        List<JsonNode> bySequence = got.stream().map(d -> d.path("payload").path("data"))
                .sorted(Comparator.comparingLong(n -> n.path("sequence").asLong())).toList();
        assertThat(bySequence.stream().map(n -> n.path("sequence").asLong()).toList()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(bySequence.stream().map(n -> n.path("status").asText()).toList()).isEqualTo(life);
        assertThat(got.stream().map(d -> d.path("webhook_id").asText()).distinct()).hasSize(life.size());
    }
}
