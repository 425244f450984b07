package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
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
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import dev.sluice.functions.http.ApiResponses;
import dev.sluice.protocol.AgentReports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Rollout safety of the agent protocol: an agent of 0.2.0 or later against a control plane before it. The stack in the
 * emulator stands behind a proxy that answers a heartbeat carrying {@code reports} as a control plane before 0.2.0 did
 * (the heartbeat's own parser, {@link Heartbeat#parse}, meets the field it does not know: 422 in the API's error shape)
 * and forwards everything else, the per-step status endpoint and the output upload included, to the real stack. The
 * real agent falls back to the status endpoint and the session lives its whole life.
 */
class OlderControlPlaneIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A request the agent made and what it was answered. */
    record Seen(String method, String path, JsonNode body, int status) {
    }

    static final class OldControlPlane implements AutoCloseable {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final String target;

        OldControlPlane(String target) throws IOException {
            this.target = target;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::serve);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @SuppressWarnings("unchecked")
        private void serve(HttpExchange ex) throws IOException {
            byte[] in = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getRawPath();
            JsonNode body = in.length == 0 ? null : JSON.readTree(in);
            if (path.endsWith("/agent/heartbeat") && body != null && body.has(AgentReports.REPORTS)) {
                // The heartbeat as a control plane before 0.2.0 read it: the whole body, reports and all.
                APIGatewayProxyResponseEvent refused;
                try {
                    Heartbeat.parse("i-old", RequestFields.of(JSON.convertValue(body, Map.class)));
                    throw new AssertionError("the heartbeat parser took a body with reports");
                } catch (DomainException e) {
                    refused = ApiResponses.error(e);
                }
                seen.add(new Seen(ex.getRequestMethod(), path, body, refused.getStatusCode()));
                byte[] out = refused.getBody().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(refused.getStatusCode(), out.length);
                ex.getResponseBody().write(out);
                ex.close();
                return;
            }
            HttpResponse<byte[]> r = dev.sluice.local.bench.Forwarding.send(http, target + path, ex, in,
                    h -> h.equalsIgnoreCase("Authorization") || h.equalsIgnoreCase("Content-Type"));
            seen.add(new Seen(ex.getRequestMethod(), path, body, r.statusCode()));
            dev.sluice.local.bench.Forwarding.answer(ex, r.statusCode(), r.body(), "application/json");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void anAgentOfThisVersionFallsBackToTheStatusEndpointWhenItsControlPlaneRefusesReports() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        ControlPlane plane = local.controlPlane();
        String group = "old-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        Path work = Files.createTempDirectory("sluice-agent-");
        Path token = work.resolve("token");
        Files.writeString(token, local.agentToken(agentId));
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String user = local.token("old-cp-user");
        try (OldControlPlane old = new OldControlPlane(local.apiUrl)) {
            AgentConfig config = AgentConfig.load(Optional.empty(), Map.of(
                    "SLUICE_AGENT_API_ENDPOINT", old.url(), "SLUICE_AGENT_RESOURCE_GROUP", group,
                    "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                    "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "process",
                    "SLUICE_AGENT_WORK_DIR", work.toString(), "SLUICE_AGENT_STOP_GRACE", "2s"));
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
                assertThat(plane.agentStore().find(agentId)).as("registered by a heartbeat without a reports field").isPresent();
                List<String> ids = new java.util.ArrayList<>();
                for (String command : List.of("echo first under the old control plane", "echo second under the old control plane")) {
                    ApiClient.Reply created = api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\""
                            + group + "\",\"startup_command\":\"" + command + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}");
                    assertThat(created.status()).as(created.body()).isEqualTo(201);
                    String id = created.json().path("id").asText();
                    ids.add(id);
                    JsonNode s = api.awaitSession(id, user, "TERMINATED", java.time.Duration.ofSeconds(40));
                    assertThat(s.path("result").asText()).as(s.toString()).isEqualTo("SUCCESS");
                    assertThat(s.path("status_history").findValuesAsText("status"))
                            .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
                    assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText()).contains(command.substring(5));
                }
                List<Seen> refused = old.seen.stream().filter(x -> x.status() == 422).toList();
                assertThat(refused).as("refused once; remembered for the process' life").singleElement()
                        .satisfies(x -> assertThat(x.path()).endsWith("/agent/heartbeat"));
                for (String id : ids) {
                    assertThat(old.seen.stream().filter(x -> x.path().equals("/agent/sessions/" + id + "/status") && x.status() == 200)
                            .map(x -> x.body().path("status").asText()).toList())
                            .as("each step at the status endpoint, in order").containsExactly("PREPARING", "RUNNING", "TERMINATED");
                }
                int refusedAt = old.seen.indexOf(refused.get(0));
                assertThat(old.seen.subList(refusedAt + 1, old.seen.size())).filteredOn(x -> x.path().endsWith("/agent/heartbeat"))
                        .isNotEmpty().allSatisfy(x -> {
                            assertThat(x.body().has(AgentReports.REPORTS)).as("no heartbeat carries reports after the refusal").isFalse();
                            assertThat(x.status()).isEqualTo(200);
                        });
            } finally {
                loop.halt();
                thread.join(5_000);
            }
        }
    }
}
