package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.aws.AwsClients;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.apigateway.ApiGatewayClient;
import software.amazon.awssdk.services.apigateway.model.Resource;
import software.amazon.awssdk.services.eventbridge.model.Rule;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourceMappingConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * Issue #12 item 10, as deployed: every function has the alias {@code live} on a published version with SnapStart
 * on, and what calls the functions (API Gateway, the delivery queue's mapping, the event rules, the clone state
 * machine) calls that alias, not the unpublished {@code $LATEST}, which SnapStart never applies to.
 */
class SnapStartAliasIT {

    @Test
    void everyFunctionHasItsLiveAliasOnASnapStartVersion() throws Exception {
        LocalStack local = LocalStack.get();
        try (LambdaClient lambda = LambdaClient.builder().httpClient(AwsClients.httpClient()).build()) {
            for (String function : local.stack.functions().keySet()) {
                String version = lambda.getAlias(b -> b.functionName(function).name("live")).functionVersion();
                assertThat(version).as(function).isNotEqualTo("$LATEST");
                GetFunctionConfigurationResponse published = lambda.getFunctionConfiguration(b -> b.functionName(function).qualifier(version));
                assertThat(published.snapStart().applyOnAsString()).as(function).isEqualTo("PublishedVersions");
                assertThat(published.snapStart().optimizationStatusAsString()).as(function).isEqualTo("On");
            }
        }
    }

    @Test
    void theCallersInvokeTheAlias() throws Exception {
        LocalStack local = LocalStack.get();
        List<String> invoked = new ArrayList<>();
        try (LambdaClient lambda = LambdaClient.builder().httpClient(AwsClients.httpClient()).build()) {
            for (EventSourceMappingConfiguration m : lambda.listEventSourceMappings().eventSourceMappings()) {
                if (local.stack.functions().keySet().stream().anyMatch(f -> m.functionArn().contains(":function:" + f))) {
                    invoked.add(m.functionArn());
                }
            }
        }
        String bus = local.stack.outputs().get("EventBusName");
        for (Rule rule : AwsClients.shared().eventBridge().listRules(b -> b.eventBusName(bus)).rules()) {
            for (Target t : AwsClients.shared().eventBridge().listTargetsByRule(b -> b.rule(rule.name()).eventBusName(bus)).targets()) {
                if (t.arn().contains(":lambda:")) {
                    invoked.add(t.arn());
                }
            }
        }
        try (ApiGatewayClient api = ApiGatewayClient.builder().httpClient(AwsClients.httpClient()).build()) {
            for (Resource r : api.getResources(b -> b.restApiId(local.stack.apiId()).limit(500)).items()) {
                for (String method : r.resourceMethods() == null ? List.<String>of() : r.resourceMethods().keySet()) {
                    if (!method.equals("OPTIONS")) {
                        invoked.add(api.getIntegration(b -> b.restApiId(local.stack.apiId()).resourceId(r.id()).httpMethod(method)).uri());
                    }
                }
            }
        }
        try (SfnClient sfn = SfnClient.builder().httpClient(AwsClients.httpClient()).build()) {
            String definition = sfn.describeStateMachine(b -> b.stateMachineArn(local.stack.outputs().get("FolderCloneStateMachineArn"))).definition();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("arn:aws:lambda:[^\"]+").matcher(definition);
            while (m.find()) {
                invoked.add(m.group());
            }
        }

        // the queue's mapping, the nudge and deletion rules, the API's routes and the clone steps
        assertThat(invoked).hasSizeGreaterThan(40);
        assertThat(invoked).allSatisfy(arn -> assertThat(arn).matches(".*:function:[A-Za-z0-9-]+:live(/invocations)?"));
    }
}
