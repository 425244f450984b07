package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.adapters.aws.AwsClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.apigateway.ApiGatewayClient;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackResource;
import software.amazon.awssdk.services.cloudformation.model.TemplateStage;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Deploys template.yaml into the emulator the way {@code sam package && sam deploy} does on AWS: the function
 * artifact goes to an S3 bucket, CodeUri points at it, and CloudFormation (with the SAM transform) creates the stack.
 */
public final class LocalDeployer {
    static final String ARTIFACT_BUCKET = "sluice-local-artifacts";
    static final String LOCAL_CODE_URI = "CodeUri: functions/target/sluice-functions-lambda.jar";

    private final CloudFormationClient cloudFormation;
    private final LambdaClient lambda;
    private final S3Client s3;
    private final ApiGatewayClient apiGateway;
    static final String STAGE = "v1";

    public LocalDeployer() {
        this.cloudFormation = CloudFormationClient.builder().httpClient(AwsClients.httpClient()).build();
        this.lambda = LambdaClient.builder().httpClient(AwsClients.httpClient()).build();
        this.apiGateway = ApiGatewayClient.builder().httpClient(AwsClients.httpClient()).build();
        this.s3 = S3Client.builder().httpClient(AwsClients.httpClient()).forcePathStyle(true).build();
    }

    /** What the deployed stack holds that the local runtime needs. */
    public record DeployedStack(String name, Map<String, String> outputs, Map<String, FunctionHost.Binding> functions) {
        public String apiId() {
            return outputs.get("ApiId");
        }
    }

    public DeployedStack deploy(String stackName, Path template, Path functionJar, Map<String, String> parameters)
            throws IOException, InterruptedException {
        String text = Files.readString(template);
        if (!text.contains(LOCAL_CODE_URI)) {
            throw new IllegalStateException("template.yaml no longer has '" + LOCAL_CODE_URI + "' in Globals");
        }
        if (!Files.exists(functionJar)) {
            throw new IllegalStateException(functionJar + " is missing: build it first (mvn package)");
        }
        try {
            s3.createBucket(b -> b.bucket(ARTIFACT_BUCKET));
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() != 409) {
                throw e;
            }
        }
        String key = "functions/" + Instant.now().toEpochMilli() + ".jar";
        s3.putObject(b -> b.bucket(ARTIFACT_BUCKET).key(key), RequestBody.fromFile(functionJar));
        String packaged = packageDefinitions(text.replace(LOCAL_CODE_URI, "CodeUri: s3://" + ARTIFACT_BUCKET + "/" + key),
                template.toAbsolutePath().getParent());

        deleteIfPresent(stackName);
        List<Parameter> params = new ArrayList<>();
        parameters.forEach((k, v) -> params.add(Parameter.builder().parameterKey(k).parameterValue(v).build()));
        // Through S3, as sam deploy sends a template over CloudFormation's 51,200-byte limit for an inline body.
        String templateKey = "templates/" + Instant.now().toEpochMilli() + "-" + template.getFileName();
        s3.putObject(b -> b.bucket(ARTIFACT_BUCKET).key(templateKey), RequestBody.fromString(packaged));
        String templateUrl = s3.utilities().getUrl(b -> b.bucket(ARTIFACT_BUCKET).key(templateKey)).toExternalForm();
        cloudFormation.createStack(b -> b.stackName(stackName).templateURL(templateUrl).parameters(params)
                .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM, Capability.CAPABILITY_AUTO_EXPAND));
        Stack stack = waitWhileInProgress(stackName);
        if (!"CREATE_COMPLETE".equals(stack.stackStatusAsString())) {
            throw new IllegalStateException("stack " + stackName + " ended " + stack.stackStatusAsString() + ": " + stack.stackStatusReason());
        }
        DeployedStack deployed = describe(stack);
        importGatewayResponses(stackName);
        return deployed;
    }

    /**
     * For a local stack kept across restarts ({@code sluice-local up}): the stack already in the emulator is used as it
     * is when it was deployed from the same template and parameters (its fingerprint is kept in {@code fingerprintFile}),
     * so its data stays; otherwise it is deployed afresh. Functions run in the local runtime from its own classes, so a
     * rebuilt jar alone needs no new deployment.
     */
    public DeployedStack deployOrReuse(String stackName, Path template, Path functionJar, Map<String, String> parameters,
            Path fingerprintFile) throws IOException, InterruptedException {
        String fingerprint = fingerprint(Files.readString(template), parameters);
        Optional<Stack> existing = find(stackName);
        if (existing.isPresent() && Files.exists(fingerprintFile)
                && Files.readString(fingerprintFile).trim().equals(fingerprint)
                && List.of("CREATE_COMPLETE", "UPDATE_COMPLETE").contains(existing.get().stackStatusAsString())) {
            return describe(existing.get());
        }
        if (existing.isPresent() && !existing.get().stackStatusAsString().equals("DELETE_COMPLETE")) {
            System.out.println("{\"level\":\"WARN\",\"logger\":\"local-deployer\",\"message\":\"the template or its "
                    + "parameters changed since the stack was deployed: deploying it afresh (its tables, buckets and user pool "
                    + "are retained by the template, but the emulator gives the new stack new ones)\"}");
        }
        Files.deleteIfExists(fingerprintFile);
        DeployedStack deployed = deploy(stackName, template, functionJar, parameters);
        Files.createDirectories(fingerprintFile.toAbsolutePath().getParent());
        Files.writeString(fingerprintFile, fingerprint + "\n");
        return deployed;
    }

    static String fingerprint(String template, Map<String, String> parameters) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(template.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            new java.util.TreeMap<>(parameters).forEach((k, v) -> sha.update(("\n" + k + "=" + v).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<Stack> find(String stackName) {
        try {
            return Optional.of(cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0));
        } catch (CloudFormationException e) {
            if (String.valueOf(e.getMessage()).contains("does not exist")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * An emulator gap, not a deploy step: the gateway responses are declared on the API (SAM's GatewayResponses, i.e.
     * {@code x-amazon-apigateway-gateway-responses} in its OpenAPI body), which API Gateway on AWS imports with the
     * body, so SAM's own deployment of the stage serves them. ministack 1.5.33 imports the paths and authorizers of a
     * body but not its gateway responses, so they are put here from the processed template, and the stage redeployed
     * to serve them (a stage serves what its deployment captured).
     */
    void importGatewayResponses(String stackName) throws IOException {
        JsonNode processed = new ObjectMapper().readTree(cloudFormation.getTemplate(b -> b.stackName(stackName)
                .templateStage(TemplateStage.PROCESSED)).templateBody());
        for (Iterator<Map.Entry<String, JsonNode>> it = processed.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> resource = it.next();
            JsonNode responses = resource.getValue().path("Properties").path("Body").path("x-amazon-apigateway-gateway-responses");
            if (!resource.getValue().path("Type").asText().equals("AWS::ApiGateway::RestApi") || responses.isEmpty()) {
                continue;
            }
            String apiId = cloudFormation.describeStackResource(b -> b.stackName(stackName).logicalResourceId(resource.getKey()))
                    .stackResourceDetail().physicalResourceId();
            for (Iterator<Map.Entry<String, JsonNode>> types = responses.fields(); types.hasNext(); ) {
                Map.Entry<String, JsonNode> type = types.next();
                JsonNode response = type.getValue();
                apiGateway.putGatewayResponse(b -> b.restApiId(apiId).responseType(type.getKey())
                        .statusCode(response.hasNonNull("statusCode") ? response.get("statusCode").asText() : null)
                        .responseTemplates(strings(response.path("responseTemplates")))
                        .responseParameters(strings(response.path("responseParameters"))));
            }
            importAnyMethods(apiId, resource.getValue().path("Properties").path("Body").path("paths"));
            apiGateway.createDeployment(b -> b.restApiId(apiId).stageName(STAGE)
                    .description("local: the gateway responses and any-methods of the OpenAPI body, which the emulator does not import"));
        }
    }

    /**
     * The same gap for {@code x-amazon-apigateway-any-method}: ministack 1.5.33 imports only the named methods of a
     * path. Each any-method is put as AWS would have imported it: method ANY with the authorization of the path's other
     * methods, integrated (Lambda proxy) with the same function as they are.
     */
    private void importAnyMethods(String apiId, JsonNode paths) {
        Map<String, String> resourceIds = new LinkedHashMap<>();
        apiGateway.getResourcesPaginator(b -> b.restApiId(apiId).limit(500)).items()
                .forEach(r -> resourceIds.put(r.path(), r.id()));
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            if (!path.getValue().has("x-amazon-apigateway-any-method") || !resourceIds.containsKey(path.getKey())) {
                continue;
            }
            String resourceId = resourceIds.get(path.getKey());
            String named = null;
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String m = methods.next();
                if (!m.startsWith("x-")) {
                    named = m.toUpperCase(java.util.Locale.ROOT);
                    break;
                }
            }
            if (named == null) {
                continue;
            }
            String like = named;
            var method = apiGateway.getMethod(b -> b.restApiId(apiId).resourceId(resourceId).httpMethod(like));
            var integration = apiGateway.getIntegration(b -> b.restApiId(apiId).resourceId(resourceId).httpMethod(like));
            apiGateway.putMethod(b -> b.restApiId(apiId).resourceId(resourceId).httpMethod("ANY")
                    .authorizationType(method.authorizationType()).authorizerId(method.authorizerId()));
            apiGateway.putIntegration(b -> b.restApiId(apiId).resourceId(resourceId).httpMethod("ANY")
                    .type(integration.type()).integrationHttpMethod(integration.httpMethod()).uri(integration.uri()));
        }
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static final java.util.regex.Pattern DEFINITION_URI =
            java.util.regex.Pattern.compile("(?m)^(\\s*)DefinitionUri: (infra/statemachines/[A-Za-z0-9._-]+)\\s*$");

    /** As {@code sam package} does: each state machine's local DefinitionUri uploaded to S3 and pointed at. */
    String packageDefinitions(String text, Path root) throws IOException {
        java.util.regex.Matcher m = DEFINITION_URI.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Path file = root.resolve(m.group(2));
            String key = "statemachines/" + Instant.now().toEpochMilli() + "-" + file.getFileName();
            s3.putObject(b -> b.bucket(ARTIFACT_BUCKET).key(key), RequestBody.fromFile(file));
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(m.group(1) + "DefinitionUri: s3://" + ARTIFACT_BUCKET + "/" + key));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The deployed stack as it is now. */
    public DeployedStack describe(String stackName) {
        return describe(cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0));
    }

    private DeployedStack describe(Stack stack) {
        String stackName = stack.stackName();
        Map<String, String> outputs = new LinkedHashMap<>();
        for (Output o : stack.outputs()) {
            outputs.put(o.outputKey(), o.outputValue());
        }
        Map<String, FunctionHost.Binding> functions = new LinkedHashMap<>();
        for (StackResource r : cloudFormation.describeStackResources(b -> b.stackName(stackName)).stackResources()) {
            if ("AWS::Lambda::Function".equals(r.resourceType())) {
                GetFunctionConfigurationResponse cfg = lambda.getFunctionConfiguration(b -> b.functionName(r.physicalResourceId()));
                Map<String, String> env = cfg.environment() == null ? Map.of() : cfg.environment().variables();
                functions.put(cfg.functionName(), new FunctionHost.Binding(cfg.functionName(), cfg.handler(), env));
            }
        }
        return new DeployedStack(stackName, outputs, functions);
    }

    private void deleteIfPresent(String stackName) throws InterruptedException {
        try {
            Stack existing = cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
            if (existing.stackStatusAsString().equals("DELETE_COMPLETE")) {
                return;
            }
            cloudFormation.deleteStack(b -> b.stackName(stackName));
            waitWhileInProgress(stackName);
        } catch (CloudFormationException e) {
            if (!String.valueOf(e.getMessage()).contains("does not exist")) {
                throw e;
            }
        }
    }

    private Stack waitWhileInProgress(String stackName) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (true) {
            Stack stack;
            try {
                stack = cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
            } catch (CloudFormationException e) {
                if (String.valueOf(e.getMessage()).contains("does not exist")) {
                    return Stack.builder().stackName(stackName).stackStatus("DELETE_COMPLETE").build();
                }
                throw e;
            }
            if (!stack.stackStatusAsString().endsWith("IN_PROGRESS")) {
                return stack;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("stack " + stackName + " still " + stack.stackStatusAsString() + " after 3 minutes");
            }
            Thread.sleep(250);
        }
    }
}
