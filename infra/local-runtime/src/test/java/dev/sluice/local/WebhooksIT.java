package dev.sluice.local;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

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

    /** A group without agents: its sessions stay PENDING until destroyed (CANCELLED). */
    static String newIdleGroup(ControlPlane plane) {
        String group = "wh-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        return group;
    }

    static String newGroup(ControlPlane plane) {
        String group = newIdleGroup(plane);
        Instant now = Instant.now();
        plane.agentStore().put(new Agent(group + "-a1", group, AgentStatus.ALIVE, true,
                ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 8, "cpu", 64, "mem", "256g")).at("a")), ResourceSlots.EMPTY,
                "x86_64", "test", Map.of(), now, now));
        return group;
    }

    /** Creates a subscription for {@code endpoint} of the receiver and tells the receiver its secret. */
    static JsonNode subscribe(ApiClient api, String token, String endpoint, String extraJson) {
        return subscribe(receiver, api, token, endpoint, extraJson);
    }

    static JsonNode subscribe(WebhookReceiver receiver, ApiClient api, String token, String endpoint, String extraJson) {
        ApiClient.Reply created = api.post("/webhooks", token, "{\"url\":\"" + receiver.url(endpoint) + "\"" + extraJson + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String secret = created.json().path("secret").asText();
        assertThat(secret).startsWith("whsec_");
        receiver.configure(endpoint, List.of(secret), 204);
        return created.json();
    }

    /**
     * The deliveries to {@code endpoint} once the subscription's queue has carried everything sent before now: a
     * {@code webhook.test} message is queued behind them and waited for (failing the test when it does not come), and
     * the deliveries are returned without it. What has not arrived by then was never sent, instead of "not yet".
     */
    static List<JsonNode> deliveriesUpToAMarker(WebhookReceiver receiver, ApiClient api, String token, String subscriptionId,
                                                String endpoint) throws InterruptedException {
        ApiClient.Reply marker = api.post("/webhooks/" + subscriptionId + "/test", token, null);
        assertThat(marker.status()).as(marker.body()).isEqualTo(202);
        String markerId = marker.json().path("webhook_id").asText();
        List<JsonNode> got = receiver.await(endpoint, d -> d.stream().anyMatch(x -> x.path("webhook_id").asText().equals(markerId)),
                Duration.ofSeconds(20));
        return got.stream().filter(x -> !x.path("webhook_id").asText().equals(markerId)).toList();
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
        assertThat(plane.sessions().transition(id, to, "reported by the agent", StatusData.NONE))
                .isInstanceOf(SessionService.TransitionOutcome.Applied.class);
    }

    @Test
    void aSessionsWholeLifeArrivesVerifiedCompleteAndOrderedBySequence() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-life");
        String group = newGroup(plane);
        String lifeId = subscribe(api, token, "life", ",\"event_types\":[\"session.status_changed\"]").path("id").asText();

        String id = createSession(api, token, group);
        awaitStatus(plane, id, SessionStatus.SCHEDULED);
        transition(plane, id, SessionStatus.PULLING);
        transition(plane, id, SessionStatus.PREPARING);
        transition(plane, id, SessionStatus.RUNNING);
        assertThat(api.call("DELETE", "/sessions/" + id, token, null, Map.of()).status()).isEqualTo(200);
        transition(plane, id, SessionStatus.TERMINATED);
        List<String> life = List.of("PENDING", "SCHEDULED", "PULLING", "PREPARING", "RUNNING", "TERMINATING", "TERMINATED");

        List<JsonNode> got = receiver.await("life", d -> d.size() >= life.size(), Duration.ofSeconds(20));
        got = deliveriesUpToAMarker(receiver, api, token, lifeId, "life");
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

    /**
     * The real producer of task events: a folder with one file, cloned through the API (the clone runs in Step
     * Functions). Waits until the task is done and answers it as GET /tasks/{id} shows it.
     */
    static JsonNode cloneAFolder(ApiClient api, String token) throws InterruptedException {
        String name = "wh-src-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply created = api.post("/folders", token, "{\"name\":\"" + name + "\",\"cloneable\":true}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        ApiClient.Reply up = api.post("/folders/" + name + "/uploads", token, "{\"path\":\"data.txt\",\"size\":5}");
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        try {
            var put = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(up.json().path("url").asText())).PUT(java.net.http.HttpRequest.BodyPublishers.ofString("hello")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        } catch (java.io.IOException e) {
            throw new AssertionError("the presigned upload failed", e);
        }
        ApiClient.Reply clone = api.post("/folders/" + name + "/clone", token, "{\"target_name\":\"" + name + "-copy\"}");
        assertThat(clone.status()).as(clone.body()).isEqualTo(202);
        String taskId = clone.json().path("task").path("id").asText();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            ApiClient.Reply task = api.get("/tasks/" + taskId, token);
            assertThat(task.status()).as(task.body()).isEqualTo(200);
            if (task.json().path("status").asText().equals("done")) {
                return task.json();
            }
            assertThat(task.json().path("status").asText()).as(task.body()).isEqualTo("started");
            assertThat(Instant.now()).as("the clone did not finish in 30 s: " + task.body()).isBefore(deadline);
            Thread.sleep(100);
        }
    }

    static void destroy(ApiClient api, String token, String id) {
        ApiClient.Reply r = api.call("DELETE", "/sessions/" + id, token, null, Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aFilterExcludesExactlyWhatItShouldAndOnlyTheOwnersEventsArrive() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String alice = local.token("wh-filter-alice");
        String bob = local.token("wh-filter-bob");
        String wanted = newIdleGroup(plane);
        String other = newIdleGroup(plane);
        String filteredId = subscribe(api, alice, "filtered", ",\"event_types\":[\"session.status_changed\"],\"filter\":{\"statuses\":[\"CANCELLED\"],"
                + "\"resource_groups\":[\"" + wanted + "\"]}").path("id").asText();
        String everythingId = subscribe(api, alice, "everything", "").path("id").asText();

        String hit = createSession(api, alice, wanted);          // PENDING: wrong status; CANCELLED: delivered
        destroy(api, alice, hit);
        String elsewhere = createSession(api, alice, other);     // right status, wrong group
        destroy(api, alice, elsewhere);
        String bobs = createSession(api, bob, wanted);           // right status and group, another owner
        destroy(api, bob, bobs);
        int taskUpdates = cloneAFolder(api, alice).path("sequence").asInt(); // not session events

        int expected = 4 + taskUpdates;
        List<JsonNode> all = receiver.await("everything", d -> d.size() >= expected, Duration.ofSeconds(20));
        assertThat(all).as("the unfiltered control subscription sees alice's 4 session events and her task's updates").hasSize(expected);
        List<JsonNode> filtered = deliveriesUpToAMarker(receiver, api, alice, filteredId, "filtered");
        assertThat(filtered).hasSize(1);
        JsonNode data = filtered.get(0).path("payload").path("data");
        assertThat(data.path("session_id").asText()).isEqualTo(hit);
        assertThat(data.path("status").asText()).isEqualTo("CANCELLED");
        assertThat(filtered.get(0).path("verified").asBoolean()).isTrue();
        assertThat(deliveriesUpToAMarker(receiver, api, alice, everythingId, "everything")).hasSize(expected)
                .noneMatch(d -> d.path("payload").path("data").path("session_id").asText().equals(bobs))
                .allMatch(d -> d.path("verified").asBoolean());
    }

    @Test
    void aRealClonesTaskUpdatesArriveSignedAsTaskUpdatedEveryOneInOrder() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-tasks");
        String tasksId = subscribe(api, token, "tasks", ",\"event_types\":[\"task.updated\"]").path("id").asText();
        cloneAFolder(api, local.token("wh-tasks-other")); // another owner's task: never delivered here
        JsonNode task = cloneAFolder(api, token);
        int updates = task.path("sequence").asInt();
        assertThat(updates).as("a clone publishes several updates").isGreaterThanOrEqualTo(2);
        receiver.await("tasks", d -> d.size() >= updates, Duration.ofSeconds(20));
        List<JsonNode> got = deliveriesUpToAMarker(receiver, api, token, tasksId, "tasks");
        assertThat(got).hasSize(updates).allMatch(d -> d.path("verified").asBoolean());
        JsonSchema taskEvent = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                Files.readString(LocalStack.ROOT.resolve(dev.sluice.core.event.BusEvent.TASK_UPDATED.schemaPath())));
        for (JsonNode d : got) {
            assertThat(envelope.validate(d.path("payload"))).as(d.toString()).isEmpty();
            assertThat(d.path("payload").path("type").asText()).isEqualTo("task.updated");
            JsonNode data = d.path("payload").path("data");
            assertThat(data.path("id").asText()).isEqualTo(task.path("id").asText());
            var asPublished = dev.sluice.adapters.json.Json.MAPPER.createObjectNode()
                    .put("source", "sluice.tasks").put("detail-type", "Task Updated").set("detail", data);
            assertThat(taskEvent.validate(asPublished)).as("the delivered data is the published detail: " + data).isEmpty();
        }
        assertThat(got.stream().map(d -> d.path("payload").path("data").path("sequence").asInt()).sorted().toList())
                .as("every update of the task, once").isEqualTo(java.util.stream.IntStream.rangeClosed(1, updates).boxed().toList());
        assertThat(got.stream().filter(d -> d.path("payload").path("data").path("sequence").asInt() == updates)
                .map(d -> d.path("payload").path("data").path("status").asText())).containsExactly("done");
    }

    @Test
    void aRotatedSecretSignsWithBothUntilTheGracePeriodEnds() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-rotate");
        JsonNode sub = subscribe(api, token, "rotate", "");
        String id = sub.path("id").asText();
        String first = sub.path("secret").asText();
        assertThat(api.get("/webhooks/" + id, token).body()).as("the secret is shown only at creation").doesNotContain(first)
                .doesNotContain("whsec_");

        ApiClient.Reply rotated = api.post("/webhooks/" + id + "/rotate-secret", token, "{\"grace_period\":\"1h\"}");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        String second = rotated.json().path("secret").asText();
        assertThat(second).startsWith("whsec_").isNotEqualTo(first);
        receiver.configure("rotate", List.of(first, second), 204);
        assertThat(api.post("/webhooks/" + id + "/test", token, null).status()).isEqualTo(202);
        JsonNode during = receiver.await("rotate", d -> d.size() >= 1, Duration.ofSeconds(15)).get(0);
        assertThat(during.path("signatures").asInt()).isEqualTo(2);
        assertThat(during.path("verified_with")).extracting(JsonNode::asInt).containsExactly(0, 1);
        assertThat(envelope.validate(during.path("payload"))).isEmpty();

        String third = api.post("/webhooks/" + id + "/rotate-secret", token, "{\"grace_period\":\"0\"}").json().path("secret").asText();
        receiver.configure("rotate", List.of(first, second, third), 204);
        assertThat(api.post("/webhooks/" + id + "/test", token, null).status()).isEqualTo(202);
        JsonNode after = receiver.await("rotate", d -> d.size() >= 2, Duration.ofSeconds(15)).get(1);
        assertThat(after.path("signatures").asInt()).as("no grace: only the newest secret signs").isEqualTo(1);
        assertThat(after.path("verified_with")).extracting(JsonNode::asInt).containsExactly(2);
    }

    @Test
    void aSessionsCallbackUrlGetsItsChangesSignedWithTheOwnersCallbackSecret() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-callback");
        ApiClient.Reply secret = api.post("/webhooks/callback-secret", token, null);
        assertThat(secret.status()).as(secret.body()).isEqualTo(200);
        receiver.configure("callback", List.of(secret.json().path("secret").asText()), 200);
        String group = newIdleGroup(plane);
        ApiClient.Reply created = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"callback_url\":\"" + receiver.url("callback") + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asText();
        destroy(api, token, id);
        List<JsonNode> got = receiver.await("callback", d -> d.size() >= 2, Duration.ofSeconds(15));
        assertThat(got).hasSize(2).allMatch(d -> d.path("verified").asBoolean());
        assertThat(got.stream().map(d -> d.path("payload").path("data").path("status").asText()).sorted().toList())
                .containsExactly("CANCELLED", "PENDING");

        // The session's callbacks have a delivery log like a subscription's, under cb_<session id>, for its owner only.
        String callbacks = "/webhooks/cb_" + id;
        Instant deadline = Instant.now().plusSeconds(10);
        JsonNode log = api.get(callbacks + "/deliveries", token).json();
        while (log.path("items").size() < 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            log = api.get(callbacks + "/deliveries", token).json();
        }
        assertThat(log.path("items")).hasSize(2).allMatch(a -> a.path("status_code").asInt() == 200);
        assertThat(api.get(callbacks + "/dead-letters", token).json().path("items")).isEmpty();
        String someone = LocalStack.get().token("wh-callback-stranger");
        assertThat(api.get(callbacks + "/deliveries", someone).status()).isEqualTo(404);
        assertThat(api.post(callbacks + "/dead-letters/replay", someone, null).status()).isEqualTo(404);
        assertThat(api.get("/webhooks/cb_no-such-session/deliveries", token).status()).isEqualTo(404);
        assertThat(api.get("/webhooks/cb_not.a.session/deliveries", token).status()).as("not a session id").isEqualTo(404);
        assertThat(api.get(callbacks, token).status()).as("it is not a subscription to read or change").isEqualTo(404);
        String webhookId = log.path("items").get(0).path("webhook_id").asText();
        ApiClient.Reply replayed = api.post(callbacks + "/deliveries/" + webhookId + "/replay", token, null);
        assertThat(replayed.status()).as(replayed.body()).isEqualTo(202);
        List<JsonNode> again = receiver.await("callback", d -> d.size() >= 3, Duration.ofSeconds(15));
        assertThat(again.get(2).path("webhook_id").asText()).as("a replay keeps its webhook-id").isEqualTo(webhookId);
        assertThat(again.get(2).path("verified").asBoolean()).isTrue();
    }

    @Test
    void usersSeeAndManageOnlyTheirOwnSubscriptionsAndADeletedOneStopsReceiving() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String owner = local.token("wh-own-a");
        String stranger = local.token("wh-own-b");
        String id = subscribe(api, owner, "owned", ",\"event_types\":[\"task.updated\"]").path("id").asText();
        for (String[] call : new String[][]{{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/rotate-secret"},
                {"POST", "/test"}, {"GET", "/deliveries"}, {"GET", "/dead-letters"}, {"POST", "/dead-letters/replay"},
                {"POST", "/deliveries/msg_x/replay"}}) {
            ApiClient.Reply r = api.call(call[0], "/webhooks/" + id + call[1], stranger, call[0].equals("PATCH") ? "{}" : null, Map.of());
            assertThat(r.status()).as(call[0] + call[1] + " " + r.body()).isEqualTo(404);
        }
        assertThat(api.get("/webhooks", stranger).json().path("items")).isEmpty();
        assertThat(api.get("/webhooks", owner).json().path("items")).extracting(n -> n.path("id").asText()).containsExactly(id);

        var bus = software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder().httpClient(AwsClients.httpClient()).build();
        String busName = local.stack.outputs().get("EventBusName");
        assertThat(bus.listRules(r -> r.eventBusName(busName).namePrefix("sluice-webhook-" + id)).rules()).hasSize(1);
        // A second subscription to the same events, kept: it is sent what the deleted one would have been.
        subscribe(api, owner, "owned-witness", ",\"event_types\":[\"task.updated\"]");
        assertThat(api.call("DELETE", "/webhooks/" + id, owner, null, Map.of()).status()).isEqualTo(200);
        assertThat(bus.listRules(r -> r.eventBusName(busName).namePrefix("sluice-webhook-" + id)).rules()).isEmpty();
        assertThat(api.get("/webhooks/" + id, owner).status()).isEqualTo(404);
        JsonNode task = cloneAFolder(api, owner);
        int updates = task.path("sequence").asInt();
        receiver.await("owned-witness", d -> d.stream().filter(x -> x.path("payload").path("data").path("id").asText()
                .equals(task.path("id").asText())).count() >= updates, Duration.ofSeconds(20));
        assertThat(receiver.deliveries("owned")).as("nothing arrives after the delete").isEmpty();
    }

    @Test
    void anUpdatedFilterReplacesTheRulesPattern() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-update");
        String id = subscribe(api, token, "updated", ",\"event_types\":[\"task.updated\"]").path("id").asText();
        String group = newIdleGroup(plane);
        ApiClient.Reply patched = api.call("PATCH", "/webhooks/" + id, token,
                "{\"event_types\":[\"session.status_changed\"],\"filter\":{\"statuses\":[\"CANCELLED\"]},\"description\":\"ends\"}", Map.of());
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(patched.json().path("filter").path("statuses")).extracting(JsonNode::asText).containsExactly("CANCELLED");
        cloneAFolder(api, token);
        String s = createSession(api, token, group);
        destroy(api, token, s);
        List<JsonNode> got = receiver.await("updated", d -> d.size() >= 1, Duration.ofSeconds(15));
        got = deliveriesUpToAMarker(receiver, api, token, id, "updated");
        assertThat(got).hasSize(1);
        assertThat(got.get(0).path("payload").path("data").path("status").asText()).isEqualTo("CANCELLED");
    }
}
