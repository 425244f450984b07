package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
 * user of {@code sluice-local up} would.
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
