package dev.sluice.functions.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every handler's log line has one shape: the common fields first and in order, its own after, the error last. */
class RequestLogTest {
    private static final List<String> COMMON = List.of("level", "requestId", "function", "method", "route", "status", "durationMs");

    private static Map<String, Object> printed(Supplier<Map<String, Object>> writing) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Map<String, Object> returned;
        try {
            returned = writing.get();
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8).strip();
        assertThat(text).as("one line").doesNotContain("\n");
        Map<String, Object> line = Json.readObjectUnchecked(text);
        assertThat(line).as("what is returned is what is logged").isEqualTo(Json.readObjectUnchecked(Json.write(returned)));
        return line;
    }

    @Test
    void anHttpRequestLogsTheCommonFieldsInOrderThenItsOwn() {
        Map<String, Object> line = printed(() -> RequestLog.start(null, "AgentWorkApi", "POST", "/agent/heartbeat")
                .put("agent", "i-1").end(200, null));

        assertThat(List.copyOf(line.keySet())).isEqualTo(List.of("level", "requestId", "function", "method", "route", "status",
                "durationMs", "agent"));
        assertThat(line).containsEntry("level", "INFO").containsEntry("function", "AgentWorkApi").containsEntry("method", "POST")
                .containsEntry("route", "/agent/heartbeat").containsEntry("status", 200).containsEntry("agent", "i-1");
        assertThat(((Number) line.get("durationMs")).doubleValue()).isNotNegative();
    }

    @Test
    void aScheduledInvocationHasTheSameShapeWithItsTriggerAsTheRoute() {
        Map<String, Object> line = printed(() -> RequestLog.start(null, "SchedulerTick", "schedule").put("passes", Map.of()).end(200, null));

        assertThat(List.copyOf(line.keySet()).subList(0, COMMON.size())).isEqualTo(COMMON);
        assertThat(line).containsEntry("route", "schedule").containsEntry("method", null).containsEntry("passes", Map.of());
    }

    @Test
    void aFailureIsAnErrorLineWithTheErrorLast() {
        Map<String, Object> line = printed(() -> RequestLog.start(null, "CloneStep", "step").put("step", "prepare")
                .end(500, RequestLog.failure(new IllegalStateException("boom"))));

        assertThat(line).containsEntry("level", "ERROR").containsEntry("status", 500)
                .containsEntry("error", "java.lang.IllegalStateException: boom");
        assertThat(List.copyOf(line.keySet())).endsWith("step", "error").startsWith(COMMON.toArray(String[]::new));
    }
}
