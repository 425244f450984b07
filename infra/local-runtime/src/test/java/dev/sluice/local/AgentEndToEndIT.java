package dev.sluice.local;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.agent.AgentConfig;
import dev.sluice.agent.AgentLoop;
import dev.sluice.agent.Capacity;
import dev.sluice.agent.HttpControlPlane;
import dev.sluice.agent.MountStager;
import dev.sluice.agent.StagingRuntime;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Sessions really run: a real agent (the agent module's loop, its HTTP client, the process runtime) heartbeats to the
 * stack in the emulator, and sessions created through the API go through their whole life on it.
 */
class AgentEndToEndIT {
    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;
    private final String user;
    private final List<RunningAgent> agents = new ArrayList<>();

    AgentEndToEndIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
        user = local.token("e2e-user");
    }

    /** An agent run in a thread of this JVM, against the deployed stack, with its own work directory. */
    final class RunningAgent {
        final String id;
        final Path workDir;
        final AgentLoop loop;
        final ProcessRuntime runtime;
        final Thread thread;

        RunningAgent(String id, String group, Path workDir) throws Exception {
            this(id, group, workDir, Optional.empty());
        }

        /** With user ids, each session runs as a user of its own, as `sluice-local up` (as root) and hosts run it. */
        RunningAgent(String id, String group, Path workDir, Optional<ProcessRuntime.Uids> uids) throws Exception {
            this.id = id;
            this.workDir = workDir;
            Path token = workDir.resolve("token");
            Files.createDirectories(workDir);
            Files.writeString(token, local.agentToken(id));
            Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            AgentConfig config = AgentConfig.load(Optional.empty(), Map.of(
                    "SLUICE_AGENT_API_ENDPOINT", local.apiUrl, "SLUICE_AGENT_RESOURCE_GROUP", group,
                    "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                    "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "process",
                    "SLUICE_AGENT_WORK_DIR", workDir.toString(), "SLUICE_AGENT_STOP_GRACE", "2s"));
            if (uids.isPresent()) {
                Files.setPosixFilePermissions(workDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
                runtime = new ProcessRuntime(workDir, uids.get());
            } else {
                runtime = new ProcessRuntime(workDir);
            }
            // As the agent's Main wires it: folders are copied onto the host around the process runtime.
            HttpControlPlane client = new HttpControlPlane(config);
            loop = new AgentLoop(config, id, new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "1"),
                    Map.of("cuda.driver", "fake"), "x86_64", List.of("GPU-fake-0")), client,
                    new StagingRuntime(runtime, new MountStager(client), workDir), Clock.systemUTC());
            loop.recover();
            thread = new Thread(loop::run, "agent-" + id);
            thread.setDaemon(true);
            thread.start();
            agents.add(this);
        }

        /** Gone without a word: no more heartbeats or reports; its processes stay (as on a host that fell off the network). */
        void crash() throws InterruptedException {
            loop.halt();
            thread.join(5_000);
        }
    }

    @AfterEach
    void stopAgents() throws InterruptedException {
        for (RunningAgent a : agents) {
            a.crash();
            for (var w : a.runtime.discover()) {
                a.runtime.stop(w.sessionId(), Duration.ZERO);
            }
        }
    }

    private String newGroup() {
        String group = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        return group;
    }

    private RunningAgent agent(String group) throws Exception {
        String id = "i-" + UUID.randomUUID().toString().substring(0, 12);
        return new RunningAgent(id, group, Files.createTempDirectory("sluice-agent-"));
    }

    private static final java.util.concurrent.atomic.AtomicInteger ISOLATED = new java.util.concurrent.atomic.AtomicInteger();

    /** An agent whose sessions run as users of their own: a range of user ids no other agent of this run uses. */
    private RunningAgent isolatedAgent(String group) throws Exception {
        assertThat(ProcessRuntime.runningAsRoot()).as("agents that run sessions as users of their own run as root (as CI does)").isTrue();
        String id = "i-" + UUID.randomUUID().toString().substring(0, 12);
        int first = 240_000 + 100 * ISOLATED.getAndIncrement();
        return new RunningAgent(id, group, Files.createTempDirectory("sluice-agent-"), Optional.of(new ProcessRuntime.Uids(first, first + 99)));
    }

    private String create(String group, String extra) {
        ApiClient.Reply r = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}" + extra + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    private JsonNode await(String id, String status, Duration within) throws InterruptedException {
        return api.awaitSession(id, user, status, within);
    }

    private static List<String> history(JsonNode s) {
        return ApiClient.history(s);
    }

    @Test
    void aSessionReadsItsFoldersOnTheHostAndWhatItWritesToAWritableOneIsSaved() throws Exception {
        String group = newGroup();
        RunningAgent agent = agent(group);
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
        s3.putObject(b -> b.bucket(bucket).key(outPrefix + "previous.txt"), RequestBody.fromString("kept"));

        String dataVar = "$SLUICE_MOUNT_" + data.toUpperCase().replace('-', '_');
        String outVar = "$SLUICE_MOUNT_" + out.toUpperCase().replace('-', '_');
        String id = create(group, ",\"type\":\"batch\",\"mounts\":[\"" + data + "\",\"" + out + "\"],\"startup_command\":\"tr ' ' '+' < "
                + dataVar + "/in/numbers.txt > " + outVar + "/sum.txt && cat " + outVar + "/previous.txt\"");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));

        assertThat(s.path("result").asText()).as(s.toString()).isEqualTo("SUCCESS");
        assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText()).as("the writable folder's files were there")
                .contains("kept");
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(outPrefix + "sum.txt")).asUtf8String()).isEqualTo("1+2+3\n");
        assertThat(s3.listObjectsV2(b -> b.bucket(bucket).prefix(dataPrefix)).keyCount()).as("nothing written to the read-only folder")
                .isEqualTo(1);
        // The agent's copies are removed with the session's workload once its end is reported.
        Instant deadline = Instant.now().plusSeconds(10);
        while (Files.exists(agent.workDir.resolve("mounts/" + id)) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(agent.workDir.resolve("mounts/" + id)).doesNotExist();

        // Another agent gets no URL for this session's folders; its own agent none once the session has ended.
        ApiClient.Reply stranger = api.get("/agent/sessions/" + id + "/mounts/" + data + "/files", local.agentToken("i-someone-else"));
        assertThat(stranger.status()).as(stranger.body()).isEqualTo(404);
        ApiClient.Reply ended = api.get("/agent/sessions/" + id + "/mounts/" + data + "/files", local.agentToken(agent.id));
        assertThat(ended.status()).as("its kernel is released: the session is no longer on the agent; " + ended.body()).isEqualTo(404);
    }

    /**
     * Issue 14, item 1: a batch session read the agent's token through {@code $SLUICE_DIR/../../../agent-token} and, with
     * it, got presigned URLs for another user's running session's folder. Neither holds: the workload runs as a user of
     * its own that reaches neither the token nor the other session's copy, and a copied token gets no URL for a session
     * that is already running.
     */
    @Test
    void aWorkloadCannotReadTheAgentsTokenNorAnotherUsersFolderAndACopiedTokenIsRefusedForARunningSession() throws Exception {
        String group = newGroup();
        RunningAgent agent = isolatedAgent(group);
        String bob = local.token("e2e-bob");
        String folder = "bob-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply f = api.post("/folders", bob, "{\"name\":\"" + folder + "\"}");
        assertThat(f.status()).as(f.body()).isEqualTo(201);
        S3Client s3 = S3Client.builder().forcePathStyle(true).build();
        String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
        s3.putObject(b -> b.bucket(bucket).key("folders/" + f.json().path("id").asText() + "/secret.txt"), RequestBody.fromString("bob's secret"));
        ApiClient.Reply b = api.post("/sessions", bob, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"mounts\":[\"" + folder + "\"]}");
        assertThat(b.status()).as(b.body()).isEqualTo(201);
        String bobSession = b.json().path("id").asText();
        Instant deadline = Instant.now().plusSeconds(30);
        while (!api.get("/sessions/" + bobSession, bob).json().path("status").asText().equals("RUNNING") && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertThat(api.get("/sessions/" + bobSession, bob).json().path("status").asText()).isEqualTo("RUNNING");
        Path bobsCopy = agent.workDir.resolve("mounts/" + bobSession + "/" + folder + "/secret.txt");
        assertThat(Files.readString(bobsCopy)).as("bob's folder is on the host").isEqualTo("bob's secret");

        // The token, copied out of the agent: no URL for the running session's folder.
        ApiClient.Reply copied = api.get("/agent/sessions/" + bobSession + "/mounts/" + folder + "/files", local.agentToken(agent.id));
        assertThat(copied.status()).as("no listing for a running session: %.300s", copied.body()).isEqualTo(409);
        assertThat(copied.body()).doesNotContain("X-Amz").doesNotContain("secret.txt").contains("RUNNING");

        // Alice's workload, on the same agent, tries what the issue did.
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":" + dev.sluice.adapters.json.Json.write(""
                + "echo \"uid $(id -u)\"\n"
                + "cut -d. -f2 \"$SLUICE_DIR/../../../token\" | base64 -d; echo\n"
                + "cat " + agent.workDir.resolve("token") + " 2>&1\n"
                + "cat " + bobsCopy + " 2>&1\n"
                + "ls " + agent.workDir.resolve("mounts") + " " + agent.workDir.resolve("sessions") + " 2>&1\n"
                + "echo tried"));
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        String out = api.get("/sessions/" + id + "/logs", user).json().path("text").asText();
        assertThat(out).as(s.toString()).contains("tried");
        assertThat(out).doesNotContain(agent.id).doesNotContain("bob's secret").doesNotContain("eyJ");
        assertThat(out).containsPattern("uid 2400\\d\\d\n");
        assertThat(out.lines().filter(l -> l.contains("Permission denied")).count()).as(out).isEqualTo(5);
        api.call("DELETE", "/sessions/" + bobSession, bob, null, Map.of());
    }

    /**
     * Issue 14, item 2: staging {@code coll} deleted the folder {@code coll.parts} (its temporary directory), and
     * {@code mf.sluice-manifest.json} collided with {@code mf}'s manifest. Every folder arrives whole.
     */
    @Test
    void foldersNamedLikeAnotherFoldersStagingFilesAllArrive() throws Exception {
        String group = newGroup();
        isolatedAgent(group);
        String x = UUID.randomUUID().toString().substring(0, 8);
        List<String> names = List.of("coll-" + x, "coll-" + x + ".parts", "mf-" + x, "mf-" + x + ".sluice-manifest.json");
        S3Client s3 = S3Client.builder().forcePathStyle(true).build();
        String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
        StringBuilder command = new StringBuilder("set -e\n");
        for (String name : names) {
            ApiClient.Reply f = api.post("/folders", user, "{\"name\":\"" + name + "\"}");
            assertThat(f.status()).as(f.body()).isEqualTo(201);
            s3.putObject(b -> b.bucket(bucket).key("folders/" + f.json().path("id").asText() + "/in.txt"), RequestBody.fromString("in " + name));
            command.append("cat \"$").append(dev.sluice.core.session.SessionSpec.mountVariable(name)).append("/in.txt\"; echo\n");
        }
        String mounts = names.stream().map(n -> "\"" + n + "\"").collect(java.util.stream.Collectors.joining(","));
        String id = create(group, ",\"type\":\"batch\",\"mounts\":[" + mounts + "],\"startup_command\":"
                + dev.sluice.adapters.json.Json.write(command.toString()));
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).as(s.toString()).isEqualTo("SUCCESS");
        String out = api.get("/sessions/" + id + "/logs", user).json().path("text").asText();
        for (String name : names) {
            assertThat(out).contains("in " + name + "\n");
        }
    }

    @Test
    void aBatchSessionRunsToSuccessAndItsOutputIsKept() throws Exception {
        String group = newGroup();
        agent(group);
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":\"echo hello from $SLUICE_SESSION_ID; echo GPU=$CUDA_VISIBLE_DEVICES\"");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
        assertThat(s.path("status_info").asText()).isEqualTo("task-finished");
        assertThat(s.path("status_data").path("exit_code").asInt()).isZero();
        assertThat(history(s)).containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");
        assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText())
                .contains("hello from " + id).contains("GPU=GPU-fake-0");
    }

    /** Where a session's output was kept: its item next to the session's, its object in the logs bucket. */
    private boolean outputItemExists(String id) {
        return !dev.sluice.adapters.aws.AwsClients.shared().dynamoDb().getItem(b -> b.tableName(local.functionEnvironment().get("SESSIONS_TABLE"))
                .key(Map.of("id", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(id + "#out"))).consistentRead(true))
                .item().isEmpty();
    }

    private boolean outputObjectExists(String id) {
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            s3.headObject(b -> b.bucket(local.functionEnvironment().get("SESSION_LOGS_BUCKET")).key("logs/" + id));
            return true;
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void aSmallOutputIsKeptWithTheSessionsEndAndALargerOneInTheLogsBucketBothReadTheSameWay() throws Exception {
        String group = newGroup();
        agent(group);
        String small = create(group, ",\"type\":\"batch\",\"startup_command\":\"echo small output of $SLUICE_SESSION_ID\"");
        // 40 lines of 100 characters: about 4 KiB, more than is kept with the write.
        String large = create(group, ",\"type\":\"batch\",\"startup_command\":"
                + dev.sluice.adapters.json.Json.write("i=0; while [ $i -lt 40 ]; do printf '%0100d\\n' $i; i=$((i+1)); done; echo LARGE-END"));
        await(small, "TERMINATED", Duration.ofSeconds(30));
        await(large, "TERMINATED", Duration.ofSeconds(30));

        assertThat(api.get("/sessions/" + small + "/logs", user).json().path("text").asText()).isEqualTo("small output of " + small + "\n");
        assertThat(outputItemExists(small)).as("kept in the sessions table with the end").isTrue();
        assertThat(outputObjectExists(small)).as("no PUT to the logs bucket").isFalse();

        String text = api.get("/sessions/" + large + "/logs", user).json().path("text").asText();
        assertThat(text).endsWith("LARGE-END\n").contains(String.format("%0100d", 39));
        assertThat(outputObjectExists(large)).as("in the logs bucket").isTrue();
        assertThat(outputItemExists(large)).isFalse();
    }

    @Test
    void outputFullOfCharactersThatEscapeInJsonIsStoredUpToItsLastLine() throws Exception {
        String group = newGroup();
        agent(group);
        // 600 lines of 64 quotes, backslashes and control characters each: every one escapes to 2 to 6 bytes in JSON.
        String command = "s='\\042\\134\\001'; for k in 1 2 3 4 5 6; do s=\"$s$s\"; done; i=0; "
                + "while [ $i -lt 600 ]; do printf \"$s line %d\\n\" $i; i=$((i+1)); done; echo THE-END";
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":" + dev.sluice.adapters.json.Json.write(command));
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).as(s.toString()).isEqualTo("SUCCESS");
        ApiClient.Reply logs = api.get("/sessions/" + id + "/logs", user);
        assertThat(logs.status()).as(logs.body()).isEqualTo(200);
        String text = logs.json().path("text").asText();
        assertThat(text).as("the tail up to the last line was stored").endsWith("THE-END\n").contains("\"\\\u0001\"\\\u0001");
        assertThat(text.lines().filter(l -> l.contains(" line ")).count()).as("as many whole lines as fit").isGreaterThan(50);
    }

    @Test
    void aFailingBatchSessionIsAFailureWithItsExitCode() throws Exception {
        String group = newGroup();
        agent(group);
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":\"echo about to fail >&2; exit 3\"");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).isEqualTo("FAILURE");
        assertThat(s.path("status_info").asText()).isEqualTo("task-failed");
        assertThat(s.path("status_data").path("exit_code").asInt()).isEqualTo(3);
        assertThat(api.get("/sessions/" + id + "/logs", user).json().path("text").asText()).contains("about to fail");
    }

    @Test
    void aBatchSessionPastItsTimeoutIsKilledAndFails() throws Exception {
        String group = newGroup();
        agent(group);
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":\"sleep 60\",\"batch_timeout\":\"2s\"");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).isEqualTo("FAILURE");
        assertThat(s.path("status_info").asText()).isEqualTo("task-timeout");
        Instant running = Instant.parse(s.path("status_history").get(3).path("at").asText());
        Instant ended = Instant.parse(s.path("status_history").get(4).path("at").asText());
        assertThat(Duration.between(running, ended)).as("killed at its timeout (timestamps are the control plane's, taken when the reports arrive)").isBetween(Duration.ofMillis(1500), Duration.ofSeconds(15));
    }

    @Test
    void anInteractiveSessionRunsUntilDestroyedAndTheAgentStopsIt() throws Exception {
        String group = newGroup();
        RunningAgent a = agent(group);
        String id = create(group, "");
        await(id, "RUNNING", Duration.ofSeconds(30));
        assertThat(a.runtime.discover()).anySatisfy(w -> {
            assertThat(w.sessionId()).isEqualTo(id);
            assertThat(w.running()).isTrue();
        });
        ApiClient.Reply destroyed = api.call("DELETE", "/sessions/" + id, user, null, Map.of());
        assertThat(destroyed.json().path("status").asText()).isEqualTo("TERMINATING");
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("status_info").asText()).isEqualTo("user-requested");
        assertThat(history(s)).containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATING", "TERMINATED");
        assertThat(plane.agentStore().find(a.id).orElseThrow().occupiedSlots().isEmpty()).isTrue();
        Instant deadline = Instant.now().plusSeconds(10);
        while (!a.runtime.discover().isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(a.runtime.discover()).as("the ended session's process and directory are gone").isEmpty();
    }

    @Test
    void anAgentKilledMidSessionIsLostItsSessionEndsInErrorAndTheNextSessionRunsElsewhere() throws Exception {
        String group = newGroup();
        RunningAgent first = agent(group);
        String id = create(group, "");
        await(id, "RUNNING", Duration.ofSeconds(30));
        first.crash();

        local.agentSilentPastTheTimeout(first.id);
        new AgentApiIT().sweep();
        JsonNode s = await(id, "ERROR", Duration.ofSeconds(5));
        assertThat(s.path("status_info").asText()).isEqualTo("agent-lost");
        assertThat(plane.agentStore().find(first.id).orElseThrow().status()).isEqualTo(AgentStatus.LOST);
        assertThat(plane.agentStore().find(first.id).orElseThrow().occupiedSlots().isEmpty()).isTrue();

        RunningAgent second = agent(group);
        String next = create(group, ",\"type\":\"batch\",\"startup_command\":\"echo elsewhere\"");
        JsonNode done = await(next, "TERMINATED", Duration.ofSeconds(30));
        assertThat(done.path("agent_id").asText()).isEqualTo(second.id);
        assertThat(done.path("result").asText()).isEqualTo("SUCCESS");
    }

    @Test
    void aRestartedAgentFollowsWhatStillRunsAndAnswersRepeatedNeverStartTwice() throws Exception {
        String group = newGroup();
        RunningAgent first = agent(group);
        String id = create(group, ",\"type\":\"batch\",\"startup_command\":\"sleep 4; echo finished\"");
        await(id, "RUNNING", Duration.ofSeconds(30));
        first.crash();
        long processes = first.runtime.discover().stream().filter(w -> w.running()).count();
        assertThat(processes).isEqualTo(1);

        // The same host starts its agent again, on the same work directory: the batch job is followed to its end.
        RunningAgent again = new RunningAgent(first.id, group, first.workDir);
        JsonNode s = await(id, "TERMINATED", Duration.ofSeconds(30));
        assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
        assertThat(history(s)).containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATED");

        // A heartbeat answer handed over twice (a retried request, a duplicated response) starts one process only.
        String interactive = create(group, "");
        JsonNode reply = null;
        Instant deadline = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(deadline)) {
            reply = api.post("/agent/heartbeat", local.agentToken(again.id), AgentApiIT.heartbeat(group, "1", "")).json();
            if (reply.path("assignments").size() == 1) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(reply.path("assignments")).hasSize(1);
        again.loop.handle(reply);
        again.loop.handle(reply);
        await(interactive, "RUNNING", Duration.ofSeconds(30));
        again.loop.handle(reply);
        // Each answer is applied before handle returns: a second start would have been asked of the runtime by now.
        assertThat(again.loop.starts(interactive)).as("the runtime was asked to start it once").isEqualTo(1);
        assertThat(again.loop.awaitSettled(Duration.ofSeconds(15))).as("every report acknowledged, every stop returned").isTrue();
        assertThat(again.runtime.discover().stream().filter(w -> w.sessionId().equals(interactive)).count()).isEqualTo(1);
        long children = ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args)).orElse("").contains("SLUICE_COMMAND")).count();
        assertThat(children).as("one wrapper process for the session").isLessThanOrEqualTo(1);
        assertThat(history(api.get("/sessions/" + interactive, user).json()))
                .containsExactly("PENDING", "SCHEDULED", "PREPARING", "RUNNING");
    }
}
