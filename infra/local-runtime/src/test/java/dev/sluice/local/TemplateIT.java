package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;

/** template.yaml: lint-clean, deployable into the emulator, and every handler it names exists. */
class TemplateIT {

    @Test
    void cfnLintReportsNothing() throws Exception {
        Path venv = Path.of(System.getenv().getOrDefault("SLUICE_VENV", LocalStack.ROOT.resolve(".venv").toString()));
        Process lint = new ProcessBuilder(venv.resolve("bin/cfn-lint").toString(), "template.yaml")
                .directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).start();
        assertThat(lint.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(output).isEmpty();
        assertThat(lint.exitValue()).isZero();
    }

    @Test
    void templateDeploysToCreateComplete() throws Exception {
        LocalStack local = LocalStack.get();
        try (CloudFormationClient cf = CloudFormationClient.builder().build()) {
            assertThat(cf.describeStacks(b -> b.stackName(local.stack.name())).stacks().get(0).stackStatusAsString())
                    .isEqualTo("CREATE_COMPLETE");
        }
        long declared = java.util.regex.Pattern.compile("Type: AWS::Serverless::Function\\b")
                .matcher(Files.readString(LocalStack.ROOT.resolve("template.yaml"))).results().count();
        assertThat(local.stack.functions()).hasSize((int) declared);
        assertThat(local.stack.outputs()).containsKey("FolderCloneStateMachineArn");
        assertThat(local.stack.outputs()).containsKeys("ApiId", "UserPoolId", "UserPoolClientId", "EventBusName");
    }

    @Test
    void everyHandlerTheTemplateNamesExistsAndIsARequestHandler() throws Exception {
        LocalStack local = LocalStack.get();
        for (FunctionHost.Binding b : local.stack.functions().values()) {
            assertThat(b.handler()).endsWith("::handleRequest");
            Class<?> type = Class.forName(b.handlerClass());
            assertThat(RequestHandler.class).isAssignableFrom(type);
            assertThat(type.getConstructor()).as("Lambda needs a no-argument constructor on " + type).isNotNull();
        }
        String template = Files.readString(LocalStack.ROOT.resolve("template.yaml"));
        // "*" only for the one action IAM has no resource-level permissions for: the elastic fleet's DescribeInstances.
        String describe = "            Action: ec2:DescribeInstances\n            Resource: \"*\"\n";
        assertThat(template).contains(describe);
        assertThat(template.replace(describe, "")).contains("Runtime: java21").doesNotContain("Resource: \"*\"").doesNotContain("Resource: '*'");
    }

    @Test
    void everyFunctionIsWiredToTheLocalRuntime() throws Exception {
        LocalStack local = LocalStack.get();
        for (FunctionHost.Binding b : local.stack.functions().values()) {
            assertThat(b.environment()).containsEntry("MINISTACK_LAMBDA_PROXY_URL", "http://127.0.0.1:" + local.runtime.port() + "/invoke");
            assertThat(b.environment()).containsKeys("SESSIONS_TABLE", "RESOURCE_GROUPS_TABLE", "IDEMPOTENCY_TABLE", "EVENT_BUS_NAME");
        }
    }
}
