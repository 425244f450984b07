package dev.sluice.local;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.local.iam.AwsCallRecorder;
import dev.sluice.local.iam.StackFacts;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;

/**
 * The stack under test, once per test JVM: the emulator (the one named by AWS_ENDPOINT_URL, or one started here from
 * .venv), the local runtime on a free port, and template.yaml deployed into the emulator through CloudFormation.
 */
final class LocalStack {
    static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    static final String WEBHOOK_RETRY_SCHEDULE = "1s,1s,2s";
    private static LocalStack instance;
    static final int CLONE_PAGE_SIZE = 100;
    static final int CLONE_PAGES_PER_EXECUTION = 4;
    static final long CLONE_MULTIPART_THRESHOLD = 8L * 1024 * 1024;
    /** How long an agent may be silent before the sweep counts it lost, here (the stack's AgentHeartbeatTimeout). */
    static final Duration AGENT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(4);

    final LocalRuntime runtime;
    final LocalDeployer.DeployedStack stack;
    final FunctionHost functions;
    final String endpoint;
    final String apiUrl;
    private final LocalUsers users;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();

    private LocalStack(LocalRuntime runtime, LocalDeployer.DeployedStack stack, FunctionHost functions, String endpoint) {
        this.runtime = runtime;
        this.stack = stack;
        this.functions = functions;
        this.endpoint = endpoint;
        this.apiUrl = endpoint + "/_aws/execute-api/" + stack.apiId() + "/v1";
        this.users = LocalUsers.of(stack);
    }

    static synchronized LocalStack get() throws Exception {
        if (instance == null) {
            String endpoint = ensureEmulator();
            LocalRuntime runtime = LocalRuntime.start(0);
            // No periodic tick under test: a pass at a random moment would race the tests that run passes themselves
            // (the tick function is invoked directly where it is tested).
            Map<String, String> parameters = new java.util.HashMap<>(runtime.stackParameters());
            parameters.put("SchedulerTickRate", "rate(1 day)");
            // Agents heartbeat every second here, and count as lost after 4 s; the sweep is run by the tests.
            parameters.put("AgentHeartbeatInterval", "1s");
            parameters.put("AgentHeartbeatTimeout", AGENT_HEARTBEAT_TIMEOUT.toSeconds() + "s");
            parameters.put("AgentSweepRate", "rate(1 day)");
            // Webhook retries compressed from about a day to seconds: 4 attempts, 1-2 s apart (the code path is the same).
            parameters.put("WebhookRetrySchedule", WEBHOOK_RETRY_SCHEDULE);
            // Small clone pages, so a 2,000-object clone spans several executions (the continue-as-new mechanism).
            parameters.put("ClonePageSize", Integer.toString(CLONE_PAGE_SIZE));
            parameters.put("ClonePagesPerExecution", Integer.toString(CLONE_PAGES_PER_EXECUTION));
            parameters.put("CloneMultipartThreshold", Long.toString(CLONE_MULTIPART_THRESHOLD));
            // A delete request removes one page of 1,000 objects itself; a bigger folder goes on in the background.
            parameters.put("FolderDeletePagesPerRequest", "1");
            // The agents' launch template (and role, profile, the scheduler functions' fleet rights): the elastic fleet's
            // driver launches from it (Ec2FleetDriverIT). Nothing boots in the emulator, so the jar need not exist.
            parameters.put("AgentArtifactUri", "s3://sluice-local-artifacts/sluice-agent.jar");
            LocalDeployer.DeployedStack stack = new LocalDeployer().deploy("sluice", ROOT.resolve("template.yaml"),
                    ROOT.resolve("functions/target/sluice-functions-lambda.jar"), parameters);
            // The IAM contract's recording starts with the stack just deployed (IamContractIT checks it at the end).
            try (CloudFormationClient cf = CloudFormationClient.builder().httpClient(AwsClients.httpClient()).build()) {
                AwsCallRecorder.start(StackFacts.describe(cf, stack.name()));
            }
            FunctionHost functions = runtime.serve(stack, endpoint);
            instance = new LocalStack(runtime, stack, functions, endpoint);
        }
        return instance;
    }

    /** The environment every function of the stack runs with here. */
    Map<String, String> functionEnvironment() {
        return functions.bindings().values().iterator().next().environment();
    }

    /**
     * Moves a silent agent's time on instead of waiting for it: its last heartbeat becomes one second older than the
     * heartbeat timeout, so the next sweep finds it overdue, as it would after waiting that long. Conditional on the
     * heartbeat read here: an agent that is not silent (it heartbeats meanwhile) fails the test.
     */
    void agentSilentPastTheTimeout(String agentId) {
        var dynamoDb = AwsClients.shared().dynamoDb();
        String table = functionEnvironment().get("AGENTS_TABLE");
        var key = Map.of("id", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(agentId));
        var item = dynamoDb.getItem(b -> b.tableName(table).key(key).consistentRead(true)).item();
        if (item == null || !item.containsKey("lastHeartbeat")) {
            throw new AssertionError("agent " + agentId + " has no heartbeat to move back");
        }
        String seen = item.get("lastHeartbeat").s();
        String moved = java.time.Instant.parse(seen).minus(AGENT_HEARTBEAT_TIMEOUT).minusSeconds(1).toString();
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key)
                    .conditionExpression("lastHeartbeat = :seen")
                    .updateExpression("SET lastHeartbeat = :moved")
                    .expressionAttributeValues(Map.of(
                            ":seen", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(seen),
                            ":moved", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(moved))));
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException spoke) {
            throw new AssertionError("agent " + agentId + " heartbeat while it was meant to be silent", spoke);
        }
    }

    /** The group's item in the resource groups table (its scheduling-pass lease lives there). */
    private Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> groupItem(String group) {
        String table = functionEnvironment().get("RESOURCE_GROUPS_TABLE");
        return AwsClients.shared().dynamoDb().getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("name", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(group)))).item();
    }

    /** Whether a scheduling pass has ever taken the group's lease (each pass leaves its mark: passAgain). */
    boolean anyPassRan(String group) {
        return groupItem(group).containsKey("passAgain");
    }

    /**
     * Waits until a scheduling pass of the group has run and ended (the lease was taken, and is free again): what the
     * group's sessions are then is what that pass left. Fails the test when none has within {@code within}.
     */
    void awaitPassOver(String group, Duration within) throws InterruptedException {
        java.time.Instant deadline = java.time.Instant.now().plus(within);
        Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item = groupItem(group);
        while (!item.containsKey("passAgain") || item.containsKey("passHolder")) {
            if (java.time.Instant.now().isAfter(deadline)) {
                throw new AssertionError("no scheduling pass of group " + group + " ran to its end within " + within + ": " + item);
            }
            Thread.sleep(50);
            item = groupItem(group);
        }
    }

    ControlPlane controlPlane() {
        return dev.sluice.adapters.Wiring.fromEnvironment(functionEnvironment()).control();
    }

    String functionNamed(String logicalPrefix) {
        return functions.bindings().keySet().stream().filter(n -> n.contains(logicalPrefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no function like " + logicalPrefix));
    }

    /** A Cognito ID token for a user of the stack's pool (made once per name). */
    String token(String user) {
        return tokens.computeIfAbsent(user, u -> users.token(u, List.of("users")));
    }

    /** A token of an agent identity (Cognito group {@code agents}), which the user API must refuse. */
    String agentToken() {
        return tokens.computeIfAbsent("@agent", u -> users.token("agent-i-0abc", List.of("agents")));
    }

    /** A token of the agent {@code agentId} (local agents authenticate with the Cognito group {@code agents}). */
    String agentToken(String agentId) {
        return tokens.computeIfAbsent("@agent:" + agentId, u -> users.token(agentId, List.of("agents")));
    }

    /** A token of an admin of its own (a user of the groups admin and users named {@code user}). */
    String adminToken(String user) {
        return tokens.computeIfAbsent("@admin:" + user, u -> users.token(user, List.of("admin", "users")));
    }

    String adminToken() {
        return tokens.computeIfAbsent("@admin", u -> users.token("root-admin", List.of("admin", "users")));
    }

    /** The emulator's endpoint; starts one from .venv (and stops it at exit) when none is named. */
    private static String ensureEmulator() throws IOException, InterruptedException {
        String named = System.getenv("AWS_ENDPOINT_URL");
        if (named != null && !named.isBlank()) {
            return named;
        }
        Path venv = Path.of(System.getenv().getOrDefault("SLUICE_VENV", ROOT.resolve(".venv").toString()));
        Path ministack = venv.resolve("bin/ministack");
        if (!Files.isExecutable(ministack)) {
            throw new IllegalStateException("no emulator: set AWS_ENDPOINT_URL or run ./infra/local/sluice-local test "
                    + "(which installs ministack into .venv and starts it)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(ministack.toString()).redirectErrorStream(true)
                .redirectOutput(ROOT.resolve("infra/local-runtime/target/ministack-" + port + ".log").toFile());
        pb.environment().putAll(Map.of("BIND_HOST", "127.0.0.1", "GATEWAY_PORT", Integer.toString(port), "IOT_MTLS_ENABLED", "0"));
        Process process = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        String endpoint = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 100; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(endpoint + "/_ministack/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    System.setProperty("aws.endpointUrl", endpoint);
                    System.setProperty("aws.region", "us-east-1");
                    System.setProperty("aws.accessKeyId", "test");
                    System.setProperty("aws.secretAccessKey", "test");
                    return endpoint;
                }
            } catch (IOException notYet) {
                Thread.sleep(Duration.ofMillis(100).toMillis());
            }
        }
        throw new IllegalStateException("ministack did not start on " + endpoint);
    }
}
