package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Retry rules end to end through the emulator: the agent API's end reports and the lost-agent sweep (as the deployed
 * functions run them), the scheduler placing a re-queued session again on the event of its re-queue, the attempts
 * history in {@code GET /sessions/{id}}, and the bus events of a re-queue in their schemas (and a webhook's).
 */
class RetryIT {
    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;

    RetryIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
    }

    private String newGroup() {
        String group = "rty-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        return group;
    }

    /** An agent id shaped like an EC2 instance id, as a fleet agent's is. */
    private static String instanceId() {
        return "i-" + UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    }

    private String create(String user, String group, String retry) {
        ApiClient.Reply r = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"startup_command\":\"python train.py\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}"
                + (retry == null ? "" : ",\"retry\":" + retry) + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    private JsonNode waitFor(String id, String token, String wanted) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        JsonNode s = null;
        while (Instant.now().isBefore(deadline)) {
            s = api.get("/sessions/" + id, token).json();
            if (s.path("status").asText().equals(wanted)) {
                return s;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("session " + id + " did not become " + wanted + " within 20 s: " + s);
    }

    private void heartbeat(String agentId, String group, String gpus) {
        ApiClient.Reply r = api.post("/agent/heartbeat", local.agentToken(agentId), AgentApiIT.heartbeat(group, gpus, ""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private void report(String agentId, String id, String body) {
        ApiClient.Reply r = api.post("/agent/sessions/" + id + "/status", local.agentToken(agentId), body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aRetryableExitCodeRequeuesTheSessionWhichRunsAgainOnAnotherAgentToSuccessWithTwoAttempts() throws Exception {
        String group = newGroup();
        String a = instanceId();
        String b = instanceId();
        heartbeat(a, group, "1");
        heartbeat(b, group, "1");
        String user = local.token("retry-it-" + UUID.randomUUID().toString().substring(0, 6));
        try (EventCapture events = EventCapture.of(local)) {
            events.watch(group);
            String id = create(user, group, "{\"attempts\":3,\"rules\":[{\"on\":\"exit-code\",\"codes\":\"137\",\"action\":\"exit\"},"
                    + "{\"on\":\"exit-code\",\"codes\":\"1-5,143\",\"action\":\"retry\"}]}");
            String first = waitFor(id, user, "SCHEDULED").path("agent_id").asText();
            String other = first.equals(a) ? b : a;
            // The first agent takes nothing new: the second attempt can only go to the other one.
            plane.agentWork().setSchedulable(new Principal("root", "root", Set.of("admin")), first, RequestFields.of(Map.of("schedulable", false)));
            report(first, id, "{\"status\":\"PREPARING\"}");
            report(first, id, "{\"status\":\"RUNNING\",\"container_id\":\"4242\"}");
            report(first, id, "{\"status\":\"TERMINATED\",\"exit_code\":3}");
            assertThat(plane.agentStore().find(first).orElseThrow().occupiedSlots().isEmpty()).as("its slots went back with the re-queue").isTrue();

            heartbeat(other, group, "1");
            JsonNode again = waitFor(id, user, "SCHEDULED");
            assertThat(again.path("agent_id").asText()).isEqualTo(other);
            assertThat(again.path("attempt").asInt()).isEqualTo(2);
            assertThat(again.path("status_history").findValuesAsText("status"))
                    .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "PENDING", "SCHEDULED");
            JsonNode one = again.path("attempts").get(0);
            assertThat(one.path("number").asInt()).isEqualTo(1);
            assertThat(one.path("agent_id").asText()).isEqualTo(first);
            assertThat(one.path("instance_id").asText()).isEqualTo(first);
            assertThat(one.path("status").asText()).isEqualTo("TERMINATED");
            assertThat(one.path("status_info").asText()).isEqualTo("task-failed");
            assertThat(one.path("exit_code").asInt()).isEqualTo(3);
            assertThat(one.path("retried").asBoolean()).isTrue();
            assertThat(one.path("reason").asText()).isEqualTo("rule 2 (retry on exit-code 1-5,143) matched: re-queued as attempt 2 of 3");
            assertThat(Instant.parse(one.path("started_at").asText())).isBefore(Instant.parse(one.path("ended_at").asText()));

            report(other, id, "{\"status\":\"PREPARING\"}");
            report(other, id, "{\"status\":\"RUNNING\"}");
            report(other, id, "{\"status\":\"TERMINATED\",\"exit_code\":0}");
            JsonNode done = api.get("/sessions/" + id, user).json();
            assertThat(done.path("status").asText()).isEqualTo("TERMINATED");
            assertThat(done.path("result").asText()).isEqualTo("SUCCESS");
            assertThat(done.path("attempts")).hasSize(2);
            assertThat(done.path("attempts").get(1).path("agent_id").asText()).isEqualTo(other);
            assertThat(done.path("attempts").get(1).path("reason").asText()).isEqualTo("succeeded");
            assertThat(done.path("retry").path("attempts").asInt()).isEqualTo(3);
            assertThat(plane.agentStore().find(other).orElseThrow().occupiedSlots().isEmpty()).isTrue();

            // The re-queue is an event like any other: PENDING after RUNNING, attempt 2, in the bus and webhook schemas.
            List<JsonNode> received = events.await(9);
            assertThat(received).extracting(e -> e.path("detail").path("status").asText())
                    .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
            JsonNode requeue = received.get(4).path("detail");
            assertThat(requeue.path("previous_status").asText()).isEqualTo("RUNNING");
            assertThat(requeue.path("status_info").asText()).isEqualTo("retrying");
            assertThat(requeue.path("attempt").asInt()).isEqualTo(2);
            assertThat(received.get(0).path("detail").has("attempt")).as("a first attempt's events are as before").isFalse();
            events.assertInSchemas(received);
        }
    }

    /**
     * An agent warned of a spot interruption that goes silent before reporting its sessions' ends (the instance was
     * reclaimed first): the sweep ends them {@code spot-interrupted}, not {@code agent-lost}, so a retry rule on
     * spot-interrupted re-queues its session, and the others end as interrupted.
     */
    @Test
    void theSweepEndsTheSessionsOfAWarnedAgentThatWentSilentAsSpotInterruptedSoSpotRetryRulesApply() throws Exception {
        String group = newGroup();
        String agent = instanceId();
        heartbeat(agent, group, "3");
        String user = local.token("retry-it-spot");
        String retried = create(user, group, "{\"attempts\":2,\"rules\":[{\"on\":\"spot-interrupted\",\"action\":\"retry\"}]}");
        String plain = create(user, group, null);
        for (String id : List.of(retried, plain)) {
            waitFor(id, user, "SCHEDULED");
            report(agent, id, "{\"status\":\"PREPARING\"}");
            report(agent, id, "{\"status\":\"RUNNING\"}");
        }
        Instant warned = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        assertThat(plane.agentStore().interrupt(agent, dev.sluice.core.agent.Interruption.warning(warned))).isPresent();

        local.agentSilentPastTheTimeout(agent);
        new AgentApiIT().sweep();

        JsonNode r = api.get("/sessions/" + retried, user).json();
        assertThat(r.path("status").asText()).as(r.toString()).isEqualTo("PENDING");
        assertThat(r.path("attempts")).singleElement().satisfies(a -> {
            assertThat(a.path("status_info").asText()).isEqualTo("spot-interrupted");
            assertThat(a.path("retried").asBoolean()).isTrue();
        });
        JsonNode p = api.get("/sessions/" + plain, user).json();
        assertThat(p.path("status").asText()).isEqualTo("ERROR");
        assertThat(p.path("status_info").asText()).isEqualTo("spot-interrupted");
        assertThat(p.path("status_data").path("deadline").asText()).isEqualTo(warned.plusSeconds(120).toString());
        assertThat(p.path("status_data").path("interruption_source").asText()).isEqualTo("spot-interruption-warning");
    }

    @Test
    void theLostAgentSweepRequeuesWhatMayRetryEndsTheRestAsTodayAndAnExhaustedRetryEnds() throws Exception {
        String group = newGroup();
        String agent = instanceId();
        heartbeat(agent, group, "3");
        String user = local.token("retry-it-lost");
        String retried = create(user, group, "{\"attempts\":2,\"rules\":[{\"on\":\"agent-lost\",\"action\":\"retry\"}]}");
        String plain = create(user, group, null);
        String exhausted = create(user, group, "{\"attempts\":1,\"rules\":[{\"on\":\"agent-lost\",\"action\":\"retry\"}]}");
        for (String id : List.of(retried, plain, exhausted)) {
            waitFor(id, user, "SCHEDULED");
            report(agent, id, "{\"status\":\"PREPARING\"}");
            report(agent, id, "{\"status\":\"RUNNING\"}");
        }

        local.agentSilentPastTheTimeout(agent);
        new AgentApiIT().sweep();

        assertThat(plane.agentStore().find(agent).orElseThrow().occupiedSlots().isEmpty()).as("every slot given back").isTrue();
        JsonNode r = api.get("/sessions/" + retried, user).json();
        assertThat(r.path("status").asText()).as("no live agent: it waits").isEqualTo("PENDING");
        assertThat(r.path("agent_id").isNull()).isTrue();
        assertThat(r.path("status_history").findValuesAsText("status")).containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "PENDING");
        assertThat(r.path("attempts")).singleElement().satisfies(a -> {
            assertThat(a.path("status").asText()).isEqualTo("ERROR");
            assertThat(a.path("status_info").asText()).isEqualTo("agent-lost");
            assertThat(a.path("agent_id").asText()).isEqualTo(agent);
            assertThat(a.path("retried").asBoolean()).isTrue();
        });

        JsonNode p = api.get("/sessions/" + plain, user).json();
        assertThat(p.path("status").asText()).isEqualTo("ERROR");
        assertThat(p.path("status_info").asText()).isEqualTo("agent-lost");
        assertThat(p.path("attempts")).isEmpty();
        assertThat(p.path("retry").isNull()).isTrue();

        JsonNode e = api.get("/sessions/" + exhausted, user).json();
        assertThat(e.path("status").asText()).isEqualTo("ERROR");
        assertThat(e.path("status_info").asText()).isEqualTo("agent-lost");
        assertThat(e.path("attempts")).singleElement().satisfies(a -> {
            assertThat(a.path("retried").asBoolean()).isFalse();
            assertThat(a.path("reason").asText()).isEqualTo("rule 1 (retry on agent-lost) matched, but all 1 attempts are used: the end stands");
        });

        // A new agent in the group takes the re-queued session: its second attempt.
        String next = instanceId();
        heartbeat(next, group, "1");
        JsonNode placed = waitFor(retried, user, "SCHEDULED");
        assertThat(placed.path("agent_id").asText()).isEqualTo(next);
        assertThat(placed.path("attempt").asInt()).isEqualTo(2);
    }

    @Test
    void badRetryRulesAreRefusedNamingTheFieldAndNothingIsCreated() {
        String group = newGroup();
        String user = local.token("retry-it-bad");
        int before = api.get("/sessions?resource_group=" + group, user).json().path("items").size();
        ApiClient.Reply r = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"startup_command\":\"x\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"retry\":{\"attempts\":3,\"rules\":["
                + "{\"on\":\"agent-lost\",\"action\":\"retry\"},{\"on\":\"exit-code\",\"codes\":\"5-1\",\"action\":\"retry\"}]}}");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.errorField()).isEqualTo("retry.rules[1].codes");
        assertThat(r.json().path("error").path("message").asText()).isEqualTo("retry.rules[1].codes has the range '5-1', which ends before it starts.");
        ApiClient.Reply tooMany = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"retry\":{\"attempts\":11,\"rules\":[{\"on\":\"agent-lost\",\"action\":\"retry\"}]}}");
        assertThat(tooMany.status()).isEqualTo(422);
        assertThat(tooMany.errorField()).isEqualTo("retry.attempts");
        assertThat(api.get("/sessions?resource_group=" + group, user).json().path("items").size()).isEqualTo(before);
    }

    @Test
    void theStoreKeepsRulesAndAttemptsAndQueuesARequeuedSessionFirstAmongItsPriority() {
        String group = newGroup();
        var store = plane.sessionStore();
        Instant t0 = Instant.now().minusSeconds(600);
        java.util.function.BiFunction<Integer, Integer, dev.sluice.core.session.SessionSpec> spec = (priority, attempts) ->
                dev.sluice.core.session.SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12", "priority", priority,
                        "resource_slots", Map.of("cpu", 1, "mem", "1g"), "retry", Map.of("attempts", attempts, "rules",
                                List.of(Map.of("on", "exit-code", "codes", "1-5,143", "action", "retry"))))), t0);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            var s = dev.sluice.core.session.Session.enqueue(UUID.randomUUID().toString(), "store-owner", spec.apply(10, 2), group,
                    t0.plusSeconds(i));
            store.create(s, java.util.Optional.empty());
            ids.add(s.id());
        }
        var high = dev.sluice.core.session.Session.enqueue(UUID.randomUUID().toString(), "store-owner", spec.apply(20, 2), group, t0.plusSeconds(5));
        store.create(high, java.util.Optional.empty());
        // The newest of priority 10, re-queued after its first attempt (as an agent's end report leaves it).
        var newest = dev.sluice.core.session.Session.enqueue(UUID.randomUUID().toString(), "store-owner", spec.apply(10, 2), group,
                t0.plusSeconds(9));
        var running = dev.sluice.core.session.SessionChange.place(newest, List.of(new dev.sluice.core.session.Kernel("i-0abc",
                        dev.sluice.core.slots.ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g")).at("s")))),
                "scheduled", dev.sluice.core.session.StatusData.NONE, t0.plusSeconds(10)).next()
                .transitionTo(dev.sluice.core.session.SessionStatus.PREPARING, "preparing", dev.sluice.core.session.StatusData.NONE, t0.plusSeconds(11))
                .transitionTo(dev.sluice.core.session.SessionStatus.RUNNING, "running", dev.sluice.core.session.StatusData.NONE, t0.plusSeconds(12));
        var ended = dev.sluice.core.session.SessionChange.steps(running, List.of(dev.sluice.core.session.SessionRetry.afterEnd(running,
                running.transitionTo(dev.sluice.core.session.SessionStatus.TERMINATED, "task-failed",
                        new dev.sluice.core.session.StatusData(dev.sluice.core.json.JsonObject.of("exit_code", 3)), t0.plusSeconds(20)),
                t0.plusSeconds(20))), false).next();
        assertThat(ended.status()).isEqualTo(dev.sluice.core.session.SessionStatus.PENDING);
        store.create(ended, java.util.Optional.empty());

        var read = store.find(ended.id()).orElseThrow();
        assertThat(read.attempts()).isEqualTo(ended.attempts());
        assertThat(read.spec().retry()).isEqualTo(ended.spec().retry());
        assertThat(read.kernels()).isEmpty();
        assertThat(read.attempt()).isEqualTo(2);
        assertThat(store.pendingIn(group)).extracting(dev.sluice.core.session.Session::id)
                .containsExactly(high.id(), ended.id(), ids.get(0), ids.get(1), ids.get(2));
        assertThat(store.sessionsAhead(read)).as("only the higher priority is ahead of it").isEqualTo(1);
        assertThat(store.sessionsAhead(store.find(ids.get(0)).orElseThrow())).isEqualTo(2);
    }

    /** The bus events of some sessions, through a rule of their own to a queue, as EventsIT reads them. */
    static final class EventCapture implements AutoCloseable {
        private final SqsClient sqs = SqsClient.builder().build();
        private final EventBridgeClient bridge = EventBridgeClient.builder().build();
        private final String bus;
        private final String queueUrl;
        private final String queueArn;
        private final String rule = "retry-it-" + UUID.randomUUID().toString().substring(0, 8);

        private EventCapture(LocalStack local) {
            bus = local.stack.outputs().get("EventBusName");
            queueUrl = sqs.createQueue(b -> b.queueName(rule)).queueUrl();
            queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
        }

        static EventCapture of(LocalStack local) {
            return new EventCapture(local);
        }

        /** Captures the session events of a resource group from now on. */
        void watch(String group) {
            bridge.putRule(b -> b.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of("source", List.of("sluice.sessions"),
                    "detail", Map.of("resource_group", List.of(group))))));
            bridge.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));
        }

        /** The events in sequence order, once at least {@code atLeast} arrived (20 s at most). */
        List<JsonNode> await(int atLeast) throws Exception {
            List<JsonNode> received = new ArrayList<>();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (received.size() < atLeast && Instant.now().isBefore(deadline)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            received.sort((x, y) -> Long.compare(x.path("detail").path("sequence").asLong(), y.path("detail").path("sequence").asLong()));
            return received;
        }

        /** Each event in the bus schema, and its detail as a webhook delivery's data in the delivery schema. */
        void assertInSchemas(List<JsonNode> received) throws Exception {
            JsonSchema bus = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/session-status-changed.schema.json")));
            JsonSchema delivery = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/webhook-delivery.schema.json")));
            for (JsonNode e : received) {
                assertThat(bus.validate(e)).as(e.toString()).isEmpty();
                dev.sluice.core.webhook.WebhookMessage m = new dev.sluice.core.webhook.WebhookMessage("sub-1", "msg_1", "session.status_changed",
                        Instant.now(), Json.object(Json.MAPPER.convertValue(e.path("detail"), Map.class)), 1, Instant.now());
                JsonNode envelope = Json.MAPPER.valueToTree(Json.plain(m.envelope()));
                assertThat(delivery.validate(envelope)).as(envelope.toString()).isEmpty();
            }
        }

        @Override
        public void close() {
            try {
                bridge.removeTargets(b -> b.rule(rule).eventBusName(bus).ids("queue"));
                bridge.deleteRule(b -> b.name(rule).eventBusName(bus));
                sqs.deleteQueue(b -> b.queueUrl(queueUrl));
            } finally {
                sqs.close();
                bridge.close();
            }
        }
    }
}
