package dev.sluice.local.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutRuleRequest;
import software.amazon.awssdk.services.eventbridge.model.PutTargetsRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionRequest;
import software.amazon.awssdk.services.sfn.model.StartExecutionRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/** The IAM contract's pure parts: what a request acts on, the actions it needs, and what a role grants. */
class IamContractTest {
    private static final StackFacts STACK = new StackFacts("st", "aws", "eu-west-1", "123456789012", Map.of("BusName", "bus-p"), Map.of(
            "Fn", new StackFacts.Resource("AWS::Lambda::Function", "st-Fn-1"),
            "Other", new StackFacts.Resource("AWS::Lambda::Function", "st-Other-1"),
            "Table", new StackFacts.Resource("AWS::DynamoDB::Table", "st-Table-1"),
            "Agents", new StackFacts.Resource("AWS::DynamoDB::Table", "st-Agents-1"),
            "Bus", new StackFacts.Resource("AWS::Events::EventBus", "bus-p"),
            "Bucket", new StackFacts.Resource("AWS::S3::Bucket", "st-bucket-1"),
            "Queue", new StackFacts.Resource("AWS::SQS::Queue", "http://sqs.local:4566/123456789012/st-Queue-1")));

    private static JsonNode template() throws Exception {
        return Json.MAPPER.readTree("""
                {"Parameters": {"BusName": {"Type": "String"}, "Fleet": {"Type": "String", "Default": "off"},
                                "Subnets": {"Type": "CommaDelimitedList", "Default": ""}},
                 "Conditions": {"FleetOn": {"Fn::And": [{"Fn::Equals": [{"Ref": "Fleet"}, "on"]},
                                  {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Subnets"}]}, ""]}]}]},
                                "FleetOff": {"Fn::Not": [{"Condition": "FleetOn"}]}},
                 "Resources": {
                  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
                  "Other": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["OtherRole", "Arn"]}}},
                  "FnRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
                    {"PolicyName": "crud", "PolicyDocument": {"Statement": [{"Effect": "Allow",
                      "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
                      "Resource": [{"Fn::Sub": ["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${t}", {"t": {"Ref": "Table"}}]},
                                   {"Fn::Sub": ["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${t}/index/*", {"t": {"Ref": "Table"}}]}]}]}},
                    {"PolicyName": "queue", "PolicyDocument": {"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage",
                      "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}}},
                    {"Fn::If": ["FleetOn", {"PolicyName": "fleet", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*",
                      "Resource": "*"}]}}, {"Ref": "AWS::NoValue"}]},
                    {"PolicyName": "rules", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["events:PutRule", "events:PutTargets"],
                      "Resource": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${BusName}/hook-*"}}]}},
                    {"PolicyName": "bucket", "PolicyDocument": {"Statement": [
                      {"Effect": "Allow", "NotAction": ["s3:DeleteObject"], "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}},
                      {"Effect": "Deny", "Action": "s3:PutObject", "Resource": {"Fn::Sub": "${Bucket.Arn}/locked/*"}}]}}]}},
                  "OtherRole": {"Type": "AWS::IAM::Role", "Properties": {}},
                  "BusPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "FnRole"}], "PolicyName": "bus",
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "EVENTS:put?vents", "Resource": {"Fn::GetAtt": ["Bus", "Arn"]}}]}}},
                  "FleetPolicy": {"Type": "AWS::IAM::Policy", "Condition": "FleetOn", "Properties": {"Roles": [{"Ref": "FnRole"}, {"Ref": "OtherRole"}],
                    "PolicyName": "fleet", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}},
                  "Table": {"Type": "AWS::DynamoDB::Table"}, "Agents": {"Type": "AWS::DynamoDB::Table"}, "Bus": {"Type": "AWS::Events::EventBus"},
                  "Bucket": {"Type": "AWS::S3::Bucket"}, "Queue": {"Type": "AWS::SQS::Queue"}}}
                """);
    }

    private static AwsCall call(String function, String service, String operation, String item, String resource) {
        return new AwsCall(function, service, operation, item, resource, false);
    }

    @Test
    void aTransactionNeedsThePerItemActionOnEachTableItTouches() {
        TransactWriteItemsRequest release = TransactWriteItemsRequest.builder().transactItems(
                TransactWriteItem.builder().put(p -> p.tableName("st-Table-1").item(Map.of())).build(),
                TransactWriteItem.builder().update(u -> u.tableName("st-Agents-1").key(Map.of())).build(),
                TransactWriteItem.builder().update(u -> u.tableName("st-Agents-1").key(Map.of())).build(),
                TransactWriteItem.builder().conditionCheck(c -> c.tableName("st-Table-1").key(Map.of())).build()).build();
        assertThat(RequestResources.of(release)).containsExactly(new RequestResources.Target("Put", "table/st-Table-1"),
                new RequestResources.Target("Update", "table/st-Agents-1"), new RequestResources.Target("ConditionCheck", "table/st-Table-1"));
        assertThat(IamActions.needs(call("st-Fn-1", "dynamodb", "TransactWriteItems", "Update", "table/st-Agents-1"), STACK))
                .containsExactly(new IamActions.Need("dynamodb:UpdateItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/st-Agents-1"));
        assertThat(IamActions.needs(call("st-Fn-1", "dynamodb", "TransactWriteItems", "ConditionCheck", "table/st-Table-1"), STACK))
                .extracting(IamActions.Need::action).containsExactly("dynamodb:ConditionCheckItem");
    }

    @Test
    void eachServicesRequestNamesTheResourceItActsOn() {
        assertThat(RequestResources.of(QueryRequest.builder().tableName("t").indexName("by-owner").build()))
                .containsExactly(new RequestResources.Target(null, "table/t/index/by-owner"));
        assertThat(RequestResources.of(ListObjectsV2Request.builder().bucket("b").prefix("folders/").build()))
                .containsExactly(new RequestResources.Target(null, "b"));
        assertThat(RequestResources.of(CopyObjectRequest.builder().sourceBucket("b").sourceKey("a/x").destinationBucket("b")
                .destinationKey("c/y").build())).containsExactly(new RequestResources.Target("source", "b/a/x"), new RequestResources.Target("target", "b/c/y"));
        assertThat(RequestResources.copySource(null, null, "b/folders/a%20b/c%2Bd.txt?versionId=3")).isEqualTo("b/folders/a b/c+d.txt");
        assertThat(RequestResources.of(DeleteObjectsRequest.builder().bucket("b").delete(d -> d.objects(o -> o.key("k1"), o -> o.key("k2"))).build()))
                .containsExactly(new RequestResources.Target(null, "b/k1"), new RequestResources.Target(null, "b/k2"));
        assertThat(RequestResources.of(SendMessageRequest.builder().queueUrl("http://h:1/123456789012/q-1").build()))
                .containsExactly(new RequestResources.Target(null, "q-1"));
        assertThat(RequestResources.of(PutEventsRequest.builder().entries(PutEventsRequestEntry.builder()
                .eventBusName("arn:aws:events:eu-west-1:123456789012:event-bus/bus-p").build(), PutEventsRequestEntry.builder().eventBusName("bus-p").build()).build()))
                .containsExactly(new RequestResources.Target(null, "event-bus/bus-p"));
        assertThat(RequestResources.of(PutRuleRequest.builder().name("hook-1").eventBusName("bus-p").build()))
                .containsExactly(new RequestResources.Target(null, "rule/bus-p/hook-1"));
        assertThat(RequestResources.of(PutTargetsRequest.builder().rule("r").build())).containsExactly(new RequestResources.Target(null, "rule/r"));
        assertThat(RequestResources.of(StartExecutionRequest.builder().stateMachineArn("arn:aws:states:eu-west-1:123456789012:stateMachine:st-clone").build()))
                .containsExactly(new RequestResources.Target(null, "stateMachine:st-clone"));
        assertThat(RequestResources.of(DescribeExecutionRequest.builder().executionArn("arn:aws:states:eu-west-1:123456789012:execution:st-clone:e-1").build()))
                .containsExactly(new RequestResources.Target(null, "execution:st-clone:e-1"));
        assertThat(AwsCallRecorder.iamPrefix(StartExecutionRequest.class.getPackageName())).isEqualTo("states");
        assertThat(AwsCallRecorder.iamPrefix(PutRuleRequest.class.getPackageName())).isEqualTo("events");
    }

    @Test
    void callsOfOneKindCountOnceWhateverTheObjectOrExecution() {
        assertThat(call("f", "s3", "GetObject", null, "b/folders/1/x").sameAs()).isEqualTo(call("f", "s3", "GetObject", null, "b/folders/2/y").sameAs())
                .isNotEqualTo(call("f", "s3", "GetObject", null, "b/logs/1").sameAs());
        assertThat(call("f", "states", "DescribeExecution", null, "execution:m:1").sameAs())
                .isEqualTo(call("f", "states", "DescribeExecution", null, "execution:m:2").sameAs());
        assertThat(call("f", "events", "PutRule", null, "rule/b/hook-wh_74ba8e30-a36e-41aa-8f2e-fcde35ab07fd").sameAs())
                .isEqualTo(call("f", "events", "PutRule", null, "rule/b/hook-wh_887ac15b-7789-43ae-931f-cd9b955c8544").sameAs())
                .isNotEqualTo(call("f", "events", "PutRule", null, "rule/b/other-wh_887ac15b-7789-43ae-931f-cd9b955c8544").sameAs());
    }

    @Test
    void callsTheRoleGrantsPassWhateverFormTheGrantTakes() throws Exception {
        IamContract.Report report = new IamContract(template(), STACK).check(List.of(
                call("st-Fn-1", "dynamodb", "GetItem", null, "table/st-Table-1"),
                call("st-Fn-1", "dynamodb", "Query", null, "table/st-Table-1/index/by-owner"),
                call("st-Fn-1", "dynamodb", "TransactWriteItems", "ConditionCheck", "table/st-Table-1"),
                call("st-Fn-1", "sqs", "SendMessage", null, "st-Queue-1"),
                call("st-Fn-1", "events", "PutEvents", null, "event-bus/bus-p"),
                call("st-Fn-1", "events", "PutRule", null, "rule/bus-p/hook-1"),
                new AwsCall("st-Fn-1", "s3", "GetObject", null, "st-bucket-1/folders/x", true),
                call("st-Fn-1", "s3", "PutObject", null, "st-bucket-1/folders/x")));
        assertThat(report.violations()).isEmpty();
        assertThat(report.checked()).contains("Fn dynamodb:GetItem", "Fn events:PutEvents", "Fn s3:PutObject");
    }

    @Test
    void aCallTheRoleDoesNotGrantIsNamedByFunctionActionAndResource() throws Exception {
        IamContract contract = new IamContract(template(), STACK);
        List<IamContract.Violation> violations = contract.check(List.of(
                call("st-Fn-1", "dynamodb", "TransactWriteItems", "Update", "table/st-Agents-1"),
                call("st-Fn-1", "dynamodb", "Query", null, "table/st-Agents-1/index/by-group"),
                call("st-Fn-1", "events", "PutRule", null, "rule/bus-p/other-1"),
                call("st-Fn-1", "s3", "DeleteObjects", null, "st-bucket-1/folders/x"),
                call("st-Fn-1", "s3", "PutObject", null, "st-bucket-1/locked/x"),
                call("st-Fn-1", "s3", "ListObjectsV2", null, "st-bucket-1"),
                call("st-Other-1", "sqs", "SendMessage", null, "st-Queue-1"))).violations();
        assertThat(violations).extracting(v -> v.function() + " " + v.action() + " " + v.resource()).containsExactly(
                "Fn dynamodb:UpdateItem arn:aws:dynamodb:eu-west-1:123456789012:table/st-Agents-1",
                "Fn dynamodb:Query arn:aws:dynamodb:eu-west-1:123456789012:table/st-Agents-1/index/by-group",
                "Fn events:PutRule arn:aws:events:eu-west-1:123456789012:rule/bus-p/other-1",
                "Fn s3:DeleteObject arn:aws:s3:::st-bucket-1/folders/x",
                "Fn s3:PutObject arn:aws:s3:::st-bucket-1/locked/x",
                "Fn s3:ListBucket arn:aws:s3:::st-bucket-1",
                "Other sqs:SendMessage arn:aws:sqs:eu-west-1:123456789012:st-Queue-1");
        assertThat(violations.get(0).toString()).isEqualTo("Fn calls dynamodb:TransactWriteItems (Update) on table/st-Agents-1: its role "
                + "FnRole does not grant dynamodb:UpdateItem on arn:aws:dynamodb:eu-west-1:123456789012:table/st-Agents-1");
    }

    @Test
    void aPolicyOrGrantWhoseConditionHoldsCounts() throws Exception {
        StackFacts fleetOn = new StackFacts("st", "aws", "eu-west-1", "123456789012", Map.of("BusName", "bus-p", "Fleet", "on",
                "Subnets", "subnet-a,subnet-b"), STACK.resources());
        assertThat(new IamContract(template(), fleetOn).check(List.of(call("st-Other-1", "sqs", "SendMessage", null, "st-Queue-1"),
                call("st-Fn-1", "s3", "DeleteObject", null, "st-bucket-1/x"))).violations()).isEmpty();
    }

    @Test
    void aCallWithNoKnownActionsFailsRatherThanPasses() throws Exception {
        List<IamContract.Violation> violations = new IamContract(template(), STACK).check(List.of(
                call("st-Fn-1", "dynamodb", "ExecuteStatement", null, "table/st-Table-1"),
                call("st-Fn-1", "kms", "Decrypt", null, "?"),
                call("st-Gone-1", "dynamodb", "GetItem", null, "table/st-Table-1"))).violations();
        assertThat(violations).extracting(IamContract.Violation::reason).containsExactly(
                "no IAM mapping for dynamodb:ExecuteStatement; write down the actions it needs in IamActions",
                "the resource of kms:Decrypt is not known to the recorder",
                "the deployed stack has no function st-Gone-1");
        assertThatThrownBy(() -> IamActions.needs(call("f", "sqs", "PurgeQueue", null, "q"), STACK)).isInstanceOf(IamActions.Unknown.class);
    }

    @Test
    void removingAGrantMakesTheCallsThatNeedItFail() throws Exception {
        AwsCall putEvents = call("st-Fn-1", "events", "PutEvents", null, "event-bus/bus-p");
        AwsCall getItem = call("st-Fn-1", "dynamodb", "GetItem", null, "table/st-Table-1");
        JsonNode without = IamContract.withoutAction(template(), "FnRole", "dynamodb:GetItem");
        assertThat(new IamContract(without, STACK).check(List.of(putEvents, getItem)).violations())
                .extracting(v -> v.function() + " " + v.action()).containsExactly("Fn dynamodb:GetItem");
        JsonNode noBus = IamContract.withoutAction(template(), "FnRole", "events:PutEvents");
        assertThat(new IamContract(noBus, STACK).check(List.of(putEvents)).violations()).as("the attached policy's pattern is not an exact name")
                .isEmpty();
        JsonNode noQueue = IamContract.withoutAction(template(), "FnRole", "sqs:SendMessage");
        assertThat(new IamContract(noQueue, STACK).check(List.of(call("st-Fn-1", "sqs", "SendMessage", null, "st-Queue-1"))).violations())
                .hasSize(1);
    }
}
