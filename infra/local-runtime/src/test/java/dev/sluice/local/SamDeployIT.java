package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.aws.AwsClients;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.StackResource;
import software.amazon.awssdk.services.cognitoidentityprovider.CognitoIdentityProviderClient;
import software.amazon.awssdk.services.cognitoidentityprovider.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * The README's "Deploy to AWS" commands, run as processes exactly as written (read from the README's marked blocks),
 * in a copy of the checkout, against the emulator: {@code mvn -DskipTests package}, {@code sam validate --lint},
 * {@code sam deploy}, an upgrade ({@code sam deploy --parameter-overrides ...}), the agent fleet at count 0 and then
 * 2, and {@code sam delete --no-prompts}. What is added for the emulator, and only that: {@code AWS_ENDPOINT_URL},
 * test credentials, and to the {@code sam} commands {@code --stack-name} (a second stack beside the suite's own
 * {@code sluice}) and, on the first deploy, {@code --parameter-overrides LocalProxyUrl=<this runtime>} (the emulator
 * cannot run Java functions: it forwards their invocations to the local runtime).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SamDeployIT {
    static final String STACK = "sluice-sam";
    private static final Path ROOT = LocalStack.ROOT;
    private static final Path WORK = ROOT.resolve("infra/local-runtime/target/sam-deploy");
    private static final Pattern BLOCK = Pattern.compile("<!-- (deploy|upgrade|fleet|teardown) commands[^>]*-->\\s*```sh\\n(.*?)```",
            Pattern.DOTALL);

    private static LocalStack suite;
    private static Map<String, List<String>> readme;
    private static Path checkout;
    private static Path sam;
    private static LocalRuntime runtime;
    private static LocalDeployer.DeployedStack stack;
    private static final Map<String, Duration> timings = new LinkedHashMap<>();
    private static int commandsRun;
    private static final CloudFormationClient cloudFormation =
            CloudFormationClient.builder().httpClient(AwsClients.httpClient()).build();

    @BeforeAll
    static void deployTheWayTheReadmeSays() throws Exception {
        suite = LocalStack.get();
        sam = Path.of(System.getenv().getOrDefault("SLUICE_SAM_VENV", ROOT.resolve(".venv-sam").toString())).resolve("bin/sam");
        assertThat(Files.isExecutable(sam)).as("the AWS SAM CLI is missing at " + sam
                + ": ./infra/local/sluice-local test installs it (pinned, infra/local/sam-requirements.lock)").isTrue();
        readme = readmeBlocks(Files.readString(ROOT.resolve("README.md")));
        checkout = copyOfCheckout();
        runtime = LocalRuntime.start(0);

        List<String> deploy = readme.get("deploy");
        assertThat(deploy).as("the README's deploy block builds with Maven and deploys with sam, without sam build")
                .anyMatch(c -> c.startsWith("mvn ") && c.contains(" package"))
                .anyMatch(c -> c.startsWith("sam deploy"))
                .noneMatch(c -> c.startsWith("sam build"));
        for (String command : deploy) {
            run(command, command.startsWith("sam deploy")
                    ? " --stack-name " + STACK + " --parameter-overrides LocalProxyUrl=" + runtime.stackParameters().get("LocalProxyUrl")
                    : "");
        }
        stack = new LocalDeployer().describe(STACK);
        runtime.serve(stack, suite.endpoint);
    }

    @AfterAll
    static void report() {
        if (runtime != null) {
            runtime.close();
        }
        System.out.println("SamDeployIT timings: " + timings.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().toMillis() / 100 / 10.0 + " s").collect(Collectors.joining(", ")));
    }

    @Test
    @Order(1)
    void theDeployedStackAnswersItsOwnUsersBesideTheSuitesStack() {
        ApiClient api = new ApiClient(apiUrl());
        LocalUsers users = LocalUsers.of(stack);
        String admin = users.token("sam-admin", List.of("admin", "users"));
        String alice = users.token("sam-alice", List.of("users"));

        assertThat(api.put("/resource-groups/sam-gpu", admin, "{}").status()).isEqualTo(201);
        ApiClient.Reply created = api.post("/sessions", alice, "{\"name\":\"after-sam-deploy\",\"image\":\"python:3.12\","
                + "\"resource_group\":\"sam-gpu\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        ApiClient.Reply read = api.get("/sessions/" + created.json().path("id").asText(), alice);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().path("status").asText()).isEqualTo("PENDING");
        assertThat(read.json().path("name").asText()).isEqualTo("after-sam-deploy");

        // Two stacks, two user pools: a token of the suite's stack is refused here, and the suite's stack still answers.
        assertThat(api.get("/sessions", suite.token("suite-user")).status()).isEqualTo(401);
        assertThat(new ApiClient(suite.apiUrl).get("/sessions", suite.token("suite-user")).status()).isEqualTo(200);
    }

    /**
     * Issue #12 item 5: a second stack in the same account and region has names of its own. (The emulator does not
     * refuse a schedule name that is taken: its CloudFormation drops the scheduler's ConflictException, so the second
     * stack's deploy succeeds while its schedules are the first stack's; hence this check of the names.)
     */
    @Test
    @Order(2)
    void noResourceOfTheSecondStackHasAPhysicalNameOfTheFirst() {
        // Named within their parent (a user pool's groups, an API's stage), not in the account.
        Set<String> scoped = Set.of("AWS::Cognito::UserPoolGroup", "AWS::ApiGateway::Stage");
        Map<String, String> suiteNames = resources("sluice").stream().filter(r -> !scoped.contains(r.resourceType()))
                .collect(Collectors.toMap(StackResource::physicalResourceId, StackResource::logicalResourceId, (a, b) -> a));
        List<String> shared = resources(STACK).stream().filter(r -> !scoped.contains(r.resourceType()))
                .filter(r -> suiteNames.containsKey(r.physicalResourceId()))
                .map(r -> r.resourceType() + " " + r.logicalResourceId() + " = " + r.physicalResourceId()).toList();
        assertThat(shared).as("resources of stack " + STACK + " named like those of stack sluice").isEmpty();
    }

    /** An upgrade as the README gives it: one parameter changed, every other keeps its value (LocalProxyUrl too). */
    @Test
    @Order(3)
    void anUpgradeChangesTheParameterGivenAndKeepsTheOthers() throws Exception {
        List<String> upgrade = readme.get("upgrade");
        assertThat(upgrade).as("the README's upgrade block").anyMatch(c -> c.startsWith("sam deploy --parameter-overrides"));
        for (String command : upgrade) {
            run(command, command.startsWith("sam deploy") ? " --stack-name " + STACK : "");
        }
        Map<String, String> parameters = cloudFormation.describeStacks(b -> b.stackName(STACK)).stacks().get(0).parameters()
                .stream().collect(Collectors.toMap(p -> p.parameterKey(), p -> p.parameterValue()));
        String[] changed = upgradedParameter(upgrade).split("=", 2);
        assertThat(parameters).as("the parameter the upgrade changed").containsEntry(changed[0], changed[1]);
        assertThat(parameters).as("the parameters the upgrade did not give kept their values")
                .containsEntry("LocalProxyUrl", runtime.stackParameters().get("LocalProxyUrl"));
        LocalDeployer.DeployedStack upgraded = new LocalDeployer().describe(STACK);
        Map<String, String> env = upgraded.functions().values().iterator().next().environment();
        assertThat(env).as("the functions' environment after the upgrade")
                .containsEntry("MINISTACK_LAMBDA_PROXY_URL", runtime.stackParameters().get("LocalProxyUrl"));
        runtime.serve(upgraded, suite.endpoint);
        stack = upgraded;
        String alice = LocalUsers.of(upgraded).token("sam-alice", List.of("users"));
        ApiClient.Reply listed = new ApiClient(apiUrl()).get("/sessions?name=after-sam-deploy", alice);
        assertThat(listed.status()).as(listed.body()).isEqualTo(200);
        assertThat(listed.body()).contains("after-sam-deploy");
    }

    /**
     * The agent fleet as the README turns it on: the agent jar uploaded, the fleet deployed with count 0, then the
     * count raised. (The emulator's Auto Scaling group keeps the count and launches no instance.)
     */
    @Test
    @Order(4)
    void theFleetIsTurnedOnAtCountZeroThenRaised() throws Exception {
        List<String> fleet = readme.get("fleet");
        List<String> deploys = fleet.stream().filter(c -> c.startsWith("sam deploy")).toList();
        assertThat(deploys).as("the README's fleet block: deploy at count 0, then raise the count").hasSize(2);
        assertThat(deploys.get(0)).contains("AgentDesiredCount=0");
        for (String command : fleet) {
            run(command, command.startsWith("sam deploy") ? " --stack-name " + STACK : "");
        }
        Map<String, String> parameters = cloudFormation.describeStacks(b -> b.stackName(STACK)).stacks().get(0).parameters()
                .stream().collect(Collectors.toMap(p -> p.parameterKey(), p -> p.parameterValue()));
        assertThat(parameters.get("AgentDesiredCount")).isNotEqualTo("0");
        assertThat(parameters.get("AgentInstanceType")).isNotEmpty();
        assertThat(parameters).as("kept from the first deploy").containsEntry("LocalProxyUrl", runtime.stackParameters().get("LocalProxyUrl"));
        assertThat(resources(STACK).stream().map(StackResource::resourceType))
                .contains("AWS::IAM::Role", "AWS::IAM::InstanceProfile", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup");
        LocalDeployer.DeployedStack withFleet = new LocalDeployer().describe(STACK);
        runtime.serve(withFleet, suite.endpoint);
        stack = withFleet;
        String alice = LocalUsers.of(withFleet).token("sam-alice", List.of("users"));
        ApiClient.Reply listed = new ApiClient(apiUrl()).get("/sessions?name=after-sam-deploy", alice);
        assertThat(listed.status()).as(listed.body()).isEqualTo(200);
    }

    /**
     * {@code sam delete} removes the stack; every table, bucket and user pool the template retains is still there
     * (with its data: the session written above), and every other one is gone.
     */
    @Test
    @Order(5)
    void teardownKeepsWhatTheTemplateRetains() throws Exception {
        List<StackResource> before = resources(STACK);
        Map<String, String> policies = deletionPolicies(Files.readString(ROOT.resolve("template.yaml")));
        String sessionId = sessionIdOf("after-sam-deploy");
        runtime.close();
        runtime = null;

        for (String command : readme.get("teardown")) {
            run(command, command.startsWith("sam delete") ? " --stack-name " + STACK : "");
        }
        assertThat(stackExists(STACK)).as("stack " + STACK + " after sam delete").isFalse();

        DynamoDbClient dynamo = DynamoDbClient.builder().httpClient(AwsClients.httpClient()).build();
        S3Client s3 = S3Client.builder().httpClient(AwsClients.httpClient()).forcePathStyle(true).build();
        CognitoIdentityProviderClient cognito = CognitoIdentityProviderClient.builder().httpClient(AwsClients.httpClient()).build();
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (StackResource r : before) {
            boolean retained = Set.of("Retain", "RetainExceptOnCreate").contains(policies.getOrDefault(r.logicalResourceId(), "Delete"));
            String id = r.physicalResourceId();
            Boolean exists = switch (r.resourceType()) {
                case "AWS::DynamoDB::Table" -> tableExists(dynamo, id);
                case "AWS::S3::Bucket" -> bucketExists(s3, id);
                case "AWS::Cognito::UserPool" -> userPoolExists(cognito, id);
                default -> null;
            };
            if (exists == null) {
                continue;
            }
            checked++;
            if (exists != retained) {
                wrong.add(r.logicalResourceId() + " (" + r.resourceType() + " " + id + ") is " + (exists ? "still there" : "gone")
                        + " but its DeletionPolicy is " + policies.getOrDefault(r.logicalResourceId(), "Delete (the default)"));
            }
            if (retained && r.logicalResourceId().equals("SessionsTable")) {
                assertThat(dynamo.getItem(b -> b.tableName(id).key(Map.of("id", AttributeValue.fromS(sessionId)))).hasItem())
                        .as("the session written before the teardown, in the retained sessions table").isTrue();
            }
        }
        assertThat(checked).as("tables, buckets and user pools of the stack").isGreaterThanOrEqualTo(10);
        assertThat(wrong).isEmpty();
    }

    private static String sessionIdOf(String name) {
        String alice = LocalUsers.of(stack).token("sam-alice", List.of("users"));
        ApiClient.Reply listed = new ApiClient(apiUrl()).get("/sessions?name=" + name, alice);
        assertThat(listed.status()).as(listed.body()).isEqualTo(200);
        String id = listed.json().path("items").path(0).path("id").asText("");
        assertThat(id).as("the session named " + name + " in " + listed.body()).isNotEmpty();
        return id;
    }

    private static String apiUrl() {
        return suite.endpoint + "/_aws/execute-api/" + stack.apiId() + "/v1";
    }

    /** {@code Name=value} of the README's upgrade command. */
    private static String upgradedParameter(List<String> upgrade) {
        Matcher m = Pattern.compile("--parameter-overrides (\\w+=\\S+)").matcher(String.join("\n", upgrade));
        assertThat(m.find()).as("a --parameter-overrides Name=value in " + upgrade).isTrue();
        return m.group(1);
    }

    /** The commands of each marked ```sh block of the README (comments and blank lines dropped). */
    static Map<String, List<String>> readmeBlocks(String readme) {
        Map<String, List<String>> blocks = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            // A line ending in a backslash goes on on the next one, as in a shell.
            List<String> commands = List.of(m.group(2).replaceAll("\\\\\n\\s*", " ").split("\n")).stream()
                    .map(l -> l.replaceFirst("\\s+#.*$", "").strip()).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            assertThat(blocks.put(m.group(1), commands)).as("one README block of " + m.group(1) + " commands").isNull();
        }
        assertThat(blocks).as("the README's marked deploy, upgrade, fleet and teardown blocks").containsKeys("deploy", "upgrade", "fleet", "teardown");
        return blocks;
    }

    /** Each resource's DeletionPolicy in template.yaml (two-space-indented logical ids under Resources). */
    static Map<String, String> deletionPolicies(String template) {
        Map<String, String> policies = new LinkedHashMap<>();
        String section = "";
        String resource = null;
        for (String line : template.lines().toList()) {
            Matcher top = Pattern.compile("^(\\w+):").matcher(line);
            if (top.find()) {
                section = top.group(1);
                resource = null;
                continue;
            }
            if (!section.equals("Resources")) {
                continue;
            }
            Matcher id = Pattern.compile("^  (\\w+):\\s*$").matcher(line);
            if (id.find()) {
                resource = id.group(1);
                continue;
            }
            Matcher policy = Pattern.compile("^    DeletionPolicy:\\s*(\\w+)").matcher(line);
            if (resource != null && policy.find()) {
                policies.put(resource, policy.group(1));
            }
        }
        return policies;
    }

    /** A copy of the checkout as a clone would have it (tracked and new files, nothing ignored: no target/, no .venv). */
    private static Path copyOfCheckout() throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path copy = WORK.resolve("checkout");
        if (Files.exists(copy)) {
            try (Stream<Path> old = Files.walk(copy)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(copy);
        Process git = new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
                .directory(ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String listed = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(git.waitFor()).as("git ls-files in " + ROOT).isZero();
        int files = 0;
        for (String name : listed.split("\0")) {
            Path from = ROOT.resolve(name);
            if (name.isEmpty() || !Files.isRegularFile(from)) {
                continue;
            }
            Path to = copy.resolve(name);
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            files++;
        }
        assertThat(copy.resolve("pom.xml")).exists();
        assertThat(copy.resolve("samconfig.toml")).exists();
        timings.put("copy (" + files + " files)", Duration.ofNanos(System.nanoTime() - start));
        return copy;
    }

    /** Runs one README command in the copy with bash, as a user would type it, plus {@code extra} for the emulator. */
    private static void run(String command, String extra) throws IOException, InterruptedException {
        Files.createDirectories(WORK);
        Path log = WORK.resolve(++commandsRun + "-" + command.split(" ")[0] + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", command + extra).directory(checkout.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.remove("MAVEN_PROJECTBASEDIR");
        env.put("PATH", sam.getParent() + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("AWS_ENDPOINT_URL", suite.endpoint);
        env.putIfAbsent("AWS_REGION", "us-east-1");
        env.put("AWS_DEFAULT_REGION", env.get("AWS_REGION"));
        env.putIfAbsent("AWS_ACCESS_KEY_ID", "test");
        env.putIfAbsent("AWS_SECRET_ACCESS_KEY", "test");
        env.put("SAM_CLI_TELEMETRY", "0");
        long start = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        timings.put(command, Duration.ofNanos(System.nanoTime() - start));
        String output = Files.readString(log);
        String tail = output.length() > 6000 ? output.substring(output.length() - 6000) : output;
        assertThat(done && p.exitValue() == 0).as("`" + command + extra + "` " + (done ? "exited " + p.exitValue() : "ran over 10 minutes")
                + " (log " + log + "):\n" + tail).isTrue();
    }

    private static List<StackResource> resources(String stackName) {
        return cloudFormation.describeStackResources(b -> b.stackName(stackName)).stackResources();
    }

    private static boolean stackExists(String stackName) {
        try {
            return !cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0).stackStatusAsString().equals("DELETE_COMPLETE");
        } catch (CloudFormationException e) {
            if (String.valueOf(e.getMessage()).contains("does not exist")) {
                return false;
            }
            throw e;
        }
    }

    private static boolean tableExists(DynamoDbClient dynamo, String name) {
        try {
            dynamo.describeTable(b -> b.tableName(name));
            return true;
        } catch (software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException e) {
            return false;
        }
    }

    private static boolean bucketExists(S3Client s3, String name) {
        try {
            s3.headBucket(b -> b.bucket(name));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private static boolean userPoolExists(CognitoIdentityProviderClient cognito, String id) {
        try {
            cognito.describeUserPool(b -> b.userPoolId(id));
            return true;
        } catch (ResourceNotFoundException e) {
            return false;
        }
    }
}
