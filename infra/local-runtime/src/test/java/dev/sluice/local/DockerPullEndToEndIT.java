package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.agent.AgentConfig;
import dev.sluice.agent.AgentLoop;
import dev.sluice.agent.Capacity;
import dev.sluice.agent.HttpControlPlane;
import dev.sluice.agent.MountStager;
import dev.sluice.agent.StagingRuntime;
import dev.sluice.agent.runtime.DockerRuntime;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull progress end to end: a real agent (its loop, HTTP client and the Docker runtime) heartbeats to the stack in the
 * emulator; a session created through the API pulls its image from a slow {@link TestRegistry} on 127.0.0.1, and while
 * it is PULLING, {@code GET /sessions/{id}} shows the pull's progress and the {@code sluice} command, run as a process,
 * prints it in {@code ps} and {@code session get}. Without an engine or the test image the test fails, saying what to
 * run, unless {@code -Dsluice.docker.optOut=true}.
 */
class DockerPullEndToEndIT {
    private static final Pattern PROGRESS = Pattern.compile("pulling [0-9.]+ (B|kB|MB|GB) of [0-9.]+ (B|kB|MB|GB), \\d+ of \\d+ layers");
    private static String image;

    @TempDir
    Path work;

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    /** The sluice command as a user runs it: cli/sluice, a process of its own. */
    private record Run(int exit, String out) {
    }

    private Run sluice(LocalStack local, String token, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LocalStack.ROOT.resolve("cli/sluice").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SLUICE_API", local.apiUrl);
        pb.environment().put("SLUICE_TOKEN", token);
        pb.environment().put("SLUICE_CONFIG", work.resolve("cli.json").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("sluice " + String.join(" ", args) + " ended").isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void aPullingSessionShowsItsPullProgressInTheApiAndTheCli() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        ControlPlane plane = local.controlPlane();
        String user = local.token("docker-pull-user");
        String group = "docker-pull-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));

        String agentId = "i-" + UUID.randomUUID().toString().substring(0, 12);
        Path agentDir = Files.createDirectories(work.resolve("agent"));
        Path token = agentDir.resolve("token");
        Files.writeString(token, local.agentToken(agentId));
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        AgentConfig config = AgentConfig.load(Optional.empty(), Map.of(
                "SLUICE_AGENT_API_ENDPOINT", local.apiUrl, "SLUICE_AGENT_RESOURCE_GROUP", group,
                "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "docker",
                "SLUICE_AGENT_WORK_DIR", agentDir.toString(), "SLUICE_AGENT_STOP_GRACE", "2s"));
        DockerRuntime runtime = DockerRuntime.onThisHost(agentDir);
        HttpControlPlane client = new HttpControlPlane(config);
        AgentLoop loop = new AgentLoop(config, agentId, new Capacity(Map.of("cpu", "4", "mem", "8g"), Map.of(), "x86_64", List.of()),
                client, new StagingRuntime(runtime, new MountStager(client), agentDir), Clock.systemUTC());
        loop.recover();
        Thread thread = new Thread(loop::run, "docker-pull-agent");
        thread.setDaemon(true);
        thread.start();
        String id = null;
        // Two new layers of 2 MB at 200 kB/s each: about ten seconds of PULLING to watch.
        try (TestRegistry registry = TestRegistry.serving(work.resolve("registry"), image, 2, 2_000_000, 200_000)) {
            ApiClient.Reply created = api.post("/sessions", user, "{\"image\":\"" + registry.reference() + "\",\"resource_group\":\""
                    + group + "\",\"type\":\"batch\",\"startup_command\":\"test -s /data/layer2.bin\","
                    + "\"resource_slots\":{\"cpu\":1,\"mem\":\"256m\"}}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            id = created.json().path("id").asText();

            // While PULLING, the session shows how far its pull is, part way.
            JsonNode partWay = null;
            Instant deadline = Instant.now().plusSeconds(60);
            while (partWay == null && Instant.now().isBefore(deadline)) {
                JsonNode s = api.get("/sessions/" + id, user).json();
                JsonNode pull = s.path("runtime").path("pull");
                if (s.path("status").asText().equals("PULLING") && pull.path("bytes_done").asLong() > 0
                        && pull.path("bytes_done").asLong() < pull.path("bytes_total").asLong()) {
                    partWay = s;
                } else {
                    assertThat(s.path("status").asText()).as("still on its way to PULLING: " + s)
                            .isIn("PENDING", "SCHEDULED", "PULLING");
                    Thread.sleep(200);
                }
            }
            assertThat(partWay).as("GET /sessions/{id} showed the pull part way within 60 s").isNotNull();
            JsonNode pull = partWay.path("runtime").path("pull");
            assertThat(pull.path("layers_total").asInt()).isPositive();
            assertThat(pull.path("layers_done").asInt()).isLessThan(registry.layers());

            // The CLI, as a process, prints it while the session is still PULLING.
            Run ps = sluice(local, user, "ps");
            Run get = sluice(local, user, "session", "get", id);
            String shortId = id.substring(0, 8);
            String row = ps.out().lines().filter(l -> l.startsWith(shortId)).findFirst().orElse("");
            assertThat(ps.exit()).as(ps.out()).isZero();
            assertThat(row).as(ps.out()).contains("PULLING");
            assertThat(PROGRESS.matcher(row).find()).as("ps shows the pull's progress: " + row).isTrue();
            assertThat(get.exit()).as(get.out()).isZero();
            assertThat(get.out().lines().filter(l -> l.startsWith("Status")).findFirst().orElse(""))
                    .as(get.out()).contains("PULLING (").containsPattern(PROGRESS);

            JsonNode done = api.awaitSession(id, user, "TERMINATED", Duration.ofSeconds(120));
            assertThat(done.path("result").asText()).as(done.toString()).isEqualTo("SUCCESS");
            assertThat(ApiClient.history(done)).containsSubsequence("PULLING", "PREPARING", "RUNNING", "TERMINATED");
            assertThat(Json.MAPPER.convertValue(done.path("runtime").path("pull"), Map.class))
                    .as("the last progress stays: every byte and layer")
                    .isEqualTo(Map.of("bytes_done", (int) registry.servedLayerBytes(), "bytes_total", (int) registry.servedLayerBytes(),
                            "layers_done", registry.layers(), "layers_total", registry.layers()));
            System.out.println("{\"part_way\":" + pull + ",\"ps_row\":" + Json.write(row) + "}");
        } finally {
            loop.halt();
            thread.join(5_000);
            if (id != null) {
                String session = id;
                runtime.discover().stream().filter(w -> w.sessionId().equals(session)).forEach(w -> runtime.remove(session));
            }
        }
    }
}
