package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * {@code sam local} against the emulator, on the Java 21 base image {@code sluice-local sam-image} builds (issue 22).
 *
 * <p>Each function kind (API Gateway proxy, EventBridge rule, SQS, schedule) gets a handful of invocations, with events
 * made by {@code sam local generate-event} and filled in for the request, through {@code sam local invoke} (a container
 * of the image: the real Runtime Interface Client decodes the event and encodes the answer) and through the local
 * runtime that serves the stack everywhere else; the answers must be the same. Compared: the whole answer, with by
 * design two fields left out, both written by the request log of the non-API functions: {@code requestId} (each
 * invocation's own) and {@code durationMs} (a time). An API answer is compared by its status and its body (as JSON);
 * its headers are not part of it (none carries data). Then {@code sam local start-api} serves the API on a port, and
 * the {@code sluice} CLI, as a process, creates and reads a session through it with a token of the stack's pool, as a
 * user of {@code sluice-local up} would. And {@code sam local start-lambda} answers, through the Lambda API (the AWS
 * SDK's client), an invocation of every function of the template (the list read from template.yaml) as the local
 * runtime does, the clone state machine's task with the payload its Task states give it.
 *
 * <p>The containers reach the emulator through a relay on the Docker bridge's gateway (the host as they see it),
 * named in the env-vars file made from the deployed stack ({@link SamLocal}).
 */
class SamLocalIT {
    private static final Duration SAM_TIMEOUT = Duration.ofSeconds(120);
    private static final String GROUP = "sam-local";
    /** The group of the sessions made through start-api: their passes never touch GROUP's sessions, compared above. */
    private static final String API_GROUP = "sam-local-api";
    private static LocalStack local;
    private static SamLocal.Relay relay;
    private static Path work;
    private static Path envVars;
    private static Path template;
    private static Path sam;
    private static String user;
    private static String session;
    private static JsonNode apiEvent;
    private static JsonNode scheduledEvent;
    private static JsonNode sqsEvent;

    @BeforeAll
    static void stackImageAndEvents() throws Exception {
        String image = System.getenv("SLUICE_SAM_IMAGE");
        if (image == null || image.isBlank()) {
            throw new IllegalStateException("SLUICE_SAM_IMAGE is not set: run ./infra/local/sluice-local test, which builds the "
                    + "SAM base image (./infra/local/sluice-local sam-image) and names it");
        }
        assertThat(docker("image", "inspect", "--format", "{{.Id}}", "public.ecr.aws/lambda/java:21-x86_64"))
                .as("the image sam local looks for is the one built").isEqualTo(docker("image", "inspect", "--format", "{{.Id}}", image));
        sam = Path.of(System.getenv().getOrDefault("SLUICE_SAM_VENV", LocalStack.ROOT.resolve(".venv-sam").toString()), "bin/sam");
        local = LocalStack.get();
        work = Files.createDirectories(LocalStack.ROOT.resolve("infra/local-runtime/target/sam-local"));
        URI emulator = URI.create(local.endpoint);
        relay = SamLocal.Relay.start(SamLocal.dockerBridgeGateway(), 0, new InetSocketAddress(emulator.getHost(), emulator.getPort()));
        envVars = work.resolve("env-vars.json");
        Files.writeString(envVars, Json.write(SamLocal.envVars(local.stack, relay.url())));
        template = SamLocal.template(LocalStack.ROOT, work);

        apiEvent = Json.MAPPER.readTree(sam("local", "generate-event", "apigateway", "aws-proxy", "--stage", "v1"));
        scheduledEvent = Json.MAPPER.readTree(sam("local", "generate-event", "cloudwatch", "scheduled-event"));
        sqsEvent = Json.MAPPER.readTree(sam("local", "generate-event", "sqs", "receive-message", "--body", "not a webhook message"));

        user = local.token("sam-user");
        ApiClient api = new ApiClient(local.apiUrl);
        assertThat(api.call("PUT", "/resource-groups/" + GROUP, local.adminToken(), "{}", Map.of()).status()).isIn(200, 201);
        assertThat(api.call("PUT", "/resource-groups/" + API_GROUP, local.adminToken(), "{}", Map.of()).status()).isIn(200, 201);
        ApiClient.Reply created = api.call("POST", "/sessions", user,
                "{\"image\":\"python:3.12\",\"resource_group\":\"" + GROUP + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", Map.of());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        session = created.json().path("id").asText();
    }

    @AfterAll
    static void stopRelay() throws IOException {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void apiRequestsAnswerTheSameThroughTheRuntimeInterfaceClient() throws Exception {
        local.awaitPassOver(GROUP, Duration.ofSeconds(60));
        List<String> seen = new ArrayList<>();
        seen.add(sameAnswer("SessionsApiFunction", api("GET", "/sessions/{id}", "/sessions/" + session, Map.of("id", session), user, null)));
        seen.add(sameAnswer("SessionsApiFunction", api("POST", "/sessions", "/sessions", Map.of(), user, "{\"image\":\"\",\"resource_slots\":{}}")));
        seen.add(sameAnswer("SessionsApiFunction", api("GET", "/sessions/{id}", "/sessions/" + session, Map.of("id", session), null, null)));

        assertThat(seen.get(0)).contains("\"statusCode\":200").contains(session).contains(GROUP);
        assertThat(seen.get(1)).contains("\"statusCode\":422").contains("\"field\":\"image\"");
        assertThat(seen.get(2)).contains("\"statusCode\":401");
    }

    @Test
    void eventBridgeScheduleAndQueueEventsAnswerTheSame() throws Exception {
        // The passes the setup's own bus events started are over: each nudge below runs the only pass of the group.
        local.awaitPassOver(GROUP, Duration.ofSeconds(60));
        // EventBridge: a rule's event (the generated envelope, with Sluice's source, detail type and detail).
        String nudge = sameAnswer("SchedulerNudgeFunction", bus("sluice.resource-groups", "Resource Group Changed",
                Map.of("resource_group", GROUP)));
        String ended = sameAnswer("SchedulerNudgeFunction", bus("sluice.sessions", "Session Status Changed",
                Map.of("resource_group", "sam-local-idle", "status", "TERMINATED")));
        // Schedules: the generated scheduled event, as the sweeps receive it. A first sweep here settles what the tests
        // before left (an agent they stopped is found lost once), so that both compared sweeps find the same.
        assertThat(local.functions.invoke(local.functionNamed("AgentMonitorFunction"), UUID.randomUUID().toString(),
                scheduledEvent.toString().getBytes(StandardCharsets.UTF_8)).ok()).isTrue();
        String sweep = sameAnswer("AgentMonitorFunction", scheduledEvent.toString());
        // SQS: a batch with one unreadable message (dropped, not retried), and an empty batch.
        String unreadable = sameAnswer("WebhookDispatcherFunction", sqsEvent.toString());
        String empty = sameAnswer("WebhookDispatcherFunction", "{\"Records\":[]}");

        assertThat(nudge).contains("\"passes\":{\"" + GROUP + "\"");
        assertThat(ended).contains("\"sam-local-idle\":\"nothing pending\"");
        assertThat(sweep).isEqualTo("{\"lost_agents\":[],\"resolved_sessions\":[]}");
        assertThat(unreadable).isEqualTo("{\"batchItemFailures\":[]}");
        assertThat(empty).isEqualTo("{\"batchItemFailures\":[]}");
    }

    @Test
    void startApiServesTheCliWithTheStacksTokens() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = work.resolve("start-api.log");
        ProcessBuilder pb = new ProcessBuilder(sam.toString(), "local", "start-api", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--warm-containers", "LAZY", "--skip-pull-image", "--env-vars", envVars.toString(),
                "--template", template.toString())
                .directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        samEnvironment(pb);
        Process api = pb.start();
        try {
            String url = "http://127.0.0.1:" + port;
            awaitServing(url, api, log);
            // The first request starts the function's container and JVM (the CLI waits 10 s for an answer); later ones
            // reuse the warm container.
            HttpResponse<String> first = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/sessions/" + session))
                    .header("Authorization", "Bearer " + user).timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(first.statusCode()).as(first.body() + "\n" + Files.readString(log)).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(first.body()).path("id").asText()).isEqualTo(session);
            Path config = work.resolve("cli-config.json");
            Files.deleteIfExists(config);
            Map<String, String> env = Map.of("SLUICE_API", url, "SLUICE_TOKEN", user, "SLUICE_CONFIG", config.toString());

            String created = cli(env, "session", "create", "--name", "through-sam", "--group", API_GROUP, "--image", "python:3.12",
                    "--slot", "cpu=1", "--slot", "mem=1g", "--json");
            String id = Json.MAPPER.readTree(created).path("id").asText();
            assertThat(id).isNotBlank();
            String got = cli(env, "session", "get", id, "--json");
            assertThat(Json.MAPPER.readTree(got).path("name").asText()).isEqualTo("through-sam");
            assertThat(cli(env, "ps", "--group", API_GROUP)).contains(id.substring(0, 8));
            // The session is in the emulator's tables: the stack's own API (the local runtime) answers it too.
            ApiClient.Reply viaStack = new ApiClient(local.apiUrl).call("GET", "/sessions/" + id, user, null, Map.of());
            assertThat(viaStack.status()).isEqualTo(200);
            assertThat(viaStack.json().path("name").asText()).isEqualTo("through-sam");
            // No token: the function itself refuses (start-api does not run the Cognito authorizer).
            HttpResponse<String> anonymous = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/sessions/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
        } finally {
            stop(api, log);
        }
    }

    /**
     * One invocation of a function through {@code sam local start-lambda}: {@code settle} first runs the event once
     * through the local runtime, for a sweep whose first run may find what the tests before left (then both compared
     * runs find the same). {@code stable} takes from the compared answer ({@link #comparable}) what legitimately
     * differs between two runs; {@link #ALL} for most. {@code fails}: the function must fail (an unhandled error), and
     * the error is compared by its {@code errorType} and {@code errorMessage} only: the RIC's answer also has the
     * {@code stackTrace}, which the local runtime's does not (frames of two different hosts).
     */
    private record Case(String event, boolean settle, boolean fails, java.util.function.UnaryOperator<JsonNode> stable) {
        Case(String event, boolean settle) {
            this(event, settle, false, ALL);
        }
    }

    private static JsonNode errorOnly(JsonNode answer) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.set("errorType", answer.path("errorType"));
        error.set("errorMessage", answer.path("errorMessage"));
        return error;
    }

    private static final java.util.function.UnaryOperator<JsonNode> ALL = java.util.function.UnaryOperator.identity();

    /**
     * A scheduling tick's answer without each pass's {@code explanationsWritten}: a pass rewrites a deferred session's
     * unchanged explanation only when the last one is at least {@code SchedulingPass.REFRESH_UNCHANGED} (2 s) old, so
     * the count depends on how long after the previous pass a run comes (a cold start's seconds), not on the function.
     */
    private static JsonNode withoutExplanationCounts(JsonNode answer) {
        answer.path("passes").forEach(results -> results.forEach(result -> {
            if (result instanceof ObjectNode r) {
                r.remove("explanationsWritten");
            }
        }));
        return answer;
    }

    /**
     * The invocations of {@link #startLambdaAnswersEveryFunctionOfTheTemplateAsTheLocalRuntimeDoes}, by logical id; a
     * function of the template without an entry here fails {@link #everyFunctionOfTheTemplateHasAStartLambdaCase}.
     * Each is read-only or idempotent, so that the second of the two runs (through the local runtime, then through
     * start-lambda) meets the same data as the first.
     */
    private static Map<String, List<Case>> startLambdaCases() throws IOException {
        String admin = local.adminToken();
        String nobody = "sam-local-" + UUID.randomUUID();
        Map<String, List<Case>> cases = new LinkedHashMap<>();
        // API Gateway proxy events (generate-event apigateway aws-proxy, filled in): reads, and refusals.
        cases.put("SessionsApiFunction", List.of(
                new Case(api("GET", "/sessions/{id}", "/sessions/" + session, Map.of("id", session), user, null), false)));
        cases.put("ResourceGroupsApiFunction", List.of(
                new Case(api("GET", "/resource-groups/{name}", "/resource-groups/" + GROUP, Map.of("name", GROUP), admin, null), false)));
        cases.put("ResourcePoliciesApiFunction", List.of(
                new Case(api("GET", "/resource-policies/{scope}", "/resource-policies/" + nobody, Map.of("scope", nobody), user, null), false)));
        cases.put("AgentsApiFunction", List.of(
                new Case(api("GET", "/agents/{id}", "/agents/" + nobody, Map.of("id", nobody), admin, null), false)));
        cases.put("AgentWorkApiFunction", List.of(new Case(api("GET", "/agent/sessions/{id}/mounts/{name}/files",
                "/agent/sessions/" + session + "/mounts/data/files", Map.of("id", session, "name", "data"), null, null), false)));
        cases.put("WebhooksApiFunction", List.of(new Case(api("GET", "/webhooks", "/webhooks", Map.of(), user, null), false)));
        cases.put("FoldersApiFunction", List.of(
                new Case(api("GET", "/folders/{name}", "/folders/" + nobody, Map.of("name", nobody), user, null), false)));
        cases.put("TasksApiFunction", List.of(
                new Case(api("GET", "/tasks/{id}", "/tasks/" + nobody, Map.of("id", nobody), user, null), false)));
        // EventBridge rules' events (the generated envelope with Sluice's source, detail type and detail).
        cases.put("SchedulerNudgeFunction", List.of(new Case(bus("sluice.sessions", "Session Status Changed",
                Map.of("resource_group", "sam-local-idle", "status", "TERMINATED")), false)));
        // EC2's spot interruption warning on the default bus (AWS's shape) for an instance no agent has: nothing written.
        cases.put("SpotInterruptionFunction", List.of(new Case(bus("aws.ec2", "EC2 Spot Instance Interruption Warning",
                Map.of("instance-id", "i-samlocal" + nobody.substring(10, 18), "instance-action", "terminate")), false)));
        // Schedules (generate-event cloudwatch scheduled-event); FolderDeletionFunction also by its rule's event, for a
        // task that does not exist (the function fails: the error is compared).
        cases.put("SchedulerTickFunction", List.of(new Case(scheduledEvent.toString(), true, false, SamLocalIT::withoutExplanationCounts)));
        cases.put("AgentMonitorFunction", List.of(new Case(scheduledEvent.toString(), true)));
        cases.put("CloneSweepFunction", List.of(new Case(scheduledEvent.toString(), true)));
        ObjectNode deletion = (ObjectNode) Json.MAPPER.readTree(bus("sluice.tasks", "Task Updated", Map.of()));
        deletion.set("detail", Json.MAPPER.createObjectNode().put("id", nobody).put("kind", "folder-delete").put("status", "started")
                .put("sequence", 2));
        cases.put("FolderDeletionFunction", List.of(new Case(scheduledEvent.toString(), true), new Case(deletion.toString(), false, true, SamLocalIT::errorOnly)));
        // SQS (generate-event sqs receive-message): one unreadable message.
        cases.put("WebhookDispatcherFunction", List.of(new Case(sqsEvent.toString(), false)));
        // The clone state machine's task: the payload its Task states give the function (folder-clone.asl.json:
        // {"action": ..., "state.$": "$"}, the state being the execution's input, CloneStateJson), here the Cleanup
        // state's, with the failure its Catch adds (ResultPath $.failure), of a clone whose task and folders do not
        // exist (the cleanup is idempotent: nothing to undo, the same answer twice).
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.set("job", Json.MAPPER.createObjectNode().put("task_id", nobody).put("owner", "sam-user").put("source_id", nobody + "-s")
                .put("source_name", "sam-src").put("target_id", nobody + "-t").put("target_name", "sam-dst"));
        state.put("page_size", 1000).put("pages_per_execution", 50).put("generation", 0);
        state.set("cursor", Json.MAPPER.createObjectNode().putNull("token").put("pages_done", 0).put("pages_here", 0).put("has_more", true));
        state.set("estimate", Json.MAPPER.createObjectNode().put("objects", 0).put("bytes", 0).put("complete", false));
        state.set("failure", Json.MAPPER.createObjectNode().put("Error", "CloneFailed")
                .put("Cause", "{\"errorMessage\":\"the source vanished\",\"errorType\":\"CloneFailed\"}"));
        ObjectNode cleanup = Json.MAPPER.createObjectNode().put("action", "cleanup");
        cleanup.set("state", state);
        cases.put("CloneStepFunction", List.of(new Case(cleanup.toString(), false)));
        return cases;
    }

    /** The logical ids of the template's AWS::Serverless::Function resources. */
    static TreeSet<String> templateFunctions() throws IOException {
        JsonNode doc = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(Files.readString(LocalStack.ROOT.resolve("template.yaml")));
        TreeSet<String> functions = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> r = it.next();
            if (r.getValue().path("Type").asText().equals("AWS::Serverless::Function")) {
                functions.add(r.getKey());
            }
        }
        return functions;
    }

    @Test
    void everyFunctionOfTheTemplateHasAStartLambdaCase() throws Exception {
        assertThat(templateFunctions()).as("the template's functions").hasSizeGreaterThan(10);
        assertThat(startLambdaCases().keySet()).as("a start-lambda case per function of template.yaml")
                .containsExactlyInAnyOrderElementsOf(templateFunctions());
    }

    /**
     * {@code sam local start-lambda} (the same env-vars file and relay as above, warm containers started on first use)
     * and every function of the template invoked through the Lambda API against it (the AWS SDK's client), each
     * answer compared with the same invocation through the local runtime ({@link #comparable}). Each function's first
     * case is invoked twice through start-lambda: cold (a new container and JVM), then warm (the same container).
     */
    @Test
    void startLambdaAnswersEveryFunctionOfTheTemplateAsTheLocalRuntimeDoes() throws Exception {
        local.awaitPassOver(GROUP, Duration.ofSeconds(60));
        Map<String, List<Case>> cases = startLambdaCases();
        assertThat(cases.keySet()).containsExactlyInAnyOrderElementsOf(templateFunctions());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = work.resolve("start-lambda.log");
        ProcessBuilder pb = new ProcessBuilder(sam.toString(), "local", "start-lambda", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--warm-containers", "LAZY", "--skip-pull-image", "--env-vars", envVars.toString(), "--template", template.toString())
                .directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        samEnvironment(pb);
        long started = System.nanoTime();
        Process samLambda = pb.start();
        List<String> times = new ArrayList<>();
        try (LambdaClient lambda = LambdaClient.builder().endpointOverride(URI.create("http://127.0.0.1:" + port))
                .region(Region.of(System.getenv().getOrDefault("AWS_REGION", "us-east-1")))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(AwsClients.httpClient())
                .overrideConfiguration(c -> c.apiCallTimeout(SAM_TIMEOUT).apiCallAttemptTimeout(SAM_TIMEOUT)
                        .retryStrategy(software.amazon.awssdk.retries.DefaultRetryStrategy.doNotRetry()))
                .build()) {
            awaitServing("http://127.0.0.1:" + port, samLambda, log);
            times.add("start-lambda serving " + millis(started) + " ms");
            Map<String, String> answers = new LinkedHashMap<>();
            for (Map.Entry<String, List<Case>> function : cases.entrySet()) {
                String logicalId = function.getKey();
                String name = local.functionNamed(logicalId);
                int n = 0;
                for (Case c : function.getValue()) {
                    byte[] event = c.event().getBytes(StandardCharsets.UTF_8);
                    if (c.settle()) {
                        assertThat(local.functions.invoke(name, UUID.randomUUID().toString(), event).ok()).isTrue();
                    }
                    FunctionHost.Invocation viaRuntime = local.functions.invoke(name, UUID.randomUUID().toString(), event);
                    String runtimeAnswer = new String(viaRuntime.body(), StandardCharsets.UTF_8);
                    assertThat(viaRuntime.ok()).as(logicalId + " through the local runtime: " + runtimeAnswer).isEqualTo(!c.fails());
                    JsonNode expected = c.stable().apply(comparable(runtimeAnswer));
                    int rounds = n == 0 ? 2 : 1;
                    for (int round = 0; round < rounds; round++) {
                        long t = System.nanoTime();
                        InvokeResponse r = lambda.invoke(b -> b.functionName(logicalId).payload(SdkBytes.fromByteArray(event)));
                        times.add(logicalId + " case " + n + (round == 0 && n == 0 ? " cold " : " warm ") + millis(t) + " ms");
                        String answer = r.payload().asUtf8String();
                        assertThat(r.functionError()).as(logicalId + " through start-lambda: " + answer + "\n" + tail(log))
                                .isEqualTo(c.fails() ? "Unhandled" : null);
                        assertThat(c.stable().apply(comparable(answer))).as(logicalId + " through start-lambda, against the local runtime's answer\n" + c.event())
                                .isEqualTo(expected);
                    }
                    answers.put(logicalId + "#" + n, expected.toString());
                    n++;
                }
            }
            times.add("start-lambda total " + millis(started) + " ms");
            System.out.println("SamLocalIT start-lambda times:\n  " + String.join("\n  ", times));
            // What the answers say (the comparison above holds whatever they are; these hold them to being the intended cases).
            assertThat(answers.get("SessionsApiFunction#0")).contains("\"statusCode\":200").contains(session);
            assertThat(answers.get("ResourceGroupsApiFunction#0")).contains("\"statusCode\":200").contains(GROUP);
            assertThat(answers.get("AgentsApiFunction#0")).contains("\"statusCode\":404");
            assertThat(answers.get("ResourcePoliciesApiFunction#0")).contains("\"statusCode\":403");
            assertThat(answers.get("SchedulerTickFunction#0")).contains("\"" + GROUP + "\":[");
            assertThat(answers.get("AgentMonitorFunction#0")).contains("\"lost_agents\":[]");
            assertThat(answers.get("AgentWorkApiFunction#0")).contains("\"statusCode\":401");
            assertThat(answers.get("FoldersApiFunction#0")).contains("\"statusCode\":404");
            assertThat(answers.get("TasksApiFunction#0")).contains("\"statusCode\":404");
            assertThat(answers.get("WebhooksApiFunction#0")).contains("\"statusCode\":200");
            assertThat(answers.get("SchedulerNudgeFunction#0")).contains("\"sam-local-idle\":\"nothing pending\"");
            assertThat(answers.get("WebhookDispatcherFunction#0")).isEqualTo("{\"batchItemFailures\":[]}");
            // As JSON: the order of the answer's members is the handler's map's, not part of the contract.
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(answers.get("CloneStepFunction#0")))
                    .isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                            "{\"status\":\"cleaned-up\",\"reason\":\"the source vanished\"}"));
            assertThat(answers.get("CloneSweepFunction#0")).contains("\"started\":0");
            assertThat(answers.get("FolderDeletionFunction#1")).contains("no task sam-local-");
        } finally {
            stop(samLambda, log);
        }
    }

    private static long millis(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    private static String tail(Path log) throws IOException {
        String text = Files.readString(log);
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    /**
     * Invokes {@code logicalId} with {@code event} through {@code sam local invoke} and through the local runtime and
     * asserts that they answer the same; returns the answer (without the fields compared by design).
     */
    private static String sameAnswer(String logicalId, String event) throws Exception {
        Path eventFile = work.resolve("event-" + UUID.randomUUID() + ".json");
        Files.writeString(eventFile, event);
        String function = local.functionNamed(logicalId);
        FunctionHost.Invocation viaRuntime = local.functions.invoke(function, UUID.randomUUID().toString(), event.getBytes(StandardCharsets.UTF_8));
        assertThat(viaRuntime.ok()).as(logicalId + " through the local runtime: " + new String(viaRuntime.body(), StandardCharsets.UTF_8)).isTrue();
        String viaSam = lastLine(sam("local", "invoke", logicalId, "--event", eventFile.toString(), "--env-vars", envVars.toString(),
                "--skip-pull-image", "--template", template.toString()));
        JsonNode expected = comparable(new String(viaRuntime.body(), StandardCharsets.UTF_8));
        assertThat(comparable(viaSam)).as(logicalId + " through sam local invoke, against the local runtime's answer\n" + event)
                .isEqualTo(expected);
        return expected.toString();
    }

    /**
     * The answer as compared, as JSON (the order of an object's members is no part of it): an API answer by its status
     * and body; any other without requestId and durationMs.
     */
    static JsonNode comparable(String answer) throws IOException {
        JsonNode node = Json.MAPPER.readTree(answer);
        if (node instanceof ObjectNode object) {
            if (object.has("statusCode")) {
                ObjectNode api = Json.MAPPER.createObjectNode();
                api.set("statusCode", object.get("statusCode"));
                String body = object.path("body").asText("");
                api.set("body", body.isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(body));
                return api;
            }
            object.remove(List.of("requestId", "durationMs"));
        }
        return node;
    }

    private static String api(String method, String resource, String path, Map<String, String> pathParameters, String token, String body) {
        ObjectNode e = apiEvent.deepCopy();
        e.put("resource", resource).put("path", path).put("httpMethod", method);
        ObjectNode headers = Json.MAPPER.createObjectNode().put("Content-Type", "application/json").put("Host", "127.0.0.1");
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        e.set("headers", headers);
        e.remove("multiValueHeaders");
        e.set("pathParameters", pathParameters.isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.valueToTree(pathParameters));
        e.set("queryStringParameters", Json.MAPPER.nullNode());
        e.set("multiValueQueryStringParameters", Json.MAPPER.nullNode());
        e.set("body", body == null ? Json.MAPPER.nullNode() : Json.MAPPER.getNodeFactory().textNode(body));
        e.put("isBase64Encoded", false);
        ((ObjectNode) e.get("requestContext")).put("resourcePath", resource).put("httpMethod", method).put("path", "/v1" + path);
        return e.toString();
    }

    private static String bus(String source, String detailType, Map<String, String> detail) {
        ObjectNode e = scheduledEvent.deepCopy();
        e.put("source", source).put("detail-type", detailType);
        e.set("detail", Json.MAPPER.valueToTree(detail));
        e.set("resources", Json.MAPPER.createArrayNode());
        return e.toString();
    }

    private static String lastLine(String out) {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static void samEnvironment(ProcessBuilder pb) {
        pb.environment().put("SAM_CLI_TELEMETRY", "0");
        pb.environment().put("AWS_REGION", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
        pb.environment().put("AWS_DEFAULT_REGION", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
    }

    /** Runs the pinned SAM CLI in the checkout; its standard output (its logs, on standard error, are kept on failure). */
    private static String sam(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(sam.toString()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile(work, "sam-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(LocalStack.ROOT.toFile()).redirectError(err.toFile());
        samEnvironment(pb);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(SAM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sam " + String.join(" ", args) + " did not end within " + SAM_TIMEOUT + "\n" + Files.readString(err));
        }
        assertThat(p.exitValue()).as("sam " + String.join(" ", args) + "\n" + out + "\n" + Files.readString(err)).isZero();
        Files.delete(err);
        return out;
    }

    private static String cli(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LocalStack.ROOT.resolve("cli/sluice").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("sluice " + String.join(" ", args) + "\n" + out).isZero();
        return out;
    }

    private static void awaitServing(String url, Process api, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!api.isAlive()) {
                throw new AssertionError("sam local start-api ended:\n" + Files.readString(log));
            }
            try {
                http.send(HttpRequest.newBuilder(URI.create(url + "/no-such-route")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        throw new AssertionError("sam local start-api did not serve " + url + " within 60 s:\n" + Files.readString(log));
    }

    /**
     * Stops sam (TERM), and removes any container it named in its log that is still there: on TERM sam ends within
     * seconds, but leaves some of its warm containers running.
     */
    private static void stop(Process sam, Path log) throws Exception {
        sam.destroy();
        if (!sam.waitFor(30, TimeUnit.SECONDS)) {
            sam.destroyForcibly().waitFor();
        }
        java.util.regex.Matcher ids = java.util.regex.Pattern.compile("SAM_CONTAINER_ID: ([0-9a-f]{64})").matcher(Files.readString(log));
        while (ids.find()) {
            if (!docker("ps", "-aq", "--no-trunc", "--filter", "id=" + ids.group(1)).isEmpty()) {
                docker("rm", "-f", ids.group(1));
            }
        }
    }

    private static String docker(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }
}
