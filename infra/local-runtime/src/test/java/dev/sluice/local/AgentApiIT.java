package dev.sluice.local;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The agent API through the emulator's API Gateway: registration, assignments, reports, logs, drain, lost agents. */
class AgentApiIT {
    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;

    AgentApiIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
    }

    private String newGroup() {
        String group = "agt-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", java.util.List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        return group;
    }

    static String heartbeat(String group, String gpus, String running) {
        return "{\"resource_group\":\"" + group + "\",\"available_slots\":{\"cpu\":\"8\",\"mem\":\"32g\",\"cuda.device\":\""
                + gpus + "\"},\"architecture\":\"x86_64\",\"version\":\"0.1.0\",\"compute_plugins\":{\"cuda.driver\":\"535.104.05\"},"
                + "\"running\":[" + running + "]}";
    }

    private String waitForStatus(String id, String token, String wanted) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        String status = "";
        while (Instant.now().isBefore(deadline)) {
            status = api.get("/sessions/" + id, token).json().path("status").asText();
            if (status.equals(wanted)) {
                return status;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("session " + id + " did not become " + wanted + " within 15 s; it is " + status);
    }

    /** Runs the lost-agent sweep through the emulator's Lambda Invoke, as its schedule would. */
    @SuppressWarnings("unchecked")
    Map<String, Object> sweep() {
        try (software.amazon.awssdk.services.lambda.LambdaClient lambda = software.amazon.awssdk.services.lambda.LambdaClient.builder().build()) {
            var r = lambda.invoke(b -> b.functionName(local.functionNamed("AgentMonitor"))
                    .payload(software.amazon.awssdk.core.SdkBytes.fromUtf8String("{}")));
            String payload = r.payload().asUtf8String();
            assertThat(r.functionError()).as(payload).isNull();
            return dev.sluice.adapters.json.Json.readObjectUnchecked(payload);
        }
    }

    @Test
    void anAgentCannotJoinAGroupThatDoesNotExist() throws Exception {
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String nowhere = "no-such-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply refused = api.post("/agent/heartbeat", local.agentToken(agentId), heartbeat(nowhere, "2", ""));
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.errorField()).isEqualTo("resource_group");
        assertThat(refused.body()).contains(nowhere);
        assertThat(api.get("/agents/" + agentId, local.adminToken()).status()).as("not registered").isEqualTo(404);
        // Once an admin makes the group, the same heartbeat joins it.
        plane.groupStore().put(ResourceGroup.fromDefinition(nowhere, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        assertThat(api.post("/agent/heartbeat", local.agentToken(agentId), heartbeat(nowhere, "2", "")).status()).isEqualTo(200);
        assertThat(api.get("/agents/" + agentId, local.adminToken()).json().path("resource_group").asText()).isEqualTo(nowhere);
    }

    @Test
    void aHeartbeatRegistersTheAgentAndHandsOutItsSessionsUntilTheyEnd() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        ApiClient.Reply first = api.post("/agent/heartbeat", agentToken, heartbeat(group, "2", ""));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("agent").path("status").asText()).isEqualTo("ALIVE");
        assertThat(first.json().path("agent").path("free_slots").path("cuda.device").asText()).isEqualTo("2");
        assertThat(first.json().path("assignments")).isEmpty();
        assertThat(first.json().path("heartbeat_interval").asLong()).isEqualTo(1);

        String user = local.token("agent-api-user");
        String id = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"startup_command\":\"echo hi\",\"environment\":{\"A\":\"1\"},"
                + "\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1},\"batch_timeout\":\"10m\"}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");

        JsonNode reply = api.post("/agent/heartbeat", agentToken, heartbeat(group, "2", "")).json();
        assertThat(reply.path("agent").path("free_slots").path("cuda.device").asText())
                .as("capacity minus what the placement holds").isEqualTo("1");
        JsonNode a = reply.path("assignments").get(0);
        assertThat(a.path("session_id").asText()).isEqualTo(id);
        assertThat(a.path("kernel_id").asText()).isEqualTo(id + "-0");
        assertThat(a.path("image").asText()).isEqualTo("python:3.12");
        assertThat(a.path("startup_command").asText()).isEqualTo("echo hi");
        assertThat(a.path("environment").path("A").asText()).isEqualTo("1");
        assertThat(a.path("slots").path("cuda.device").asText()).isEqualTo("1");
        assertThat(a.path("cluster_role").asText()).isEqualTo("main");
        assertThat(a.path("batch_timeout").asLong()).isEqualTo(600);

        // Another agent cannot see or report this session.
        String other = local.agentToken("i-other-" + agentId);
        assertThat(api.post("/agent/sessions/" + id + "/status", other, "{\"status\":\"PREPARING\"}").status()).isEqualTo(404);
        // A user cannot use the agent API.
        assertThat(api.post("/agent/heartbeat", user, heartbeat(group, "2", "")).status()).isEqualTo(403);
        // An agent cannot report as another agent.
        assertThat(api.post("/agent/heartbeat", agentToken, "{\"agent_id\":\"i-someone-else\"," + heartbeat(group, "2", "").substring(1))
                .status()).isEqualTo(403);

        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"PREPARING\"}").status()).isEqualTo(200);
        ApiClient.Reply running = api.post("/agent/sessions/" + id + "/status", agentToken,
                "{\"status\":\"RUNNING\",\"container_id\":\"4242\",\"devices\":{\"cuda.device\":\"GPU-1\"}}");
        assertThat(running.status()).as(running.body()).isEqualTo(200);
        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"RUNNING\"}").status())
                .as("a retried report changes nothing").isEqualTo(200);
        ApiClient.Reply backwards = api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"PREPARING\"}");
        assertThat(backwards.status()).isEqualTo(409);
        assertThat(backwards.errorField()).isEqualTo("status");
        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"TERMINATED\"}").errorField())
                .isEqualTo("exit_code");

        assertThat(api.put("/agent/sessions/" + id + "/logs", agentToken, "{\"text\":\"line 1\\nline 2\\nline 3\\n\"}").status())
                .isEqualTo(200);
        JsonNode logs = api.get("/sessions/" + id + "/logs?lines=2", user).json();
        assertThat(logs.path("text").asText()).isEqualTo("line 2\nline 3\n");
        assertThat(api.get("/sessions/" + id + "/logs", local.token("someone-else")).status()).isEqualTo(404);

        ApiClient.Reply done = api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"TERMINATED\",\"exit_code\":0}");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        JsonNode s = api.get("/sessions/" + id, user).json();
        assertThat(s.path("status").asText()).isEqualTo("TERMINATED");
        assertThat(s.path("status_info").asText()).isEqualTo("task-finished");
        assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
        assertThat(s.path("status_data").path("exit_code").asInt()).isEqualTo(0);
        assertThat(s.path("status_history").findValuesAsText("status"))
                .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().isEmpty()).as("slots given back").isTrue();

        JsonNode after = api.post("/agent/heartbeat", agentToken, heartbeat(group, "2", "{\"session_id\":\"" + id + "\"}")).json();
        assertThat(after.path("assignments")).isEmpty();
        assertThat(after.path("terminate").findValuesAsText("session_id"))
                .as("the agent still runs an ended session: it is told to stop it").containsExactly(id);
    }

    /** A heartbeat carrying {@code reports} (raw JSON list). */
    static String heartbeatWithReports(String group, String running, String reports) {
        String hb = heartbeat(group, "2", running);
        return hb.substring(0, hb.length() - 1) + ",\"reports\":" + reports + "}";
    }

    @Test
    void reportsRideTheHeartbeatEachAnsweredOnItsOwnAndARetriedOneIsNotAppliedTwice() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        assertThat(api.post("/agent/heartbeat", agentToken, heartbeat(group, "2", "")).status()).isEqualTo(200);
        String user = local.token("agent-api-user");
        String id = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"startup_command\":\"echo hi\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        // Another agent's session, and one that does not exist.
        String otherGroup = newGroup();
        String otherAgent = "i-" + UUID.randomUUID().toString().substring(0, 12);
        assertThat(api.post("/agent/heartbeat", local.agentToken(otherAgent), heartbeat(otherGroup, "2", "")).status()).isEqualTo(200);
        String theirs = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + otherGroup
                + "\",\"startup_command\":\"echo hi\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(theirs, user, "SCHEDULED")).isEqualTo("SCHEDULED");

        String reports = "[{\"session_id\":\"" + id + "\",\"seq\":1,\"status\":\"PREPARING\"},"
                + "{\"session_id\":\"" + theirs + "\",\"seq\":1,\"status\":\"PREPARING\"},"
                + "{\"session_id\":\"" + id + "\",\"seq\":2,\"status\":\"RUNNING\",\"container_id\":\"4242\"},"
                + "{\"session_id\":\"" + id + "\",\"seq\":3,\"status\":\"BOGUS\"},"
                + "{\"session_id\":\"" + id + "\",\"seq\":4,\"status\":\"TERMINATED\",\"exit_code\":0,\"logs\":\"hi\\n\"}]";
        ApiClient.Reply first = api.post("/agent/heartbeat", agentToken, heartbeatWithReports(group, "{\"session_id\":\"" + id + "\"}", reports));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        JsonNode results = first.json().path("report_results");
        assertThat(results.findValuesAsText("outcome")).as(first.body())
                .containsExactly("applied", "not_found", "applied", "invalid", "applied");
        assertThat(results.get(1).path("message").asText()).isEqualTo("There is no session '" + theirs + "' on this agent.");
        assertThat(results.get(3).path("message").asText()).startsWith("status must be one of");
        assertThat(results.get(4).path("status").asText()).isEqualTo("TERMINATED");
        assertThat(first.json().path("assignments")).as("the answer is given after the reports: nothing left to run").isEmpty();
        assertThat(api.get("/sessions/" + theirs, user).json().path("status").asText()).as("untouched").isEqualTo("SCHEDULED");

        // The answer was lost: the agent sends the same reports again. Nothing is applied twice.
        ApiClient.Reply again = api.post("/agent/heartbeat", agentToken, heartbeatWithReports(group, "", reports));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().path("report_results").findValuesAsText("outcome"))
                .containsExactly("refused", "not_found", "refused", "invalid", "unchanged");
        assertThat(again.json().path("report_results").get(0).path("status").asText()).isEqualTo("TERMINATED");
        JsonNode s = api.get("/sessions/" + id, user).json();
        assertThat(s.path("status_history").findValuesAsText("status"))
                .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
        assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
        assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText()).as("the output rode the end's report").isEqualTo("hi\n");
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().isEmpty()).as("slots given back").isTrue();

        // A list that is not one fails the heartbeat as a whole, naming the field.
        ApiClient.Reply malformed = api.post("/agent/heartbeat", agentToken, heartbeatWithReports(group, "", "{\"x\":1}"));
        assertThat(malformed.status()).isEqualTo(422);
        assertThat(malformed.errorField()).isEqualTo("reports");
    }

    @Test
    void anAgentWithoutHeartbeatIsLostItsSessionsEndInErrorAndItsSlotsAreFreedThenItRevives() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        assertThat(api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", "")).status()).isEqualTo(200);
        String user = local.token("agent-api-user");
        String id = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"PREPARING\"}");
        api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"RUNNING\"}");

        local.agentSilentPastTheTimeout(agentId);
        Map<String, Object> sweep = sweep();
        assertThat((java.util.List<Object>) sweep.get("lost_agents")).contains(agentId);
        Agent lost = plane.agentStore().find(agentId).orElseThrow();
        assertThat(lost.status()).isEqualTo(AgentStatus.LOST);
        assertThat(lost.occupiedSlots().isEmpty()).as("its slots are freed").isTrue();
        JsonNode s = api.get("/sessions/" + id, user).json();
        assertThat(s.path("status").asText()).isEqualTo("ERROR");
        assertThat(s.path("status_info").asText()).isEqualTo("agent-lost");
        assertThat(s.path("occupied_slots")).isEmpty();

        // A second sweep changes nothing.
        Map<String, Object> again = sweep();
        assertThat((java.util.List<Object>) again.get("resolved_sessions")).doesNotContain(id);

        // The agent comes back: ALIVE, and told to stop what it still runs of the resolved session.
        JsonNode revived = api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", "{\"session_id\":\"" + id + "\"}")).json();
        assertThat(revived.path("agent").path("status").asText()).isEqualTo("ALIVE");
        assertThat(revived.path("agent").path("free_slots").path("cuda.device").asText()).isEqualTo("1");
        assertThat(revived.path("terminate").findValuesAsText("session_id")).containsExactly(id);
        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"TERMINATED\",\"exit_code\":137}").status())
                .isEqualTo(200);
        JsonNode ended = api.get("/sessions/" + id, user).json();
        assertThat(ended.path("status").asText()).isEqualTo("TERMINATED");
        assertThat(ended.path("status_info").asText()).as("the reason stands").isEqualTo("agent-lost");
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().isEmpty()).as("released once only").isTrue();
        assertThat(plane.agentStore().find(agentId).orElseThrow().freeSlots().get("cuda.device")).isEqualByComparingTo("1");
    }

    @Test
    void anAdminDrainsAnAgentAndNothingNewIsPlacedOnIt() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        assertThat(api.post("/agent/heartbeat", local.agentToken(agentId), heartbeat(group, "1", "")).status()).isEqualTo(200);
        String user = local.token("agent-api-user");
        assertThat(api.call("PATCH", "/agents/" + agentId, user, "{\"schedulable\":false}", Map.of()).status()).isEqualTo(403);
        ApiClient.Reply drained = api.call("PATCH", "/agents/" + agentId, local.adminToken(), "{\"schedulable\":false}", Map.of());
        assertThat(drained.status()).as(drained.body()).isEqualTo(200);
        assertThat(drained.json().path("schedulable").asBoolean()).isFalse();
        assertThat(api.call("PATCH", "/agents/" + agentId, local.adminToken(), "{\"schedulable\":\"no\"}", Map.of()).errorField())
                .isEqualTo("schedulable");
        assertThat(api.call("PATCH", "/agents/i-nobody", local.adminToken(), "{\"schedulable\":true}", Map.of()).status()).isEqualTo(404);

        String id = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        // The session's nudge ran a pass that saw it (the pass writes why it waits) and left it waiting: the agent is drained.
        JsonNode waiting = api.get("/sessions/" + id, user).json();
        Instant seen = Instant.now().plusSeconds(15);
        while (!waiting.has("pending") && waiting.path("status").asText().equals("PENDING") && Instant.now().isBefore(seen)) {
            Thread.sleep(100);
            waiting = api.get("/sessions/" + id, user).json();
        }
        assertThat(waiting.has("pending")).as("a pass explained why it waits: " + waiting).isTrue();
        assertThat(waiting.path("status").asText()).isEqualTo("PENDING");
        // A heartbeat does not undo the drain.
        api.post("/agent/heartbeat", local.agentToken(agentId), heartbeat(group, "1", ""));
        assertThat(plane.agentStore().find(agentId).orElseThrow().schedulable()).isFalse();
        api.call("PATCH", "/agents/" + agentId, local.adminToken(), "{\"schedulable\":true}", Map.of());
        assertThat(waitForStatus(id, user, "SCHEDULED")).as("undrained: the nudge places it").isEqualTo("SCHEDULED");
    }

    @Test
    void theSweepNeverResolvesTheSessionsOfAnAgentThatRevivedMeanwhile() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", ""));
        String user = local.token("agent-api-user");
        String id = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        Agent seen = plane.agentStore().find(agentId).orElseThrow();
        // The sweep saw it silent and marked it LOST; before it resolves the session, the agent speaks again.
        assertThat(plane.agentStore().markLost(agentId, seen.lastHeartbeat())).isTrue();
        Thread.sleep(5);
        api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", ""));
        var s = plane.sessionStore().find(id).orElseThrow();
        var next = s.transitionTo(dev.sluice.core.session.SessionStatus.ERROR, "agent-lost", StatusData.NONE, Instant.now());
        var outcome = plane.sessionStore().apply(dev.sluice.core.session.SessionChange.resolveLost(next, s.status(), s.sequence(), agentId,
                seen.lastHeartbeat()));
        assertThat(outcome).isInstanceOf(dev.sluice.core.port.SessionStore.SaveOutcome.Conflict.class);
        assertThat(plane.sessionStore().find(id).orElseThrow().status().name()).isEqualTo("SCHEDULED");
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().get("cuda.device")).isEqualByComparingTo("1");
    }

    @Test
    void anAgentWhoseCapacityShrankUnderItsSessionsStillGetsItsAnswers() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", ""));
        String user = local.token("agent-api-user");
        String id = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        // The driver is not loaded yet after a reboot: the agent sees no GPU.
        ApiClient.Reply r = api.post("/agent/heartbeat", agentToken, heartbeat(group, "0", ""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("assignments").findValuesAsText("session_id")).containsExactly(id);
        assertThat(r.json().path("agent").path("free_slots").path("cuda.device").isMissingNode()).isTrue();
        assertThat(api.get("/agents/" + agentId, local.adminToken()).status()).isEqualTo(200);
    }

    @Test
    void everyAgentOfAMultiNodeSessionGetsItsKernelAndTheMainKernelDrivesTheSession() throws Exception {
        String group = newGroup();
        String a = "i-a" + UUID.randomUUID().toString().substring(0, 10);
        String b = "i-b" + UUID.randomUUID().toString().substring(0, 10);
        api.post("/agent/heartbeat", local.agentToken(a), heartbeat(group, "1", ""));
        api.post("/agent/heartbeat", local.agentToken(b), heartbeat(group, "1", ""));
        String user = local.token("agent-api-user");
        ApiClient.Reply created = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"cluster_mode\":\"multi-node\",\"cluster_size\":2,"
                + "\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        JsonNode first = api.post("/agent/heartbeat", local.agentToken(a), heartbeat(group, "1", "")).json().path("assignments").get(0);
        JsonNode second = api.post("/agent/heartbeat", local.agentToken(b), heartbeat(group, "1", "")).json().path("assignments").get(0);
        assertThat(List.of(first.path("cluster_role").asText(), second.path("cluster_role").asText())).containsExactlyInAnyOrder("main", "sub");
        assertThat(first.path("cluster_size").asInt()).isEqualTo(2);
        String main = first.path("cluster_role").asText().equals("main") ? a : b;
        String sub = main.equals(a) ? b : a;
        for (String step : List.of("PREPARING", "RUNNING")) {
            assertThat(api.post("/agent/sessions/" + id + "/status", local.agentToken(sub), "{\"status\":\"" + step + "\"}").status()).isEqualTo(200);
            assertThat(api.post("/agent/sessions/" + id + "/status", local.agentToken(main), "{\"status\":\"" + step + "\"}").status()).isEqualTo(200);
        }
        assertThat(api.get("/sessions/" + id, user).json().path("status").asText()).isEqualTo("RUNNING");
        api.post("/agent/sessions/" + id + "/status", local.agentToken(sub), "{\"status\":\"TERMINATED\",\"exit_code\":1}");
        assertThat(api.get("/sessions/" + id, user).json().path("status").asText()).isEqualTo("RUNNING_DEGRADED");
        api.post("/agent/sessions/" + id + "/status", local.agentToken(main), "{\"status\":\"TERMINATED\",\"exit_code\":0}");
        assertThat(api.get("/sessions/" + id, user).json().path("status").asText()).isEqualTo("TERMINATED");
        assertThat(plane.agentStore().find(a).orElseThrow().occupiedSlots().isEmpty()).isTrue();
        assertThat(plane.agentStore().find(b).orElseThrow().occupiedSlots().isEmpty()).isTrue();
        JsonNode after = api.post("/agent/heartbeat", local.agentToken(sub), heartbeat(group, "1", "{\"session_id\":\"" + id + "\"}")).json();
        assertThat(after.path("assignments")).isEmpty();
        assertThat(after.path("terminate").findValuesAsText("session_id")).containsExactly(id);
    }

    @Test
    void theHostingAgentAloneGetsPresignedUrlsForTheSessionsFoldersAndWritesOnlyToWritableOnes() throws Exception {
        String group = newGroup();
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        String agentToken = local.agentToken(agentId);
        assertThat(api.post("/agent/heartbeat", agentToken, heartbeat(group, "1", "")).status()).isEqualTo(200);
        String user = local.token("agent-mounts-user");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String ro = "ref-" + suffix;
        String rw = "res-" + suffix;
        ApiClient.Reply roFolder = api.post("/folders", user, "{\"name\":\"" + ro + "\",\"permission\":\"ro\"}");
        assertThat(roFolder.status()).as(roFolder.body()).isEqualTo(201);
        assertThat(api.post("/folders", user, "{\"name\":\"" + rw + "\"}").status()).isEqualTo(201);
        S3Client s3 = S3Client.builder().forcePathStyle(true).build();
        String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
        for (int i = 0; i < 501; i++) {
            String key = "folders/" + roFolder.json().path("id").asText() + "/part-" + String.format("%03d", i);
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("p" + key.substring(key.length() - 3)));
        }
        String id = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"startup_command\":\"true\",\"mounts\":[\"" + ro + "\",\"" + rw + ":/out\"],"
                + "\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(waitForStatus(id, user, "SCHEDULED")).isEqualTo("SCHEDULED");
        String base = "/agent/sessions/" + id + "/mounts/";

        ApiClient.Reply first = api.get(base + ro + "/files", agentToken);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("items")).hasSize(500);
        JsonNode item = first.json().path("items").get(7);
        assertThat(item.path("path").asText()).isEqualTo("part-007");
        java.net.http.HttpResponse<String> got = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(item.path("url").asText())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo("p007");
        ApiClient.Reply second = api.get(base + ro + "/files?cursor=" + first.json().path("next_cursor").asText(), agentToken);
        assertThat(second.json().path("items")).hasSize(1);
        assertThat(second.json().path("next_cursor").isNull()).isTrue();

        ApiClient.Reply put = api.post(base + rw + "/uploads", agentToken, "{\"path\":\"model/weights.bin\",\"size\":7}");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        java.net.http.HttpResponse<String> stored = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(put.json().path("url").asText()))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("weights")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(api.get("/folders/" + rw + "/files", user).json().path("items").findValuesAsText("path")).containsExactly("model/weights.bin");

        ApiClient.Reply readOnly = api.post(base + ro + "/uploads", agentToken, "{\"path\":\"x.txt\",\"size\":1}");
        assertThat(readOnly.status()).as(readOnly.body()).isEqualTo(403);
        assertThat(api.post(base + rw + "/uploads", agentToken, "{\"path\":\"../x\",\"size\":1}").errorField()).isEqualTo("path");
        assertThat(api.post(base + rw + "/uploads", agentToken, "{\"path\":\"x\",\"size\":-1}").errorField()).isEqualTo("size");
        assertThat(api.post(base + rw + "/uploads", agentToken, "{\"path\":\"x\"}").errorField()).isEqualTo("size");
        assertThat(api.get(base + "not-mounted/files", agentToken).status()).isEqualTo(404);
        assertThat(api.get(base + ro + "/files?cursor=%21%21", agentToken).errorField()).isEqualTo("cursor");
        assertThat(api.get(base + ro + "/files", local.agentToken("i-other-" + agentId)).status()).as("not this agent's session").isEqualTo(404);
        assertThat(api.get(base + ro + "/files", user).status()).as("users have no agent API").isEqualTo(403);

        // While the session has not ended its folders can be neither renamed nor deleted, so what it saves has a place.
        ApiClient.Reply renamed = api.call("PATCH", "/folders/" + rw, user, "{\"name\":\"" + rw + "-moved\"}", Map.of());
        assertThat(renamed.status()).as(renamed.body()).isEqualTo(409);
        assertThat(renamed.body()).contains(id);
        ApiClient.Reply deleted = api.call("DELETE", "/folders/" + rw, user, null, Map.of());
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(409);
        ApiClient.Reply late = api.post(base + rw + "/uploads", agentToken, "{\"path\":\"late.txt\",\"size\":1}");
        assertThat(late.status()).as(late.body()).isEqualTo(200);

        // Folders are copied in while the session is prepared; once it runs, the agent's identity (a copied token, a
        // workload that got hold of it) gets no URL to read them, while what it ends with can still be saved.
        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"PREPARING\"}").status()).isEqualTo(200);
        assertThat(api.get(base + ro + "/files", agentToken).status()).isEqualTo(200);
        assertThat(api.post("/agent/sessions/" + id + "/status", agentToken, "{\"status\":\"RUNNING\"}").status()).isEqualTo(200);
        ApiClient.Reply running = api.get(base + ro + "/files", agentToken);
        assertThat(running.status()).as("no listing once the session runs: %.300s", running.body()).isEqualTo(409);
        assertThat(running.errorField()).isEqualTo("id");
        assertThat(running.body()).contains("RUNNING").doesNotContain("X-Amz");
        assertThat(api.post(base + rw + "/uploads", agentToken, "{\"path\":\"result.txt\",\"size\":1}").status()).isEqualTo(200);
    }
}
