package dev.sluice.local.bench;

import dev.sluice.adapters.json.Json;
import dev.sluice.local.FunctionHost;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Cold starts of the deployed functions from the built function jar, each in a fresh {@code java} process
 * ({@link ColdStartProbe}) with the function's own environment (so the template's {@code JAVA_TOOL_OPTIONS}), each
 * answering a request that does real work against the emulator. Used by the cold-start benchmark and by ShadedJarIT.
 */
public final class ColdStart {
    static final String FUNCTION_JAR = "functions/target/sluice-functions-lambda.jar";

    /** One function and the first request it answers. */
    public record Invocation(String label, String handlerClass, Map<String, String> environment, String event) {
        public String function() {
            return handlerClass.substring(handlerClass.lastIndexOf('.') + 1);
        }
    }

    /**
     * One cold start: wall time from starting the process to reading its answer; inside it, making the handler (and
     * its event serializer), priming (0 unless primed), and the first request from decoding its event to encoding the
     * answer (after priming: what a restored snapshot still spends); and what the function logged.
     */
    public record Run(String mode, double wallMs, double constructMs, double primeMs, double firstRequestMs, String answer, String log) {
        /** The HTTP status of an API answer, or 0 for other functions. */
        public int status() {
            try {
                return Json.MAPPER.readTree(answer).path("statusCode").asInt(0);
            } catch (IOException e) {
                return -1;
            }
        }
    }

    private final Path root;
    private final Path work;

    public ColdStart(Path root) throws IOException {
        this.root = root;
        // Under the build's target/, not the shared /tmp, where other processes' clean-ups could remove it mid-run.
        Path target = Files.createDirectories(root.resolve("infra/local-runtime/target"));
        this.work = Files.createTempDirectory(target, "cold-start-");
    }

    /**
     * The first request of every function {@code host} serves (with the environment it serves it with: the emulator's
     * token keys) but the clone step (whose input is a running clone's state in
     * the state machine), with the users, group and session it needs made first.
     */
    public static List<Invocation> invocations(LocalDeployer.DeployedStack stack, FunctionHost host) throws Exception {
        LocalUsers users = LocalUsers.of(stack);
        String admin = users.token("cold-admin", List.of("admin", "users"));
        String user = users.token("cold-user", List.of("users"));
        String agent = users.token("i-cold-start", List.of("agents"));
        String api = LocalRuntime.apiUrl(stack);
        HttpClient http = HttpClient.newHttpClient();
        send(http, "PUT", api + "/resource-groups/cold-start", admin, "{}");
        String created = send(http, "POST", api + "/sessions", user,
                "{\"image\":\"python:3.12\",\"resource_group\":\"cold-start\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}");
        String session = Json.MAPPER.readTree(created).path("id").asText();

        List<Invocation> out = new ArrayList<>();
        add(out, host, "GET /sessions/{id}", "api.SessionsApi", get("/sessions/{id}", "/sessions/" + session, Map.of("id", session), user));
        add(out, host, "GET /resource-groups", "api.ResourceGroupsApi", get("/resource-groups", "/resource-groups", Map.of(), user));
        add(out, host, "GET /resource-policies", "api.ResourcePoliciesApi", get("/resource-policies", "/resource-policies", Map.of(), admin));
        add(out, host, "GET /agents", "api.AgentsApi", get("/agents", "/agents", Map.of(), admin));
        add(out, host, "GET /webhooks", "api.WebhooksApi", get("/webhooks", "/webhooks", Map.of(), user));
        add(out, host, "POST /agent/heartbeat", "api.AgentWorkApi", event("POST", "/agent/heartbeat", "/agent/heartbeat", Map.of(), agent,
                "{\"resource_group\":\"cold-start\",\"available_slots\":{\"cpu\":\"4\",\"mem\":\"16g\"},\"architecture\":\"x86_64\","
                        + "\"version\":\"0.1.0\",\"running\":[]}"));
        add(out, host, "GET /folders", "folders.FoldersApi", get("/folders", "/folders", Map.of(), user));
        add(out, host, "GET /tasks", "folders.TasksApi", get("/tasks", "/tasks", Map.of(), user));
        add(out, host, "scheduling tick (every group)", "scheduler.SchedulerTick", "{}");
        add(out, host, "scheduling nudge (one group)", "scheduler.SchedulerNudge",
                "{\"version\":\"0\",\"id\":\"cold-start\",\"detail-type\":\"SessionQueueChanged\",\"source\":\"sluice\",\"account\":\"000000000000\","
                        + "\"time\":\"2026-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"resource_group\":\"cold-start\"}}");
        add(out, host, "lost-agent sweep", "scheduler.AgentMonitor", "{}");
        add(out, host, "clone sweep", "folders.CloneSweepTick", "{}");
        add(out, host, "folder deletion sweep", "folders.FolderDeletionWorker", "{}");
        add(out, host, "webhook delivery batch (empty)", "webhook.WebhookDispatcher", "{\"Records\":[]}");
        return out;
    }

    private static void add(List<Invocation> out, FunctionHost host, String label, String handler, String event) {
        String handlerClass = "dev.sluice.functions." + handler;
        FunctionHost.Binding binding = host.bindings().values().stream().filter(b -> b.handlerClass().equals(handlerClass)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no function with handler " + handlerClass + " in the stack"));
        out.add(new Invocation(label, handlerClass, binding.environment(), event));
    }

    static String get(String resource, String path, Map<String, String> pathParameters, String token) {
        return event("GET", resource, path, pathParameters, token, null);
    }

    static String event(String method, String resource, String path, Map<String, String> pathParameters, String token, String body) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("resource", resource);
        e.put("path", path);
        e.put("httpMethod", method);
        e.put("headers", Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json"));
        e.put("pathParameters", pathParameters.isEmpty() ? null : pathParameters);
        e.put("queryStringParameters", null);
        e.put("requestContext", Map.of("requestId", "cold-start", "stage", "v1", "httpMethod", method, "resourcePath", resource,
                "identity", Map.of("sourceIp", "127.0.0.1")));
        e.put("body", body);
        e.put("isBase64Encoded", false);
        return Json.write(e);
    }

    /** A cold start of {@code invocation}'s function, primed or not ({@code cold} or {@code primed}). */
    public Run run(Invocation invocation, String mode) throws IOException, InterruptedException {
        String classPath = String.join(java.io.File.pathSeparator, root.resolve(FUNCTION_JAR).toString(),
                probeLib("aws-lambda-java-serialization.jar"), probeClasses());
        Map<String, String> env = new LinkedHashMap<>(invocation.environment());
        return start(classPath, env, mode, invocation.handlerClass(), invocation.event());
    }

    /**
     * The baseline: {@link ColdStartProbe.EmptyHandler} answering an API request, with the same JVM flags, on what an
     * empty Java function's jar holds (the Lambda core and events libraries, and Joda-Time, which the events need).
     */
    public Run empty(Map<String, String> flagsFrom) throws IOException, InterruptedException {
        String classPath = String.join(java.io.File.pathSeparator, probeLib("aws-lambda-java-core.jar"), probeLib("aws-lambda-java-events.jar"),
                probeLib("joda-time.jar"), probeLib("aws-lambda-java-serialization.jar"), probeClasses());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JAVA_TOOL_OPTIONS", flagsFrom.getOrDefault("JAVA_TOOL_OPTIONS", ""));
        return start(classPath, env, "cold", ColdStartProbe.EmptyHandler.class.getName(), get("/empty", "/empty", Map.of(), "none"));
    }

    private Run start(String classPath, Map<String, String> env, String mode, String handlerClass, String event)
            throws IOException, InterruptedException {
        Path eventFile = Files.createTempFile(work, "event-", ".json");
        Files.writeString(eventFile, event);
        Path errors = Files.createTempFile(work, "stderr-", ".log");
        ProcessBuilder pb = new ProcessBuilder(java(), "-cp", classPath, ColdStartProbe.class.getName(), mode, handlerClass, eventFile.toString())
                .redirectError(errors.toFile());
        pb.environment().putAll(env);
        long started = System.nanoTime();
        Process p = pb.start();
        String times = null;
        String answer = null;
        StringBuilder log = new StringBuilder();
        long wall = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("PROBE-TIMES ")) {
                    times = line.substring(12);
                } else if (line.startsWith("PROBE-ANSWER ")) {
                    wall = System.nanoTime() - started;
                    answer = line.substring(13);
                } else {
                    log.append(line).append('\n');
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (times == null || answer == null) {
            throw new IllegalStateException(handlerClass + " (" + mode + ") gave no answer; exit " + p.exitValue() + ", stderr:\n"
                    + Files.readString(errors));
        }
        String[] t = times.split(" ");
        return new Run(mode, wall / 1e6, Double.parseDouble(t[0]), Double.parseDouble(t[1]), Double.parseDouble(t[2]), answer, log.toString());
    }

    private String probeLib(String jar) {
        Path p = root.resolve("infra/local-runtime/target/probe-lib").resolve(jar);
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing: build with mvn package");
        }
        return p.toString();
    }

    /** Where ColdStartProbe's class is: target/classes, or the local runtime's jar (which holds the functions too). */
    private String probeClasses() {
        Path classes = root.resolve("infra/local-runtime/target/classes");
        if (!Files.exists(classes.resolve("dev/sluice/local/bench/ColdStartProbe.class"))) {
            throw new IllegalStateException(classes + " has no ColdStartProbe: build with mvn package");
        }
        return classes.toString();
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static String send(HttpClient http, String method, String url, String token, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
