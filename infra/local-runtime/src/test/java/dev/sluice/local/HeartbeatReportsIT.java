package dev.sluice.local;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.agent.AgentConfig;
import dev.sluice.agent.AgentLoop;
import dev.sluice.agent.Capacity;
import dev.sluice.agent.HttpControlPlane;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.protocol.AgentReports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The agent's step reports ride its heartbeat, end to end: the real agent (its loop, its HTTP client, the process
 * runtime) against the real control plane in the emulator, through a proxy that sees every agent request and loses
 * the answer to the first heartbeat that carries reports (after the control plane applied them).
 */
class HeartbeatReportsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;

    HeartbeatReportsIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
    }

    /** One request the agent made, as the proxy saw it. */
    record Seen(Instant at, String method, String path, JsonNode body, JsonNode answer, boolean lost) {
    }

    /** Forwards the agent's requests to the stack's API; loses the first answer to a heartbeat with reports. */
    static final class LossyProxy implements AutoCloseable {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        final AtomicBoolean lostOne = new AtomicBoolean();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final String target;

        LossyProxy(String target) throws IOException {
            this.target = target;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::forward);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void forward(HttpExchange ex) throws IOException {
            byte[] in = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            HttpResponse<byte[]> r = dev.sluice.local.bench.Forwarding.send(http, target + path, ex, in,
                    h -> h.equalsIgnoreCase("Authorization") || h.equalsIgnoreCase("Content-Type"));
            JsonNode body = in.length == 0 ? null : JSON.readTree(in);
            JsonNode answer = r.body().length == 0 ? null : JSON.readTree(r.body());
            boolean carriesReports = body != null && body.path(AgentReports.REPORTS).size() > 0;
            boolean lose = path.endsWith("/agent/heartbeat") && carriesReports && r.statusCode() == 200 && lostOne.compareAndSet(false, true);
            seen.add(new Seen(Instant.now(), ex.getRequestMethod(), path, body, answer, lose));
            if (lose) {
                ex.close(); // applied by the control plane, never answered: the agent sees the connection drop
                return;
            }
            dev.sluice.local.bench.Forwarding.answer(ex, r.statusCode(), r.body(), "application/json");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void aSessionsStepsRideTheHeartbeatArriveWithinAboutASecondAndALostAnswerAppliesEachOnce() throws Exception {
        String group = "hbr-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        Path work = Files.createTempDirectory("sluice-agent-");
        Path token = work.resolve("token");
        Files.writeString(token, local.agentToken(agentId));
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String user = local.token("hbr-user");
        try (LossyProxy proxy = new LossyProxy(local.apiUrl)) {
            // A long regular interval (the control plane sets 1 s locally; its answers are what the agent follows,
            // so the interval shows only between the answer that assigns and the next regular heartbeat).
            AgentConfig config = AgentConfig.load(Optional.empty(), Map.of(
                    "SLUICE_AGENT_API_ENDPOINT", proxy.url(), "SLUICE_AGENT_RESOURCE_GROUP", group,
                    "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                    "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "process",
                    "SLUICE_AGENT_WORK_DIR", work.toString(), "SLUICE_AGENT_STOP_GRACE", "2s",
                    "SLUICE_AGENT_REPORT_COALESCE", "1s"));
            ProcessRuntime runtime = new ProcessRuntime(work);
            AgentLoop loop = new AgentLoop(config, agentId, new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "1"),
                    Map.of("cuda.driver", "fake"), "x86_64", List.of("GPU-fake-0")), new HttpControlPlane(config), runtime, Clock.systemUTC());
            loop.recover();
            Thread thread = new Thread(loop::run, "agent-" + agentId);
            thread.setDaemon(true);
            thread.start();
            try {
                Instant until = Instant.now().plusSeconds(20);
                while (plane.agentStore().find(agentId).isEmpty() && Instant.now().isBefore(until)) {
                    Thread.sleep(100);
                }
                ApiClient.Reply created = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\""
                        + group + "\",\"startup_command\":\"echo from the heartbeat\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}");
                assertThat(created.status()).as(created.body()).isEqualTo(201);
                String id = created.json().path("id").asText();
                JsonNode s = null;
                until = Instant.now().plusSeconds(40);
                while (Instant.now().isBefore(until)) {
                    s = api.get("/sessions/" + id, user).json();
                    if (s.path("status").asText().equals("TERMINATED")
                            && proxy.seen.stream().anyMatch(x -> !x.lost() && carries(x, id) && statuses(x, id).contains("TERMINATED"))) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(s.path("status").asText()).as(s.toString()).isEqualTo("TERMINATED");
                assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
                assertThat(s.path("status_history").findValuesAsText("status")).as("each step once")
                        .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
                assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText()).contains("from the heartbeat");

                // The reports rode heartbeats: no status requests, and the output went with the end (no upload).
                assertThat(proxy.seen).noneMatch(x -> x.path().contains("/status"));
                assertThat(proxy.seen).noneMatch(x -> x.path().endsWith("/logs"));
                List<Seen> carrying = proxy.seen.stream().filter(x -> carries(x, id)).toList();
                assertThat(carrying).as("the lost one and its retry").hasSizeGreaterThanOrEqualTo(2);
                Seen first = carrying.get(0);
                assertThat(first.lost()).isTrue();
                assertThat(statuses(first, id)).as("steps in order (a short session's usually all together)").startsWith("PREPARING");
                Seen retry = carrying.get(1);
                assertThat(retry.lost()).isFalse();
                JsonNode sentFirst = first.body().path(AgentReports.REPORTS);
                for (int i = 0; i < sentFirst.size(); i++) {
                    assertThat(retry.body().path(AgentReports.REPORTS).get(i)).as("the same reports again, the same numbers").isEqualTo(sentFirst.get(i));
                    assertThat(retry.answer().path(AgentReports.RESULTS).get(i).path(AgentReports.OUTCOME).asText())
                            .as("not applied twice").isIn("unchanged", "refused");
                }
                JsonNode end = carrying.stream().flatMap(x -> java.util.stream.StreamSupport.stream(x.body().path(AgentReports.REPORTS).spliterator(), false))
                        .filter(r -> r.path(AgentReports.STATUS).asText().equals("TERMINATED")).findFirst().orElseThrow();
                assertThat(end.path(AgentReports.LOGS).asText()).as("the output rides the end's report").contains("from the heartbeat");
                Thread.sleep(2_500); // two more regular heartbeats
                long again = proxy.seen.stream().filter(x -> carries(x, id)).count();
                assertThat(again).as("dropped once answered: no heartbeat carries them after").isEqualTo(carrying.size());
                assertThat(carrying.stream().flatMap(x -> x.answer() == null ? java.util.stream.Stream.<JsonNode>empty()
                        : java.util.stream.StreamSupport.stream(x.answer().path(AgentReports.RESULTS).spliterator(), false)))
                        .as("no report answered retry").noneMatch(r -> r.path(AgentReports.OUTCOME).asText().equals("retry"));

                // Status latency: the steps left about a second after the answer that assigned the session.
                Seen assigned = proxy.seen.stream().filter(x -> x.answer() != null
                        && x.answer().path("assignments").findValuesAsText("session_id").contains(id)).findFirst().orElseThrow();
                Duration latency = Duration.between(assigned.at(), first.at());
                assertThat(latency).as("report.coalesce (1 s) after the first step, not a whole interval later")
                        .isBetween(Duration.ofMillis(700), Duration.ofMillis(2500));
                Instant running = Instant.parse(s.path("status_history").get(3).path("at").asText());
                Instant scheduled = Instant.parse(s.path("status_history").get(1).path("at").asText());
                assertThat(Duration.between(scheduled, running)).as("SCHEDULED to RUNNING, server times").isLessThan(Duration.ofSeconds(4));
            } finally {
                loop.halt();
                thread.join(5_000);
                for (var w : runtime.discover()) {
                    runtime.stop(w.sessionId(), Duration.ZERO);
                }
            }
        }
    }

    private static boolean carries(Seen x, String sessionId) {
        return x.body() != null && x.path().endsWith("/agent/heartbeat")
                && x.body().path(AgentReports.REPORTS).findValuesAsText(AgentReports.SESSION_ID).contains(sessionId);
    }

    private static List<String> statuses(Seen x, String sessionId) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode r : x.body().path(AgentReports.REPORTS)) {
            if (r.path(AgentReports.SESSION_ID).asText().equals(sessionId)) {
                out.add(r.path(AgentReports.STATUS).asText());
            }
        }
        return out;
    }
}
