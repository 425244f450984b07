package dev.sluice.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One JVM that serves every function of the stack: it starts the proxy endpoint the emulator forwards invocations
 * to, the dev token issuer's JWKS, deploys template.yaml into the emulator, and then dispatches each invocation to
 * its handler.
 *
 * <p>Usage: {@code LocalRuntime up [--port 9700] [--stack sluice] [--root .] [--boot-delay 5s]},
 * {@code LocalRuntime token <user> [--admin]} or {@code LocalRuntime interrupt <instance> [--in 120]}. {@code up} starts
 * no agent: it plays the hypervisor of the emulator's EC2 ({@link LocalHypervisor}).
 */
public final class LocalRuntime implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private volatile FunctionHost host = new FunctionHost(Map.of());
    private volatile dev.sluice.functions.folders.TaskEventStream taskEvents;
    private volatile TaskEventHub taskEventHub;
    /** The function that serves task event streams on AWS (the tasks API); they run as it here. */
    private volatile String taskEventsFunction = "";
    private final ExecutorService streams = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "task-event-stream");
        t.setDaemon(true);
        return t;
    });

    private LocalRuntime(HttpServer server, ExecutorService pool) {
        this.server = server;
        this.pool = pool;
    }

    /** Starts the proxy endpoint on 127.0.0.1:{@code port} (0 picks a free port); functions are attached after deploy. */
    public static LocalRuntime start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        // Daemon threads: an invocation still running when the runtime closes (a pass of a long queue) must not keep
        // the JVM alive (the server's own dispatcher thread keeps it alive while the runtime serves).
        ExecutorService pool = Executors.newFixedThreadPool(32, r -> {
            Thread t = new Thread(r, "local-runtime-invocation");
            t.setDaemon(true);
            return t;
        });
        LocalRuntime runtime = new LocalRuntime(server, pool);
        server.createContext("/invoke", runtime::invoke);
        server.createContext("/tasks/", runtime::streamTaskEvents);
        server.createContext("/health", ex -> reply(ex, 200, "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8)));
        server.setExecutor(pool);
        server.start();
        return runtime;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The stack parameters that send every function's invocations to this runtime. */
    public Map<String, String> stackParameters() {
        return Map.of("LocalProxyUrl", "http://127.0.0.1:" + port() + "/invoke");
    }

    /**
     * Serves the stack's functions. Their environment is the stack's, except that the Cognito signing keys are read
     * where the emulator publishes them ({@code <endpoint>/<poolId>/.well-known/jwks.json}).
     */
    public FunctionHost serve(LocalDeployer.DeployedStack stack, String endpoint) {
        Map<String, FunctionHost.Binding> bindings = new java.util.LinkedHashMap<>();
        String jwks = endpoint + "/" + stack.outputs().get("UserPoolId") + "/.well-known/jwks.json";
        stack.functions().forEach((name, b) -> {
            Map<String, String> env = new java.util.LinkedHashMap<>(b.environment());
            env.put("JWKS_URL", jwks);
            bindings.put(name, new FunctionHost.Binding(name, b.handler(), env));
        });
        FunctionHost functions = new FunctionHost(bindings);
        this.host = functions;
        bindings.values().stream().filter(b -> b.handlerClass().equals(dev.sluice.functions.folders.TasksApi.class.getName()))
                .findFirst().ifPresent(b -> {
                    if (taskEventHub != null) {
                        taskEventHub.close();
                    }
                    taskEventsFunction = b.functionName();
                    taskEventHub = TaskEventHub.follow(b.environment().get("EVENT_BUS_NAME"), "sluice-local-task-events-" + port());
                    taskEvents = new dev.sluice.functions.folders.TaskEventStream(
                            dev.sluice.adapters.Wiring.fromEnvironment(b.environment()), taskEventHub);
                });
        return functions;
    }

    /** The functions being served now. */
    public FunctionHost host() {
        return host;
    }

    /** Deploys the stack in {@code root} into the emulator and serves it; the whole of command 1 but the printing. */
    public LocalDeployer.DeployedStack deployAndServe(Path root, String stackName, String endpoint) throws IOException, InterruptedException {
        LocalDeployer.DeployedStack stack = new LocalDeployer().deploy(stackName, root.resolve("template.yaml"),
                root.resolve("functions/target/sluice-functions-lambda.jar"), upParameters());
        serve(stack, endpoint);
        return stack;
    }

    /** As {@link #deployAndServe}, but a stack already in the (persistent) emulator is kept with its data when unchanged. */
    LocalDeployer.DeployedStack reuseOrDeployAndServe(Path root, Path stateDir, String stackName, String endpoint)
            throws IOException, InterruptedException {
        LocalDeployer.DeployedStack stack = new LocalDeployer().deployOrReuse(stackName, root.resolve("template.yaml"),
                root.resolve("functions/target/sluice-functions-lambda.jar"), upParameters(),
                stateDir.resolve("emulator/" + stackName + ".fingerprint"));
        serve(stack, endpoint);
        return stack;
    }

    private Map<String, String> upParameters() {
        Map<String, String> parameters = new java.util.HashMap<>(stackParameters());
        // A local agent heartbeats every 5 s, so a new session starts within seconds of being scheduled.
        parameters.put("AgentHeartbeatInterval", "5s");
        // The agents' launch template (and the scheduler functions' fleet rights and driver): the elastic group's
        // sessions launch instances in the emulator's EC2, which this runtime then boots as agents (LocalHypervisor).
        // Nothing downloads the jar locally, so the object need not exist.
        parameters.put("AgentArtifactUri", "s3://sluice-local-artifacts/sluice-agent.jar");
        return parameters;
    }

    public static String endpoint() {
        return System.getenv().getOrDefault("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    }

    public static String apiUrl(LocalDeployer.DeployedStack stack) {
        return endpoint() + "/_aws/execute-api/" + stack.apiId() + "/v1";
    }

    private void invoke(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] event = exchange.getRequestBody().readAllBytes();
            String function = exchange.getRequestHeaders().getFirst("X-Amzn-Lambda-Function-Name");
            String requestId = exchange.getRequestHeaders().getFirst("X-Amzn-Lambda-Request-Id");
            FunctionHost.Invocation result = host.invoke(function == null ? "" : function,
                    requestId == null ? UUID.randomUUID().toString() : requestId, event,
                    deadline(exchange.getRequestHeaders().getFirst("X-Amzn-Lambda-Deadline-Ms")));
            reply(exchange, result.ok() ? 200 : 500, result.body());
        }
    }

    /** The function's deadline the emulator sends (its timeout from the invocation's start), else the default. */
    static long deadline(String header) {
        if (header != null) {
            try {
                return Long.parseLong(header.trim());
            } catch (NumberFormatException e) {
                // not a deadline: the default below
            }
        }
        return System.currentTimeMillis() + FunctionHost.DEFAULT_TIMEOUT_MS;
    }

    /** The URL of a task's server-sent-events stream, served by this runtime (the gateway would buffer it). */
    public String taskEventsUrl(String taskId) {
        return "http://127.0.0.1:" + port() + "/tasks/" + taskId + "/events";
    }

    /**
     * {@code GET /tasks/{id}/events}: the server-sent-events stream of a task, served here from the same code a
     * streaming function serves on AWS. Each stream gets its own thread, so streams never hold up invocations.
     */
    private void streamTaskEvents(HttpExchange exchange) {
        streams.submit(() -> {
            try (exchange) {
                String[] parts = exchange.getRequestURI().getPath().split("/");
                dev.sluice.functions.folders.TaskEventStream stream = taskEvents;
                if (!exchange.getRequestMethod().equals("GET") || parts.length != 4 || !parts[3].equals("events") || stream == null) {
                    reply(exchange, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"There is no such route.\",\"field\":null}}"
                            .getBytes(StandardCharsets.UTF_8));
                    return;
                }
                OutputStream out = exchange.getResponseBody();
                FunctionHost.runAs(taskEventsFunction, () -> stream.serve(
                        java.util.Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")), parts[2],
                        java.util.Optional.ofNullable(exchange.getRequestHeaders().getFirst("Last-Event-ID")),
                        new dev.sluice.functions.folders.TaskEventStream.Sink() {
                            @Override
                            public void start(int status, String contentType) throws IOException {
                                exchange.getResponseHeaders().set("Content-Type", contentType);
                                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                                exchange.sendResponseHeaders(status, 0);
                            }

                            @Override
                            public void write(String text) throws IOException {
                                out.write(text.getBytes(StandardCharsets.UTF_8));
                                out.flush();
                            }
                        }));
            } catch (IOException gone) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                System.out.println("{\"level\":\"ERROR\",\"logger\":\"task-event-stream\",\"error\":\""
                        + e.getClass().getName() + "\"}");
            }
        });
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        if (taskEventHub != null) {
            taskEventHub.close();
        }
        streams.shutdownNow();
        server.stop(0);
        pool.shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "up" : args[0];
        Path root = Path.of(option(args, "--root", ".")).toAbsolutePath().normalize();
        Path stateDir = Path.of(option(args, "--state", root.resolve(".sluice-local").toString())).toAbsolutePath().normalize();
        int port = Integer.parseInt(option(args, "--port", "9700"));
        switch (command) {
            case "up" -> up(root, stateDir, port, option(args, "--stack", "sluice"),
                    bootDelay(option(args, "--boot-delay", System.getenv("SLUICE_LOCAL_BOOT_DELAY"))));
            case "interrupt" -> {
                // Asks the hypervisor of the running 'up' (same state directory) to interrupt an instance.
                if (args.length < 2 || args[1].startsWith("--")) {
                    System.err.println("usage: LocalRuntime interrupt INSTANCE [--in SECONDS] [--state DIR]");
                    System.exit(2);
                }
                java.time.Duration notice = java.time.Duration.ofSeconds(LocalHypervisor.DEFAULT_INTERRUPTION_NOTICE.toSeconds());
                String in = option(args, "--in", null);
                if (in != null) {
                    java.util.Optional<java.time.Duration> parsed = dev.sluice.core.time.DurationText.parse(in);
                    if (parsed.isEmpty()) {
                        System.err.println("--in must be a number of seconds or a duration such as 30s or 2m, not '" + in + "'.");
                        System.exit(2);
                    }
                    notice = parsed.get();
                }
                try {
                    Map<String, Object> answer = LocalHypervisor.requestInterrupt(controlDir(stateDir), args[1], notice,
                            java.time.Duration.ofSeconds(15));
                    if (answer.containsKey("error")) {
                        System.err.println(answer.get("error"));
                        System.exit(1);
                    }
                    System.out.println(dev.sluice.adapters.json.Json.write(answer));
                } catch (IllegalArgumentException e) {
                    System.err.println(e.getMessage());
                    System.exit(2);
                } catch (IllegalStateException e) {
                    System.err.println(e.getMessage());
                    System.exit(1);
                }
            }
            case "token" -> {
                String user = args.length > 1 ? args[1] : "alice";
                boolean admin = List.of(args).contains("--admin");
                LocalDeployer.DeployedStack stack = new LocalDeployer().describe(option(args, "--stack", "sluice"));
                System.out.println(LocalUsers.of(stack).token(user, admin ? List.of("admin", "users") : List.of("users")));
            }
            case "sam-env" -> {
                // For `sam local`: DIR/env-vars.json from the deployed stack (the emulator at the address the containers use)
                // and DIR/template.yaml with the functions' code unpacked into DIR/code.
                LocalDeployer.DeployedStack stack = new LocalDeployer().describe(option(args, "--stack", "sluice"));
                String json = dev.sluice.adapters.json.Json.MAPPER.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(SamLocal.envVars(stack, option(args, "--emulator", endpoint())));
                Path dir = Path.of(option(args, "--dir", stateDir.resolve("sam").toString()));
                java.nio.file.Files.createDirectories(dir);
                java.nio.file.Files.writeString(dir.resolve("env-vars.json"), json + "\n");
                SamLocal.template(root, dir);
            }
            case "relay" -> {
                // A TCP relay from HOST:PORT to the emulator on loopback, for `sam local` containers; runs until killed.
                String[] listen = option(args, "--listen", "").split(":");
                java.net.URI target = java.net.URI.create(endpoint());
                try (SamLocal.Relay relay = SamLocal.Relay.start(listen[0], Integer.parseInt(listen[1]),
                        new InetSocketAddress(target.getHost(), target.getPort()))) {
                    System.out.println("relaying " + relay.url() + " to " + endpoint());
                    new CountDownLatch(1).await();
                }
            }
            default -> {
                System.err.println("usage: LocalRuntime up [--port 9700] [--stack sluice] [--root DIR] [--boot-delay 5s]"
                        + " | token USER [--admin] | interrupt INSTANCE [--in SECONDS]"
                        + " | sam-env [--stack sluice] --emulator URL [--dir DIR] | relay --listen HOST:PORT");
                System.exit(2);
            }
        }
    }

    private static void up(Path root, Path stateDir, int port, String stackName, java.time.Duration bootDelay) throws Exception {
        LocalRuntime runtime = start(port);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("{\"level\":\"INFO\",\"logger\":\"local-runtime\",\"message\":\"stopping\"}");
            runtime.close();
            stop.countDown();
        }));
        LocalDeployer.DeployedStack stack;
        try {
            stack = runtime.reuseOrDeployAndServe(root, stateDir, stackName, endpoint());
        } catch (Exception | Error e) {
            runtime.close();
            throw e;
        }
        String apiUrl = apiUrl(stack);
        java.nio.file.Files.createDirectories(stateDir);
        java.nio.file.Files.writeString(stateDir.resolve("api-url"), apiUrl);
        LocalUsers users = LocalUsers.of(stack);
        String user = users.token("alice", List.of("users"));
        String admin = users.token("admin", List.of("admin", "users"));
        System.out.println();
        System.out.println("Sluice is running locally.");
        System.out.println("  API URL:      " + apiUrl);
        System.out.println("  functions:    " + stack.functions().size() + " served by this JVM on 127.0.0.1:" + runtime.port());
        System.out.println("  tokens (1 h; more with: infra/local/sluice-local token NAME [--admin]):");
        System.out.println("  export SLUICE_API=" + apiUrl);
        System.out.println("  export SLUICE_TOKEN=" + user);
        System.out.println("  export SLUICE_ADMIN_TOKEN=" + admin);
        System.out.println("  export SLUICE_EVENTS_URL=http://127.0.0.1:" + runtime.port());
        dev.sluice.adapters.ControlPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(
                stack.functions().values().iterator().next().environment()).control();
        software.amazon.awssdk.services.ec2.Ec2Client ec2 = software.amazon.awssdk.services.ec2.Ec2Client.builder()
                .httpClient(dev.sluice.adapters.aws.AwsClients.httpClient()).build();
        dev.sluice.core.fleet.FleetCatalog catalog = ElasticGroup.ensure(plane, ec2, ElasticGroup.IDLE);
        AgentProcesses agents = new AgentProcesses(root, stateDir, apiUrl, users, java.time.Duration.ofSeconds(5));
        LocalHypervisor hypervisor = new LocalHypervisor(ec2, dev.sluice.adapters.aws.AwsClients.shared().eventBridge(),
                plane.groupStore()::fleet, agents, bootDelay, java.time.Duration.ofSeconds(1),
                java.util.Optional.of(controlDir(stateDir)), java.util.Set.of(), java.time.Clock.systemUTC()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hypervisor.close();
            agents.close();
        }));
        agents.notes().forEach(n -> System.out.println("  " + n));
        System.out.println("  agents:       none yet: launched on demand (elastic group " + ElasticGroup.NAME + ": "
                + String.join(", ", catalog.instanceTypes().stream().map(t -> t.name() + " " + t.slots().describe()).toList()) + ";");
        System.out.println("                given back after " + dev.sluice.core.time.DurationText.format(catalog.idleDuration())
                + " idle). For each instance launched into the emulator's EC2 with the tag");
        System.out.println("                " + LocalHypervisor.GROUP_TAG + " this runtime starts an agent " + hypervisor.bootDelay().toSeconds()
                + " s after its launch (SLUICE_LOCAL_BOOT_DELAY);");
        System.out.println("                their logs: " + agents.logsDir() + "/<instance>.log");
        System.out.println("  interrupt:    infra/local/sluice-local interrupt INSTANCE [--in SECONDS]   (a spot interruption)");
        System.out.println("READY");
        stop.await();
    }

    /** Where `sluice-local interrupt` leaves its requests for the hypervisor of a running `up`. */
    static Path controlDir(Path stateDir) {
        return stateDir.resolve("hypervisor");
    }

    /** The boot delay of local instances: --boot-delay, else SLUICE_LOCAL_BOOT_DELAY, else 5 s. */
    static java.time.Duration bootDelay(String text) {
        if (text == null || text.isBlank()) {
            return LocalHypervisor.DEFAULT_BOOT_DELAY;
        }
        java.time.Duration d = dev.sluice.core.time.DurationText.parse(text.trim())
                .filter(x -> x.compareTo(java.time.Duration.ofHours(1)) <= 0)
                .orElseThrow(() -> new IllegalArgumentException("The boot delay (SLUICE_LOCAL_BOOT_DELAY or --boot-delay) must be"
                        + " a number of seconds or a duration such as 5s or 2m, at most 1h, not '" + text + "'."));
        return d;
    }

    /** Whether this process runs as root (the owner of {@code /proc/self} is the effective user). */
    static boolean runningAsRoot() {
        try {
            return ((Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The state directory holds the emulator's data (every user's folders, the user pool), the logs with the printed
     * tokens and the agent's token: a workload, running as a user of its own, may pass through it to the agent's work
     * directory and reach nothing else. Each directory above must let others through (the agent checks and says which
     * does not).
     */
    static void lockDown(Path stateDir, Path workDir) throws IOException {
        java.nio.file.Files.createDirectories(workDir);
        if (!workDir.startsWith(stateDir)) {
            java.nio.file.Files.setPosixFilePermissions(stateDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return;
        }
        java.nio.file.Files.setPosixFilePermissions(stateDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(stateDir)) {
            for (Path p : entries.toList()) {
                if (p.equals(workDir) || java.nio.file.Files.isSymbolicLink(p)) {
                    continue;
                }
                java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = java.nio.file.Files.getPosixFilePermissions(p);
                mode.removeIf(x -> x.name().startsWith("GROUP_") || x.name().startsWith("OTHERS_"));
                java.nio.file.Files.setPosixFilePermissions(p, mode);
            }
        }
    }

    /** Whether every directory from {@code dir} up lets others through. */
    static boolean othersMayPass(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (!java.nio.file.Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                return false;
            }
        }
        return true;
    }

    /** Writes a file only its owner can read, replacing it whole (never a moment readable by others or half written). */
    static void writePrivately(Path file, String text) throws IOException {
        Path tmp = java.nio.file.Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(tmp, text);
        java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
