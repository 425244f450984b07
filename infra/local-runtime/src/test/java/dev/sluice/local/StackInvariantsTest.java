package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Properties of the stack that only AWS would enforce (the emulator is lenient), checked on template.yaml as
 * CloudFormation deploys it (expanded by the SAM translator). Each names what it found wrong.
 */
class StackInvariantsTest {
    /** API Gateway ends an integration after 29 s, whatever the function's timeout. */
    static final int API_GATEWAY_TIMEOUT_SECONDS = 29;
    static final List<String> LAMBDA_ERRORS_TO_RETRY = List.of("Lambda.ServiceException", "Lambda.AWSLambdaException",
            "Lambda.SdkClientException", "Lambda.ClientExecutionTimeoutException", "Lambda.Unknown");
    /** The property that gives each type a physical name of its own, where that name is unique in an account and region. */
    static final Map<String, String> NAMED_TYPES = Map.ofEntries(
            Map.entry("AWS::Events::EventBus", "Name"), Map.entry("AWS::Events::Rule", "Name"),
            Map.entry("AWS::Scheduler::Schedule", "Name"), Map.entry("AWS::StepFunctions::StateMachine", "StateMachineName"),
            Map.entry("AWS::DynamoDB::Table", "TableName"), Map.entry("AWS::S3::Bucket", "BucketName"),
            Map.entry("AWS::SQS::Queue", "QueueName"), Map.entry("AWS::IAM::Role", "RoleName"),
            Map.entry("AWS::IAM::ManagedPolicy", "ManagedPolicyName"), Map.entry("AWS::IAM::InstanceProfile", "InstanceProfileName"),
            Map.entry("AWS::Logs::LogGroup", "LogGroupName"), Map.entry("AWS::Cognito::UserPool", "UserPoolName"),
            Map.entry("AWS::Lambda::Function", "FunctionName"), Map.entry("AWS::ApiGateway::RestApi", "Name"),
            Map.entry("AWS::EC2::LaunchTemplate", "LaunchTemplateName"),
            Map.entry("AWS::AutoScaling::AutoScalingGroup", "AutoScalingGroupName"),
            Map.entry("AWS::SecretsManager::Secret", "Name"));
    /** Types without a physical name, or whose name is unique only within another resource of the stack. */
    static final Set<String> UNNAMED_OR_SCOPED_TYPES = Set.of("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
            "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup", "AWS::Lambda::Permission",
            "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::IAM::Policy",
            "AWS::SQS::QueuePolicy", "AWS::ApiGateway::GatewayResponse");
    /** What AWS keeps unless told otherwise, and loses with the stack. */
    static final Set<String> STATEFUL_TYPES = Set.of("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Cognito::UserPool",
            "AWS::Logs::LogGroup", "AWS::SQS::Queue");

    static JsonNode template;
    static JsonNode resources;

    @BeforeAll
    static void expand() throws Exception {
        template = ExpandedTemplate.json();
        resources = template.path("Resources");
    }

    record Route(String path, String method, JsonNode operation) {
        @Override
        public String toString() {
            return method.toUpperCase() + " " + path;
        }
    }

    static List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        each(resources, (name, r) -> {
            if (r.path("Type").asText().equals("AWS::ApiGateway::RestApi")) {
                r.path("Properties").path("Body").path("paths").fields().forEachRemaining(p ->
                        p.getValue().fields().forEachRemaining(m -> routes.add(new Route(p.getKey(), m.getKey(), m.getValue()))));
            }
        });
        assertThat(routes).isNotEmpty();
        return routes;
    }

    @Test
    void noIntegrationCallsItsFunctionWithTheCallersCredentials() {
        for (Route route : routes()) {
            JsonNode integration = route.operation().path("x-amazon-apigateway-integration");
            assertThat(integration.isObject()).as(route + " has an integration").isTrue();
            // SAM's default for IAM-authorized routes is "arn:aws:iam::*:user/*": the caller's own credentials, which
            // would need lambda:InvokeFunction on the agents' role. API Gateway must invoke with its own permission.
            assertThat(integration.has("credentials")).as(route + " integration credentials " + integration.path("credentials")).isFalse();
        }
    }

    @Test
    void everyUserRouteTakesAnyOtherMethodToItsFunctionWhichKnowsTheRoutesMethods() {
        Map<String, java.util.Set<String>> methods = new java.util.TreeMap<>();
        Map<String, Boolean> any = new java.util.TreeMap<>();
        for (Route route : routes()) {
            if (route.path().startsWith("/agent/")) {
                continue;
            }
            if (route.method().equals("x-amazon-apigateway-any-method")) {
                any.put(route.path(), true);
            } else {
                methods.computeIfAbsent(route.path(), p -> new java.util.TreeSet<>()).add(route.method().toUpperCase());
            }
        }
        Map<String, java.util.Set<String>> known = new java.util.TreeMap<>();
        dev.sluice.functions.http.Routes.all().forEach((path, allow) -> known.put(path, new java.util.TreeSet<>(List.of(allow.split(", ")))));
        assertThat(known).as("dev.sluice.functions.http.Routes against the template's routes").isEqualTo(methods);
        assertThat(any.keySet()).as("user routes with an any method (answered 405 with Allow by the function)").isEqualTo(methods.keySet());
    }

    @Test
    void agentRoutesTakeSignedRequestsAndEveryOtherRouteACognitoToken() {
        JsonNode api = single("AWS::ApiGateway::RestApi").path("Properties").path("Body");
        JsonNode schemes = api.path("securityDefinitions");
        assertThat(schemes.path("AWS_IAM").path("x-amazon-apigateway-authtype").asText()).isEqualTo("awsSigv4");
        assertThat(schemes.path("CognitoAuthorizer").path("x-amazon-apigateway-authorizer").path("type").asText())
                .isEqualTo("cognito_user_pools");
        int agentRoutes = 0;
        for (Route route : routes()) {
            boolean agent = route.path().startsWith("/agent/");
            agentRoutes += agent ? 1 : 0;
            assertThat(route.operation().path("security").toString()).as(route + " authorization")
                    .isEqualTo(agent ? "[{\"AWS_IAM\":[]}]" : "[{\"CognitoAuthorizer\":[]}]");
        }
        assertThat(agentRoutes).isPositive();
    }

    @Test
    void theGatewaysRefusalsAreDeclaredOnTheApiInSluicesErrorShape() throws Exception {
        assertThat(ofType("AWS::ApiGateway::GatewayResponse")).as("separate gateway response resources").isEmpty();
        JsonNode responses = single("AWS::ApiGateway::RestApi").path("Properties").path("Body").path("x-amazon-apigateway-gateway-responses");
        Map<String, Integer> status = Map.of("UNAUTHORIZED", 401, "ACCESS_DENIED", 403, "MISSING_AUTHENTICATION_TOKEN", 403);
        for (String type : List.of("UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX")) {
            JsonNode response = responses.path(type);
            String body = response.path("responseTemplates").path("application/json").asText()
                    .replace("$context.error.messageString", "\"a message\"");
            JsonNode error = ExpandedTemplate.MAPPER.readTree(body).path("error");
            assertThat(error.path("code").asText()).as(type + " code").isNotEmpty();
            assertThat(error.path("message").asText()).as(type + " message").isNotEmpty();
            assertThat(error.has("field")).as(type + " field").isTrue();
            if (status.containsKey(type)) {
                assertThat(response.path("statusCode").asInt()).as(type + " status").isEqualTo(status.get(type));
            }
        }
        // API Gateway answers an unsigned call to an agent route and a call to no route alike: one message for both.
        String missing = responses.path("MISSING_AUTHENTICATION_TOKEN").path("responseTemplates").path("application/json").asText();
        assertThat(missing).contains("There is no such route").contains("Signature Version 4");
    }

    @Test
    void noPhysicalNameWouldCollideWithAnotherStackInTheSameAccountAndRegion() {
        each(resources, (name, r) -> {
            String type = r.path("Type").asText();
            if (UNNAMED_OR_SCOPED_TYPES.contains(type)) {
                return;
            }
            assertThat(NAMED_TYPES).as("which property names a " + type + " (" + name + "): add it to NAMED_TYPES or "
                    + "UNNAMED_OR_SCOPED_TYPES").containsKey(type);
            JsonNode physical = r.path("Properties").path(NAMED_TYPES.get(type));
            if (!physical.isMissingNode()) {
                for (JsonNode branch : branches(physical)) {
                    assertThat(branch.toString()).as(name + " " + NAMED_TYPES.get(type) + " is fixed; leave it out or put "
                            + "${AWS::StackName} in it").contains("AWS::StackName");
                }
            }
        });
    }

    @Test
    void apiFunctionsEndBeforeApiGatewayGivesUp() {
        Set<String> functions = new HashSet<>();
        for (Route route : routes()) {
            functions.add(function(route.operation().path("x-amazon-apigateway-integration").path("uri")));
        }
        assertThat(functions).hasSizeGreaterThan(5);
        for (String f : functions) {
            assertThat(timeout(f)).as(f + " timeout (seconds)").isLessThanOrEqualTo(API_GATEWAY_TIMEOUT_SECONDS);
        }
    }

    @Test
    void everyQueueHidesAMessageForAtLeastSixTimesItsConsumersTimeout() {
        List<JsonNode> mappings = ofType("AWS::Lambda::EventSourceMapping");
        assertThat(mappings).isNotEmpty();
        for (JsonNode m : mappings) {
            String queue = getAtt(m.path("Properties").path("EventSourceArn"));
            if (!resources.path(queue).path("Type").asText().equals("AWS::SQS::Queue")) {
                continue;
            }
            String consumer = function(m.path("Properties").path("FunctionName"));
            int visibility = resources.path(queue).path("Properties").path("VisibilityTimeout").asInt(30);
            assertThat(visibility).as(queue + " VisibilityTimeout against 6 x " + consumer + "'s timeout")
                    .isGreaterThanOrEqualTo(6 * timeout(consumer));
        }
    }

    @Test
    void everyStatefulResourceIsRetainedAndTheUserPoolProtected() {
        List<String> stateful = new ArrayList<>();
        each(resources, (name, r) -> {
            if (STATEFUL_TYPES.contains(r.path("Type").asText())) {
                stateful.add(name);
                assertThat(r.path("DeletionPolicy").asText()).as(name + " DeletionPolicy").isEqualTo("Retain");
                assertThat(r.path("UpdateReplacePolicy").asText()).as(name + " UpdateReplacePolicy").isEqualTo("Retain");
            }
        });
        assertThat(stateful).contains("SessionsTable", "FolderBucket", "UserPool");
        assertThat(single("AWS::Cognito::UserPool").path("Properties").path("DeletionProtection").asText()).isEqualTo("ACTIVE");
    }

    @Test
    void everyFunctionLogsIntoALogGroupWithARetention() {
        List<JsonNode> functions = ofType("AWS::Lambda::Function");
        each(resources, (name, r) -> {
            if (r.path("Type").asText().equals("AWS::Lambda::Function")) {
                JsonNode group = r.path("Properties").path("LoggingConfig").path("LogGroup");
                assertThat(group.has("Ref")).as(name + " LoggingConfig.LogGroup names a log group of the stack: " + group).isTrue();
                JsonNode logGroup = resources.path(group.path("Ref").asText());
                assertThat(logGroup.path("Type").asText()).isEqualTo("AWS::Logs::LogGroup");
                assertThat(logGroup.path("Properties").path("RetentionInDays").asInt()).as(name + "'s log retention").isPositive();
            }
        });
        assertThat(functions).isNotEmpty();
    }

    @Test
    void everyQueueThatIsAnEventSourceOrATargetRedrivesToADeadLetterQueue() {
        Set<String> queues = new HashSet<>();
        for (JsonNode m : ofType("AWS::Lambda::EventSourceMapping")) {
            queues.add(getAtt(m.path("Properties").path("EventSourceArn")));
        }
        for (JsonNode rule : ofType("AWS::Events::Rule")) {
            rule.path("Properties").path("Targets").forEach(t -> queues.add(getAtt(t.path("Arn"))));
        }
        queues.removeIf(q -> !resources.path(q).path("Type").asText().equals("AWS::SQS::Queue"));
        assertThat(queues).contains("WebhookDeliveryQueue");
        for (String q : queues) {
            JsonNode redrive = resources.path(q).path("Properties").path("RedrivePolicy");
            String dlq = getAtt(redrive.path("deadLetterTargetArn"));
            assertThat(resources.path(dlq).path("Type").asText()).as(q + " redrives to a queue of the stack").isEqualTo("AWS::SQS::Queue");
            assertThat(redrive.path("maxReceiveCount").asInt()).as(q + " maxReceiveCount").isBetween(2, 20);
        }
    }

    @Test
    void everyLambdaTaskOfAStateMachineRetriesLambdasTransientErrors() throws Exception {
        List<JsonNode> machines = ofType("AWS::StepFunctions::StateMachine");
        assertThat(machines).isNotEmpty();
        int tasks = 0;
        for (JsonNode machine : machines) {
            tasks += lambdaTasksRetry(definition(machine));
        }
        assertThat(tasks).isPositive();
    }

    @Test
    void theRetryCheckFindsATaskThatDoesNotRetry() throws Exception {
        JsonNode definition = ExpandedTemplate.MAPPER.readTree("""
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Retry": [{"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"]}],
                  "End": true}}}
                """);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> lambdaTasksRetry(definition))
                .hasMessageContaining("A").hasMessageContaining("Lambda.ClientExecutionTimeoutException");
    }

    @Test
    void theSessionsApiMayGiveSlotsBackToAgentsInItsReleaseTransaction() {
        // DynamoSessionStore's release transaction updates each agent a session's kernels ran on (forced destroy).
        String role = getAtt(resources.path("SessionsApiFunction").path("Properties").path("Role"));
        List<String> onAgents = new ArrayList<>();
        resources.path(role).path("Properties").path("Policies").forEach(p -> p.path("PolicyDocument").path("Statement").forEach(s -> {
            if (s.path("Resource").toString().contains("\"AgentsTable\"")) {
                (s.path("Action").isArray() ? s.path("Action") : List.of(s.path("Action"))).forEach(a -> onAgents.add(a.asText()));
            }
        }));
        assertThat(onAgents).contains("dynamodb:UpdateItem");
    }

    // ---------------------------------------------------------------- helpers

    /** Checks every Lambda task of a definition (Parallel branches and Map iterators too); the number of such tasks. */
    static int lambdaTasksRetry(JsonNode definition) {
        int tasks = 0;
        var states = definition.path("States").fields();
        while (states.hasNext()) {
            var state = states.next();
            JsonNode s = state.getValue();
            for (JsonNode branch : s.path("Branches")) {
                tasks += lambdaTasksRetry(branch);
            }
            for (String inner : List.of("Iterator", "ItemProcessor")) {
                if (s.has(inner)) {
                    tasks += lambdaTasksRetry(s.get(inner));
                }
            }
            String resource = s.path("Resource").asText();
            if (s.path("Type").asText().equals("Task") && (resource.contains(":lambda:") || resource.contains("Function"))) {
                tasks++;
                Set<String> retried = new HashSet<>();
                s.path("Retry").forEach(r -> r.path("ErrorEquals").forEach(e -> retried.add(e.asText())));
                if (!retried.contains("States.ALL") && !retried.contains("States.TaskFailed")) {
                    List<String> missing = LAMBDA_ERRORS_TO_RETRY.stream().filter(e -> !retried.contains(e)).toList();
                    if (!missing.isEmpty()) {
                        throw new AssertionError("the Lambda task " + state.getKey() + " does not retry " + missing);
                    }
                }
            }
        }
        return tasks;
    }

    static JsonNode definition(JsonNode machine) throws Exception {
        JsonNode props = machine.path("Properties");
        if (props.has("Definition")) {
            return props.get("Definition");
        }
        JsonNode string = props.path("DefinitionString");
        if (string.isTextual()) {
            return ExpandedTemplate.MAPPER.readTree(string.asText());
        }
        JsonNode join = string.path("Fn::Join");
        StringBuilder text = new StringBuilder();
        join.get(1).forEach(part -> {
            if (!text.isEmpty()) {
                text.append(join.get(0).asText());
            }
            text.append(part.asText());
        });
        return ExpandedTemplate.MAPPER.readTree(text.toString());
    }

    private static final Pattern FUNCTION_IN_URI = Pattern.compile("/functions/\\$\\{([A-Za-z0-9]+)(?:\\.Arn)?}");

    /** The function a reference leads to: Ref or GetAtt of a function, or of an alias or version of one, or an integration URI. */
    static String function(JsonNode reference) {
        String name;
        if (reference.has("Fn::Sub")) {
            Matcher m = FUNCTION_IN_URI.matcher(reference.get("Fn::Sub").asText());
            assertThat(m.find()).as("a function in " + reference).isTrue();
            name = m.group(1);
        } else {
            name = reference.has("Ref") ? reference.get("Ref").asText() : getAtt(reference);
        }
        JsonNode r = resources.path(name);
        return switch (r.path("Type").asText()) {
            case "AWS::Lambda::Function" -> name;
            case "AWS::Lambda::Alias", "AWS::Lambda::Version" -> function(r.path("Properties").path("FunctionName"));
            default -> throw new AssertionError(reference + " leads to " + name + ", not a function");
        };
    }

    static int timeout(String function) {
        return resources.path(function).path("Properties").path("Timeout").asInt(3);
    }

    static String getAtt(JsonNode node) {
        JsonNode att = node.path("Fn::GetAtt");
        return att.isArray() ? att.get(0).asText() : att.asText().split("\\.", 2)[0];
    }

    /** The values a property can take: each branch of an Fn::If, or the value itself. */
    static List<JsonNode> branches(JsonNode value) {
        if (value.has("Fn::If")) {
            List<JsonNode> all = new ArrayList<>(branches(value.get("Fn::If").get(1)));
            all.addAll(branches(value.get("Fn::If").get(2)));
            all.removeIf(v -> v.path("Ref").asText().equals("AWS::NoValue"));
            return all;
        }
        return List.of(value);
    }

    static List<JsonNode> ofType(String type) {
        List<JsonNode> found = new ArrayList<>();
        each(resources, (name, r) -> {
            if (r.path("Type").asText().equals(type)) {
                found.add(r);
            }
        });
        return found;
    }

    static JsonNode single(String type) {
        List<JsonNode> found = ofType(type);
        assertThat(found).as(type).hasSize(1);
        return found.get(0);
    }

    /**
     * Every launch template in the stack as deployed asks for IMDSv2 only, with a PUT response hop limit of 1: the
     * host's agent reads its instance id and role, while a container behind Docker's bridge (one hop more) never gets a
     * token, and without a token (HttpTokens required) IMDS answers nothing — so sessions cannot take the role.
     */
    @Test
    void everyLaunchTemplateKeepsTheInstanceMetadataServiceFromContainers() {
        List<String> templates = new ArrayList<>();
        each(resources, (name, r) -> {
            if (!r.path("Type").asText().equals("AWS::EC2::LaunchTemplate")) {
                return;
            }
            templates.add(name);
            JsonNode metadata = r.path("Properties").path("LaunchTemplateData").path("MetadataOptions");
            assertThat(metadata.path("HttpTokens").asText()).as(name + " MetadataOptions.HttpTokens").isEqualTo("required");
            assertThat(metadata.path("HttpPutResponseHopLimit").isInt()).as(name + " HttpPutResponseHopLimit is a number")
                    .isTrue();
            assertThat(metadata.path("HttpPutResponseHopLimit").asInt()).as(name + " MetadataOptions.HttpPutResponseHopLimit")
                    .isEqualTo(1);
        });
        assertThat(templates).as("launch templates in the expanded template").contains("AgentLaunchTemplate");
    }

    static void each(JsonNode resources, java.util.function.BiConsumer<String, JsonNode> action) {
        Map<String, JsonNode> all = new LinkedHashMap<>();
        resources.fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue()));
        all.forEach(action);
    }
}
