package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.agent.AgentConfig;
import dev.sluice.agent.AgentLoop;
import dev.sluice.agent.Capacity;
import dev.sluice.agent.HttpControlPlane;
import dev.sluice.core.request.RequestFields;
import dev.sluice.agent.MountStager;
import dev.sluice.agent.StagingRuntime;
import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.ProcessCommandRunner;
import dev.sluice.agent.runtime.DockerRuntime;
import dev.sluice.core.group.ResourceGroup;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Sessions run in Docker end to end: a real agent (its loop, HTTP client, folder staging and the Docker runtime)
 * heartbeats to the stack in the emulator, and sessions created through the API run as containers of the
 * {@code FROM scratch} busybox image that {@code ./infra/local/sluice-local test} builds (SLUICE_TEST_DOCKER_IMAGE).
 * Without an engine or that image the test fails, saying what to run, unless {@code -Dsluice.docker.optOut=true}.
 */
class DockerEndToEndIT {

    private static String image;

    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;
    private final String user;
    private final List<Agent> agents = new ArrayList<>();
    private final List<String> sessions = new ArrayList<>();

    DockerEndToEndIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
        user = local.token("docker-e2e-user");
    }

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    /** An agent with runtime=docker, run in a thread of this JVM against the deployed stack. */
    final class Agent {
        final String id;
        final Path workDir;
        final DockerRuntime runtime;
        final AgentLoop loop;
        final Thread thread;

        Agent(String id, String group, Path workDir) throws Exception {
            this.id = id;
            this.workDir = workDir;
            Path token = workDir.resolve("token");
            Files.writeString(token, local.agentToken(id));
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            AgentConfig config = AgentConfig.load(Optional.empty(), Map.of(
                    "SLUICE_AGENT_API_ENDPOINT", local.apiUrl, "SLUICE_AGENT_RESOURCE_GROUP", group,
                    "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                    "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "docker",
                    "SLUICE_AGENT_WORK_DIR", workDir.toString(), "SLUICE_AGENT_STOP_GRACE", "2s"));
            runtime = DockerRuntime.onThisHost(workDir, config.dockerIsolation(), config.imagePull());
            HttpControlPlane client = new HttpControlPlane(config);
            loop = new AgentLoop(config, id, new Capacity(Map.of("cpu", "4", "mem", "8g"), Map.of(), "x86_64", List.of()),
                    client, new StagingRuntime(runtime, new MountStager(client), workDir), Clock.systemUTC());
            loop.recover();
            thread = new Thread(loop::run, "docker-agent-" + id);
            thread.setDaemon(true);
            thread.start();
            agents.add(this);
        }

        void crash() throws InterruptedException {
            loop.halt();
            thread.join(30_000);
            assertThat(thread.isAlive()).as("the halted agent's loop ended").isFalse();
        }

        List<dev.sluice.agent.runtime.SessionRuntime.Workload> workloads(String sessionId) {
            return runtime.discover().stream().filter(w -> w.sessionId().equals(sessionId)).toList();
        }
    }

    @AfterEach
    void stopAgentsAndRemoveTheirContainers() throws InterruptedException {
        for (Agent a : agents) {
            a.crash();
        }
        for (Agent a : agents) {
            for (var w : a.runtime.discover()) {
                if (sessions.contains(w.sessionId())) {
                    a.runtime.remove(w.sessionId());
                }
            }
        }
    }

    private String newGroup() {
        String group = "docker-e2e-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        return group;
    }

    private Agent agent(String group) throws Exception {
        return new Agent("i-" + UUID.randomUUID().toString().substring(0, 12), group,
                Files.createTempDirectory("sluice-docker-agent-"));
    }

    private String create(String group, String image, String extra) {
        ApiClient.Reply r = api.post("/sessions", user, "{\"image\":\"" + image + "\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"256m\"}" + extra + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        sessions.add(r.json().path("id").asText());
        return r.json().path("id").asText();
    }

    private String batch(String group, String command, String extra) {
        return create(group, image, ",\"type\":\"batch\",\"startup_command\":" + Json.write(command) + extra);
    }

    private JsonNode await(String id, String status, Duration within) throws InterruptedException {
        return api.awaitSession(id, user, status, within);
    }

    private static List<String> history(JsonNode s) {
        return ApiClient.history(s);
    }

    private String logs(String id) {
        return api.get("/sessions/" + id + "/logs", user).json().path("text").asText();
    }

    /** The agent removes an ended session's container once its end is reported; the env files went at create. */
    private static String networksOf(String sessionId) {
        return new ProcessCommandRunner().run(Command.of(Duration.ofSeconds(30),
                new dev.sluice.agent.runtime.DockerCommands().networksOf(sessionId))).stdout().trim();
    }

    private void noContainerNorEnvFileLeft(Agent agent, String id) throws Exception {
        Instant deadline = Instant.now().plusSeconds(15);
        while ((!agent.workloads(id).isEmpty() || !networksOf(id).isEmpty()) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(agent.workloads(id)).as("the session's container is removed").isEmpty();
        assertThat(networksOf(id)).as("the session's network is removed").isEmpty();
        try (var files = Files.walk(agent.workDir)) {
            assertThat(files.map(Path::getFileName).map(Path::toString)).noneMatch(n -> n.startsWith("sluice-env-"));
        }
    }

    @Test
    void aBatchSessionRunsInAContainerWithItsSlotsAsLimitsAndItsFoldersMounted() throws Exception {
        String group = newGroup();
        Agent agent = agent(group);
        String data = "data-" + UUID.randomUUID().toString().substring(0, 8);
        String out = "out-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply d = api.post("/folders", user, "{\"name\":\"" + data + "\",\"permission\":\"ro\"}");
        ApiClient.Reply o = api.post("/folders", user, "{\"name\":\"" + out + "\"}");
        assertThat(d.status()).as(d.body()).isEqualTo(201);
        assertThat(o.status()).as(o.body()).isEqualTo(201);
        S3Client s3 = S3Client.builder().forcePathStyle(true).build();
        String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
        String dataPrefix = "folders/" + d.json().path("id").asText() + "/";
        String outPrefix = "folders/" + o.json().path("id").asText() + "/";
        s3.putObject(b -> b.bucket(bucket).key(dataPrefix + "in/numbers.txt"), RequestBody.fromString("1 2 3\n"));

        String id = batch(group, "echo hello from $SLUICE_SESSION_ID;"
                + " tr ' ' '+' < /home/work/" + data + "/in/numbers.txt > /home/work/" + out + "/sum.txt;"
                + " if touch /home/work/" + data + "/new 2>/dev/null; then echo data-writable; else echo data-read-only; fi",
                ",\"mounts\":[\"" + data + "\",\"" + out + "\"]");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(60));

        assertThat(s.path("result").asText()).as(s.toString()).isEqualTo("SUCCESS");
        assertThat(history(s)).containsExactly("PENDING", "SCHEDULED", "PREPARING", "PULLING", "RUNNING", "TERMINATED");
        assertThat(logs(id)).contains("hello from " + id).contains("data-read-only");
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(outPrefix + "sum.txt")).asUtf8String()).isEqualTo("1+2+3\n");
        assertThat(s3.listObjectsV2(b -> b.bucket(bucket).prefix(dataPrefix)).keyCount()).isEqualTo(1);
        noContainerNorEnvFileLeft(agent, id);
    }

    @Test
    void aFailingBatchIsAFailureWithItsExitCodeAndOnePastItsTimeoutIsKilled() throws Exception {
        String group = newGroup();
        Agent agent = agent(group);
        String failing = batch(group, "echo about to fail >&2; exit 3", "");
        // sh -c runs sleep as PID 1, which ignores SIGTERM: the agent's docker stop kills it after the grace.
        String slow = batch(group, "sleep 60", ",\"batch_timeout\":\"2s\"");

        JsonNode f = await(failing, "TERMINATED", Duration.ofSeconds(60));
        assertThat(f.path("result").asText()).as(f.toString()).isEqualTo("FAILURE");
        assertThat(f.path("status_info").asText()).isEqualTo("task-failed");
        assertThat(f.path("status_data").path("exit_code").asInt()).isEqualTo(3);
        assertThat(logs(failing)).contains("about to fail");

        JsonNode t = await(slow, "TERMINATED", Duration.ofSeconds(60));
        assertThat(t.path("result").asText()).as(t.toString()).isEqualTo("FAILURE");
        assertThat(t.path("status_info").asText()).isEqualTo("task-timeout");
        noContainerNorEnvFileLeft(agent, failing);
        noContainerNorEnvFileLeft(agent, slow);
    }

    @Test
    void anImageThatIsNotOnTheHostAndCannotBePulledEndsTheSessionInErrorWithTheReason() throws Exception {
        String group = newGroup();
        Agent agent = agent(group);
        String id = create(group, "sluice-test/absent:never", ",\"type\":\"batch\",\"startup_command\":\"true\"");

        JsonNode s = await(id, "ERROR", Duration.ofSeconds(60));

        assertThat(history(s)).contains("PULLING").endsWith("ERROR");
        assertThat(s.toString()).contains("the image sluice-test/absent:never is not on this host and could not be pulled");
        assertThat(agent.workloads(id)).isEmpty();
    }

    @Test
    void anInteractiveSessionRunsUntilDestroyedAndARestartedAgentFollowsItsContainer() throws Exception {
        String group = newGroup();
        Agent first = agent(group);
        String id = create(group, image, ",\"startup_command\":" + Json.write(
                "trap 'echo stopping; exit 0' TERM; echo up; while true; do sleep 0.2; done"));
        await(id, "RUNNING", Duration.ofSeconds(60));
        CommandResult limits = new ProcessCommandRunner().run(Command.of(Duration.ofSeconds(30), List.of("docker", "inspect",
                "--format", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}", "sluice-" + id)));
        assertThat(limits.stdout().trim()).as("the session's slots are its container's limits")
                .isEqualTo("1000000000 " + (256L << 20));
        CommandResult isolation = new ProcessCommandRunner().run(Command.of(Duration.ofSeconds(30), List.of("docker",
                "inspect", "--format", "{{.HostConfig.NetworkMode}} {{json .HostConfig.SecurityOpt}} {{json .HostConfig.CapDrop}}"
                        + " {{.HostConfig.PidsLimit}} {{json .HostConfig.PortBindings}}", "sluice-" + id)));
        assertThat(isolation.stdout().trim()).as("the agent's default isolation")
                .isEqualTo("sluice-" + id + " [\"no-new-privileges\"] [\"ALL\"] 4096 {}");
        first.crash();
        assertThat(first.workloads(id)).singleElement().satisfies(w -> assertThat(w.running()).isTrue());

        // The same host starts its agent again on the same work directory: the container is found by its label.
        Agent again = new Agent(first.id, group, first.workDir);
        ApiClient.Reply destroyed = api.call("DELETE", "/sessions/" + id, user, null, Map.of());
        assertThat(destroyed.json().path("status").asText()).as(destroyed.body()).isEqualTo("TERMINATING");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(60));

        assertThat(s.path("status_info").asText()).isEqualTo("user-requested");
        assertThat(history(s)).containsSubsequence("RUNNING", "TERMINATING", "TERMINATED");
        assertThat(logs(id)).contains("up");
        assertThat(plane.agentStore().find(again.id).orElseThrow().occupiedSlots().isEmpty()).isTrue();
        noContainerNorEnvFileLeft(again, id);
    }
}
