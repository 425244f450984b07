package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.agent.AgentConfig;
import dev.sluice.agent.AgentLoop;
import dev.sluice.agent.Capacity;
import dev.sluice.agent.HttpControlPlane;
import dev.sluice.agent.ImdsPoller;
import dev.sluice.agent.MountStager;
import dev.sluice.agent.StagingRuntime;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Spot interruptions against the stack in the emulator (issue 17, item 5). EC2's events, in AWS's own shape, reach the
 * stack's SpotInterruptionFunction as its rules on the DEFAULT bus deliver them ({@link #deliver}: the emulator keeps
 * the {@code aws.*} sources to AWS, so the deployed rules' patterns are checked against the event and the function is
 * invoked with it through the Lambda API): the agent is drained, its
 * heartbeat answer carries the deadline, and a real agent (the agent module's loop, its HTTP client, staging around the
 * process runtime) gives its batch workload SIGTERM with the deadline; the workload checkpoints into its writable
 * folder, which is saved to S3, and the session ends ERROR {@code spot-interrupted}. The agent's own IMDS poller, in
 * the agent jar run as a process of its own against a real HTTP stand-in for the metadata service, does the same
 * without the control plane's word.
 */
class SpotInterruptionIT {
    private final LocalStack local;
    private final ApiClient api;
    private final ControlPlane plane;
    private final String user;
    private final List<AgentLoop> loops = new ArrayList<>();
    private final List<ProcessRuntime> runtimes = new ArrayList<>();
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<ImdsPoller> pollers = new ArrayList<>();

    SpotInterruptionIT() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        plane = local.controlPlane();
        user = local.token("spot-user");
    }

    @AfterEach
    void stop() {
        pollers.forEach(ImdsPoller::stop);
        loops.forEach(AgentLoop::halt);
        for (ProcessRuntime r : runtimes) {
            r.discover().forEach(w -> r.stop(w.sessionId(), Duration.ZERO));
        }
        servers.forEach(s -> s.stop(0));
    }

    private String newGroup() {
        String group = "spot-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options",
                Map.of("allowed_session_types", List.of("interactive", "batch")))), Instant.now(), Instant.now()));
        return group;
    }

    private static String instanceId() {
        return "i-" + UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    }

    /**
     * EC2's event, in AWS's shape, delivered as the stack's rule on the default bus delivers it. The emulator, as AWS
     * does, refuses a PutEvents with an {@code aws.*} source from anyone but AWS itself (NotAuthorizedForSourceException),
     * so the rule cannot be fired from here: instead the rule the template deployed on the default bus is found (its
     * target is the function), its pattern is checked against the event with TestEventPattern (the other rule's must
     * not match it), and the function is invoked with the event through the Lambda API, as the rule would invoke it.
     */
    private Map<String, Object> deliver(String detailType, String instance, Instant time) {
        String event = event(detailType, instance, time);
        try (EventBridgeClient events = EventBridgeClient.builder().build()) {
            PutEventsResponse put = events.putEvents(b -> b.entries(e -> e.source("aws.ec2").detailType(detailType).time(time)
                    .detail(event.substring(event.indexOf("\"detail\":") + 9, event.length() - 1))));
            assertThat(put.entries().get(0).errorCode()).as("the emulator, as AWS, keeps aws.* sources to AWS")
                    .isEqualTo("NotAuthorizedForSourceException");
            String function = local.functionNamed("SpotInterruption");
            List<String> matching = new ArrayList<>();
            int rules = 0;
            for (var rule : events.listRules(b -> b.eventBusName("default")).rules()) {
                boolean ours = events.listTargetsByRule(b -> b.rule(rule.name()).eventBusName("default")).targets().stream()
                        .anyMatch(t -> t.arn().contains(":function:" + function));
                if (!ours) {
                    continue;
                }
                rules++;
                if (events.testEventPattern(b -> b.eventPattern(rule.eventPattern()).event(event)).result()) {
                    matching.add(rule.name());
                }
            }
            assertThat(rules).as("the template's two rules on the default bus target the function").isEqualTo(2);
            assertThat(matching).as("exactly one of them matches " + detailType).hasSize(1);
        }
        return invoke(event);
    }

    private ApiClient.Reply heartbeat(String agentId, String group) {
        return api.post("/agent/heartbeat", local.agentToken(agentId), "{\"resource_group\":\"" + group
                + "\",\"available_slots\":{\"cpu\":\"4\",\"mem\":\"8g\"},\"architecture\":\"x86_64\",\"version\":\"0.2.0\",\"running\":[]}");
    }

    private Agent awaitAgent(String id, java.util.function.Predicate<Agent> condition, Duration within) throws InterruptedException {
        Instant end = Instant.now().plus(within);
        Optional<Agent> a = plane.agentStore().find(id);
        while (a.isEmpty() || !condition.test(a.get())) {
            assertThat(Instant.now()).as("agent " + id + " as expected within " + within + ": " + a).isBefore(end);
            Thread.sleep(100);
            a = plane.agentStore().find(id);
        }
        return a.get();
    }

    @Test
    void aWarningOnTheDefaultBusDrainsTheAgentAtOnceAndItsHeartbeatAnswerCarriesTheDeadline() throws Exception {
        String group = newGroup();
        String agent = instanceId();
        String bus = local.stack.outputs().get("EventBusName");
        try (EventBridgeClient events = EventBridgeClient.builder().build(); SqsClient sqs = SqsClient.builder().build()) {
            // The scheduler's trigger, Agent Capacity Changed on Sluice's bus, caught in a queue of the test's own.
            String queueUrl = sqs.createQueue(b -> b.queueName("spot-it-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "spot-it-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of("source", List.of("sluice.agents"),
                    "detail", Map.of("agent_id", List.of(agent), "reason", List.of("interrupted"))))));
            events.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));

            ApiClient.Reply first = heartbeat(agent, group);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            assertThat(first.json().has("interruption")).isFalse();
            assertThat(first.json().path("heartbeat_interval").asInt()).isEqualTo(1);
            assertThat(first.json().path("agent").path("schedulable").asBoolean()).isTrue();

            Instant time = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            assertThat(deliver("EC2 Spot Instance Interruption Warning", agent, time)).containsEntry("outcome", "drained")
                    .containsEntry("deadline", time.plusSeconds(120).toString()).containsEntry("resource_group", group);

            Agent drained = awaitAgent(agent, a -> !a.schedulable(), Duration.ofSeconds(15));
            assertThat(drained.interruption()).isPresent();
            assertThat(drained.interruption().get().deadline()).contains(time.plusSeconds(120));
            assertThat(drained.interruption().get().source()).isEqualTo("spot-interruption-warning");

            ApiClient.Reply answer = heartbeat(agent, group);
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.json().path("interruption").path("deadline").asText()).isEqualTo(time.plusSeconds(120).toString());
            assertThat(answer.json().path("interruption").path("source").asText()).isEqualTo("spot-interruption-warning");
            assertThat(answer.json().path("agent").path("schedulable").asBoolean()).as("a heartbeat keeps the drain").isFalse();
            assertThat(answer.json().path("heartbeat_interval").asInt()).isLessThanOrEqualTo(2);

            // The scheduler hears of it (and so passes over the group, and the fleet asks for capacity) at once.
            List<JsonNode> received = new ArrayList<>();
            Instant end = Instant.now().plusSeconds(15);
            while (received.isEmpty() && Instant.now().isBefore(end)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            assertThat(received).hasSize(1);
            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/agent-capacity-changed.schema.json")));
            assertThat(schema.validate(received.get(0))).as(received.get(0).toString()).isEmpty();
            assertThat(received.get(0).path("detail").path("resource_group").asText()).isEqualTo(group);

            // The same warning delivered again changes nothing.
            Map<String, Object> again = invoke(event("EC2 Spot Instance Interruption Warning", agent, time.plusSeconds(5)));
            assertThat(again).containsEntry("outcome", "already-recorded");
            assertThat(plane.agentStore().find(agent).orElseThrow().interruption().get().deadline()).contains(time.plusSeconds(120));
        }
    }

    @Test
    void aRebalanceRecommendationOnlyDrainsAndAnInstanceWithoutAnAgentChangesNothing() throws Exception {
        String group = newGroup();
        String agent = instanceId();
        assertThat(heartbeat(agent, group).status()).isEqualTo(200);
        {
            Instant time = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            assertThat(deliver("EC2 Instance Rebalance Recommendation", agent, time)).containsEntry("outcome", "drained");
            Agent drained = awaitAgent(agent, a -> !a.schedulable(), Duration.ofSeconds(15));
            assertThat(drained.interruption().get().source()).isEqualTo("rebalance-recommendation");
            assertThat(drained.interruption().get().deadline()).isEmpty();
            ApiClient.Reply answer = heartbeat(agent, group);
            assertThat(answer.json().has("interruption")).as("no deadline: nothing for the agent to stop; " + answer.body()).isFalse();
            assertThat(answer.json().path("agent").path("schedulable").asBoolean()).isFalse();

            // A warning after it: the deadline is recorded and told.
            assertThat(deliver("EC2 Spot Instance Interruption Warning", agent, time.plusSeconds(30))).containsEntry("outcome", "drained");
            assertThat(heartbeat(agent, group).json().path("interruption").path("deadline").asText())
                    .isEqualTo(time.plusSeconds(150).toString());
            // A rebalance recommendation after the warning replaces nothing.
            assertThat(invoke(event("EC2 Instance Rebalance Recommendation", agent, time.plusSeconds(40))))
                    .containsEntry("outcome", "already-recorded");
        }
        String stranger = instanceId();
        Map<String, Object> none = invoke(event("EC2 Spot Instance Interruption Warning", stranger, Instant.now()));
        assertThat(none).containsEntry("outcome", "no-agent");
        assertThat(plane.agentStore().find(stranger)).as("nothing written for an instance no agent has").isEmpty();
        assertThat(invoke("{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{}}"))
                .containsEntry("outcome", "ignored");
    }

    private static String event(String detailType, String instance, Instant time) {
        String detail = detailType.contains("Spot")
                ? "{\"instance-id\":\"" + instance + "\",\"instance-action\":\"terminate\"}"
                : "{\"instance-id\":\"" + instance + "\"}";
        return "{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"" + detailType + "\",\"source\":\"aws.ec2\","
                + "\"account\":\"000000000000\",\"time\":\"" + time + "\",\"region\":\"us-east-1\",\"resources\":"
                + "[\"arn:aws:ec2:us-east-1:000000000000:instance/" + instance + "\"],\"detail\":" + detail + "}";
    }

    /** The function invoked through the emulator's Lambda API, as the rule invokes it. */
    private Map<String, Object> invoke(String event) {
        try (LambdaClient lambda = LambdaClient.builder().build()) {
            var r = lambda.invoke(b -> b.functionName(local.functionNamed("SpotInterruption")).payload(SdkBytes.fromUtf8String(event)));
            String payload = r.payload().asUtf8String();
            assertThat(r.functionError()).as(payload).isNull();
            return Json.readObjectUnchecked(payload);
        }
    }

    /** A real agent in a thread of this JVM, as AgentEndToEndIT runs one, with an IMDS stand-in when given one. */
    private AgentLoop agent(String id, String group, Optional<String> imds) throws Exception {
        Path workDir = Files.createTempDirectory("sluice-spot-");
        Path token = workDir.resolve("token");
        Files.writeString(token, local.agentToken(id));
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "SLUICE_AGENT_API_ENDPOINT", local.apiUrl, "SLUICE_AGENT_RESOURCE_GROUP", group,
                "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_RUNTIME", "process",
                "SLUICE_AGENT_WORK_DIR", workDir.toString(), "SLUICE_AGENT_STOP_GRACE", "2s"));
        imds.ifPresent(url -> env.put("SLUICE_AGENT_IMDS_ENDPOINT", url));
        AgentConfig config = AgentConfig.load(Optional.empty(), env);
        ProcessRuntime runtime = new ProcessRuntime(workDir);
        runtimes.add(runtime);
        HttpControlPlane client = new HttpControlPlane(config);
        AgentLoop loop = new AgentLoop(config, id, new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "1"),
                Map.of("cuda.driver", "fake"), "x86_64", List.of("GPU-fake-0")), client,
                new StagingRuntime(runtime, new MountStager(client), workDir), Clock.systemUTC());
        loop.recover();
        loops.add(loop);
        Thread t = new Thread(loop::run, "agent-" + id);
        t.setDaemon(true);
        t.start();
        if (imds.isPresent()) {
            // As the agent's Main starts it.
            ImdsPoller p = new ImdsPoller(config.imdsEndpoint(), config.imdsPoll(), config.imdsInterval(), loop::interrupted, System.out::println);
            pollers.add(p);
            p.start();
        }
        return loop;
    }

    private final List<Process> processes = new ArrayList<>();

    /**
     * The agent as a process of its own, from the agent jar (as `sluice-local up` and EC2 hosts run it: its Main wires
     * the IMDS poller), pointed at the IMDS stand-in by {@code SLUICE_AGENT_IMDS_ENDPOINT}.
     */
    private Process agentProcess(String id, String group, String imds) throws Exception {
        Path workDir = Files.createTempDirectory("sluice-spot-proc-");
        Path token = workDir.resolve("token");
        Files.writeString(token, local.agentToken(id));
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = workDir.resolve("agent.log");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-jar",
                LocalStack.ROOT.resolve("agent/target/sluice-agent.jar").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SLUICE_AGENT_API_ENDPOINT", local.apiUrl);
        env.put("SLUICE_AGENT_AGENT_ID", id);
        env.put("SLUICE_AGENT_RESOURCE_GROUP", group);
        env.put("SLUICE_AGENT_AUTH", "token");
        env.put("SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString());
        env.put("SLUICE_AGENT_RUNTIME", "process");
        env.put("SLUICE_AGENT_SINGLE_TENANT", "true");
        env.put("SLUICE_AGENT_SLOTS", "cpu=4,mem=8g,cuda.device=1");
        env.put("SLUICE_AGENT_WORK_DIR", workDir.toString());
        env.put("SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s");
        env.put("SLUICE_AGENT_IMDS_ENDPOINT", imds);
        Process p = pb.start();
        processes.add(p);
        logs.add(log);
        return p;
    }

    private final List<Path> logs = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (Path log : logs) {
            System.out.println("agent log " + log + ":\n" + Files.readString(log));
        }
    }

    /** A batch session that works until SIGTERM, then checkpoints (with its deadline) into its writable folder. */
    private record Checkpointing(String sessionId, String bucket, String prefix) {
    }

    private Checkpointing checkpointingSession(String group) {
        String out = "ckpt-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply folder = api.post("/folders", user, "{\"name\":\"" + out + "\"}");
        assertThat(folder.status()).as(folder.body()).isEqualTo(201);
        String outVar = "$SLUICE_MOUNT_" + out.toUpperCase().replace('-', '_');
        String command = "trap '. \"$SLUICE_DEADLINE_FILE\"; echo \"step 42 until $SLUICE_DEADLINE ($SLUICE_DEADLINE_EPOCH) from "
                + "$SLUICE_INTERRUPTION_SOURCE\" > " + outVar + "/checkpoint.txt; exit 0' TERM; echo working; "
                + "while true; do sleep 0.1; done";
        ApiClient.Reply r = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"type\":\"batch\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1},\"mounts\":[\"" + out
                + "\"],\"startup_command\":" + Json.write(command) + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return new Checkpointing(r.json().path("id").asText(), local.functionEnvironment().get("FOLDER_BUCKET"),
                "folders/" + folder.json().path("id").asText() + "/");
    }

    private void assertInterruptedAndSaved(Checkpointing c, String source, Instant deadline) throws Exception {
        JsonNode s = api.awaitSession(c.sessionId(), user, "ERROR", Duration.ofSeconds(30));
        assertThat(s.path("status_info").asText()).as(s.toString()).isEqualTo("spot-interrupted");
        assertThat(s.path("result").asText()).isEqualTo("FAILURE");
        JsonNode data = s.path("status_data");
        assertThat(data.path("interruption_source").asText()).as(data.toString()).isEqualTo(source);
        assertThat(data.path("deadline").asText()).isEqualTo(deadline.toString());
        assertThat(Instant.parse(data.path("signaled_at").asText())).isBefore(deadline);
        assertThat(data.path("exit_code").asInt()).isZero();
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            assertThat(s3.getObjectAsBytes(b -> b.bucket(c.bucket()).key(c.prefix() + "checkpoint.txt")).asUtf8String())
                    .as("the checkpoint written after SIGTERM was saved with the writable folder")
                    .isEqualTo("step 42 until " + deadline + " (" + deadline.getEpochSecond() + ") from " + source + "\n");
        }
    }

    @Test
    void aBatchSessionOnARealAgentEndsSpotInterruptedWithItsCheckpointSavedWhenTheWarningComesThroughTheBus() throws Exception {
        String group = newGroup();
        String agent = instanceId();
        agent(agent, group, Optional.empty());
        Checkpointing c = checkpointingSession(group);
        api.awaitSession(c.sessionId(), user, "RUNNING", Duration.ofSeconds(30));
        Instant time = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        assertThat(deliver("EC2 Spot Instance Interruption Warning", agent, time)).containsEntry("outcome", "drained");
        assertInterruptedAndSaved(c, "spot-interruption-warning", time.plusSeconds(120));
        // Nothing new is placed on it: another session of its group waits.
        ApiClient.Reply next = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"type\":\"batch\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"startup_command\":\"true\"}");
        assertThat(next.status()).as(next.body()).isEqualTo(201);
        Thread.sleep(3_000);
        assertThat(api.get("/sessions/" + next.json().path("id").asText(), user).json().path("status").asText()).isEqualTo("PENDING");
    }

    /**
     * Issue 17's "must show": an interruption during a batch session that declares {@code retry} on
     * {@code spot-interrupted}. The warning goes over the default bus as {@code sluice-local interrupt} puts it (the
     * local source the stack's rule also matches there, since the emulator keeps {@code aws.*} to AWS), through the
     * rule to the function: the agent is drained and stops the workload, which checkpoints into its writable folder;
     * the end re-queues the session (its retry rule), a second agent that joins afterwards takes it, the workload
     * finds its checkpoint in the staged folder and finishes: SUCCESS, with both attempts in its history.
     */
    @Test
    void anInterruptedBatchSessionWithRetryRunsAgainOnAnotherAgentToSuccessWithBothAttemptsInItsHistory() throws Exception {
        String group = newGroup();
        String first = instanceId();
        agent(first, group, Optional.empty());
        String out = "resume-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply folder = api.post("/folders", user, "{\"name\":\"" + out + "\"}");
        assertThat(folder.status()).as(folder.body()).isEqualTo(201);
        String dir = "$SLUICE_MOUNT_" + out.toUpperCase().replace('-', '_');
        // Resumes from a checkpoint when there is one; otherwise works until SIGTERM and checkpoints.
        String command = "if [ -f " + dir + "/checkpoint.txt ]; then echo \"resumed from $(cat " + dir + "/checkpoint.txt)\" > " + dir
                + "/done.txt; exit 0; fi; trap 'echo step-42 > " + dir + "/checkpoint.txt; exit 0' TERM; "
                + "while true; do sleep 0.1; done";
        ApiClient.Reply created = api.post("/sessions", user, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"type\":\"batch\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1},\"mounts\":[\"" + out
                + "\"],\"retry\":{\"attempts\":3,\"rules\":[{\"on\":\"spot-interrupted\",\"action\":\"retry\"}]},"
                + "\"startup_command\":" + Json.write(command) + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asText();
        api.awaitSession(id, user, "RUNNING", Duration.ofSeconds(30));

        try (EventBridgeClient events = EventBridgeClient.builder().build()) {
            PutEventsResponse put = events.putEvents(b -> b.entries(e -> e.source(LocalHypervisor.LOCAL_SOURCE)
                    .detailType("EC2 Spot Instance Interruption Warning").eventBusName("default")
                    .detail("{\"instance-id\":\"" + first + "\",\"instance-action\":\"terminate\"}")));
            assertThat(put.failedEntryCount()).as(put.toString()).isZero();
        }
        JsonNode requeued = awaitAttempts(id, 1, Duration.ofSeconds(40));
        assertThat(requeued.path("status").asText()).as(requeued.toString()).isIn("PENDING", "SCHEDULED", "PREPARING", "RUNNING");
        assertThat(plane.agentStore().find(first).orElseThrow().schedulable()).as("the interrupted agent is drained").isFalse();

        String second = instanceId();
        agent(second, group, Optional.empty());
        JsonNode done = api.awaitSession(id, user, "TERMINATED", Duration.ofSeconds(60));
        assertThat(done.path("result").asText()).as(done.toString()).isEqualTo("SUCCESS");
        JsonNode attempts = done.path("attempts");
        assertThat(attempts.size()).as(done.toString()).isEqualTo(2);
        assertThat(attempts.get(0).path("agent_id").asText()).isEqualTo(first);
        assertThat(attempts.get(0).path("status_info").asText()).isEqualTo("spot-interrupted");
        assertThat(attempts.get(0).path("retried").asBoolean()).isTrue();
        assertThat(attempts.get(1).path("agent_id").asText()).isEqualTo(second);
        assertThat(attempts.get(1).path("retried").asBoolean()).isFalse();
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
            String prefix = "folders/" + folder.json().path("id").asText() + "/";
            assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + "done.txt")).asUtf8String())
                    .as("the second attempt resumed from the first one's checkpoint").isEqualTo("resumed from step-42\n");
        }
    }

    private JsonNode awaitAttempts(String id, int count, Duration within) throws InterruptedException {
        Instant until = Instant.now().plus(within);
        JsonNode s = null;
        while (Instant.now().isBefore(until)) {
            s = api.get("/sessions/" + id, user).json();
            if (s.path("attempts").size() >= count) {
                return s;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no " + count + " attempt(s) within " + within + ": " + s);
    }

    @Test
    void theAgentsOwnImdsPollerInterruptsWithoutTheControlPlanesWord() throws Exception {
        AtomicReference<String> action = new AtomicReference<>();
        HttpServer imds = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        imds.createContext("/latest/api/token", ex -> {
            byte[] body = "local-token".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(ex.getRequestMethod().equals("PUT") ? 200 : 405, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        imds.createContext("/latest/meta-data/spot/instance-action", ex -> {
            String a = "local-token".equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token")) ? action.get() : null;
            byte[] body = a == null ? new byte[0] : a.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a == null ? 404 : 200, a == null ? -1 : body.length);
            if (a != null) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        imds.start();
        servers.add(imds);
        String group = newGroup();
        String agent = instanceId();
        agentProcess(agent, group, "http://127.0.0.1:" + imds.getAddress().getPort());
        Checkpointing c = checkpointingSession(group);
        api.awaitSession(c.sessionId(), user, "RUNNING", Duration.ofSeconds(30));
        Thread.sleep(1_000);
        assertThat(api.get("/sessions/" + c.sessionId(), user).json().path("status").asText()).as("404: it runs on").isEqualTo("RUNNING");
        Instant deadline = Instant.now().plusSeconds(120).truncatedTo(ChronoUnit.SECONDS);
        action.set("{\"action\":\"terminate\",\"time\":\"" + deadline + "\"}");
        assertInterruptedAndSaved(c, "imds", deadline);
        // The agent told the control plane in its heartbeat: drained, the interruption recorded as the warning's would be.
        Agent drained = awaitAgent(agent, a -> !a.schedulable(), Duration.ofSeconds(10));
        assertThat(drained.interruption().get().source()).isEqualTo("imds");
        assertThat(drained.interruption().get().deadline()).contains(deadline);
    }
}
