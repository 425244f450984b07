package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.json.Json;
import dev.sluice.local.handlers.EchoHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The local runtime hands each handler its real Lambda event type, and reports failures as function errors. */
class FunctionHostTest {
    private final FunctionHost host = new FunctionHost(Map.of(
            "api", binding("api", EchoHandlers.Api.class),
            "sqs", binding("sqs", EchoHandlers.Sqs.class),
            "tick", binding("tick", EchoHandlers.Scheduled.class),
            "broken", binding("broken", EchoHandlers.Broken.class),
            "who", binding("who", EchoHandlers.WhoAmI.class)));

    private static FunctionHost.Binding binding(String name, Class<?> type) {
        return new FunctionHost.Binding(name, type.getName() + "::handleRequest", Map.of());
    }

    private Map<String, Object> invoke(String function, String event) {
        FunctionHost.Invocation result = host.invoke(function, "req-1", event.getBytes(StandardCharsets.UTF_8));
        assertThat(result.ok()).as(new String(result.body(), StandardCharsets.UTF_8)).isTrue();
        return Json.readObjectUnchecked(new String(result.body(), StandardCharsets.UTF_8));
    }

    @Test
    void apiGatewayProxyEventsReachTheHandlerTypedAndTheReplyIsTheProxyResponse() {
        Map<String, Object> reply = invoke("api", """
                {"resource":"/sessions/{id}","path":"/sessions/s-1","httpMethod":"GET","headers":{"Accept":"*/*"},
                 "pathParameters":{"id":"s-1"},"requestContext":{"stage":"v1"},"body":null,"isBase64Encoded":false}""");
        assertThat(reply).containsEntry("statusCode", 207).containsEntry("body", "GET /sessions/{id} s-1 req-1");
    }

    @Test
    void sqsEventsReachTheHandlerTyped() {
        Map<String, Object> reply = invoke("sqs", """
                {"Records":[{"messageId":"m-1","receiptHandle":"r","body":"hello","attributes":{},"messageAttributes":{},
                  "md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:0:q","awsRegion":"us-east-1"}]}""");
        assertThat(reply).containsEntry("records", 1).containsEntry("firstBody", "hello").containsEntry("source", "aws:sqs");
    }

    @Test
    void scheduledEventsReachTheHandlerTyped() {
        Map<String, Object> reply = invoke("tick", """
                {"version":"0","id":"e-1","detail-type":"Scheduled Event","source":"aws.events","account":"0",
                 "time":"2026-11-24T13:00:00Z","region":"us-east-1","resources":[],"detail":{}}""");
        assertThat(reply).containsEntry("detailType", "Scheduled Event").containsEntry("source", "aws.events").containsEntry("hour", 13);
    }

    @Test
    void anAliasOrVersionOfAFunctionRunsItsHandler() {
        String event = """
                {"resource":"/sessions/{id}","path":"/sessions/s-1","httpMethod":"GET","pathParameters":{"id":"s-1"},"body":null}""";
        assertThat(invoke("api:live", event)).containsEntry("statusCode", 207);
        assertThat(invoke("api:3", event)).containsEntry("statusCode", 207);
        assertThat(FunctionHost.unqualified("sluice-SessionsApiFunction-0A3986DAE6FCA")).isEqualTo("sluice-SessionsApiFunction-0A3986DAE6FCA");
    }

    @Test
    void aThrowingHandlerIsAFunctionErrorAndAnUnknownFunctionToo() {
        FunctionHost.Invocation broken = host.invoke("broken", "req-2", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(broken.ok()).isFalse();
        assertThat(new String(broken.body(), StandardCharsets.UTF_8)).contains("broken on purpose");
        assertThat(host.invoke("nope", "req-3", "{}".getBytes(StandardCharsets.UTF_8)).ok()).isFalse();
    }

    @Test
    void theContextCountsDownToTheDeadlineTheEmulatorSends() {
        long deadline = System.currentTimeMillis() + 12_000;
        assertThat(LocalRuntime.deadline(Long.toString(deadline))).isEqualTo(deadline);
        assertThat(new FunctionHost.LocalContext("f", "r", deadline).getRemainingTimeInMillis()).isBetween(10_000, 12_000);
        assertThat(new FunctionHost.LocalContext("f", "r", deadline - 20_000).getRemainingTimeInMillis()).as("past it").isZero();
        long fallback = LocalRuntime.deadline(null) - System.currentTimeMillis();
        assertThat(fallback).isBetween(FunctionHost.DEFAULT_TIMEOUT_MS - 1_000, FunctionHost.DEFAULT_TIMEOUT_MS);
        assertThat(LocalRuntime.deadline("soon") - System.currentTimeMillis()).isBetween(FunctionHost.DEFAULT_TIMEOUT_MS - 1_000,
                FunctionHost.DEFAULT_TIMEOUT_MS);
    }

    @Test
    void anInvocationRunsAsItsFunctionAndSoDoTheThreadsItStarts() {
        assertThat(invoke("who", "{}")).containsEntry("self", "who").containsEntry("started", "who");
        assertThat(FunctionHost.currentFunction()).as("outside an invocation").isEmpty();
    }
}
