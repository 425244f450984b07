package dev.sluice.core.error;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.group.SchedulerOptions;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.session.SessionDestruction;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.IdempotencyKey;
import dev.sluice.core.webhook.WebhookEventType;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every refusal a client can read is a sentence on its own that names its field (issue 13, item 7). */
class ErrorMessagesTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Principal USER = new Principal("u-1", "alice", Set.of("users"));

    private static Map<String, Object> session(String key, Object value) {
        Map<String, Object> body = new HashMap<>(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        body.put(key, value);
        return body;
    }

    private static Arguments refusal(String why, ThrowingCallable call) {
        return Arguments.of(why, call);
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                refusal("batch without a command", () -> SessionSpec.parse(RequestFields.of(session("type", "batch")), NOW)),
                refusal("unknown session type", () -> SessionSpec.parse(RequestFields.of(session("type", "training")), NOW)),
                refusal("unknown field", () -> SessionSpec.parse(RequestFields.of(session("imgae", "x")), NOW)),
                refusal("string where a number goes", () -> SessionSpec.parse(RequestFields.of(session("resource_slots", Map.of("cpu", "abc"))), NOW)),
                refusal("unknown slot", () -> SessionSpec.parse(RequestFields.of(session("resource_slots", Map.of("cpu", 1, "mem", "1g", "gpu", 1))), NOW)),
                refusal("mount path not normalized", () -> SessionSpec.parse(RequestFields.of(session("mounts", List.of("data:/a/../b"))), NOW)),
                refusal("bad folder name in a mount", () -> SessionSpec.parse(RequestFields.of(session("mounts", List.of("-bad"))), NOW)),
                refusal("unknown cluster mode", () -> SessionSpec.parse(RequestFields.of(session("cluster_mode", "multi")), NOW)),
                refusal("starts_at on an interactive session", () -> SessionSpec.parse(RequestFields.of(session("starts_at", "30m")), NOW)),
                refusal("bad environment name", () -> SessionSpec.parse(RequestFields.of(session("environment", Map.of("1X", "y"))), NOW)),
                refusal("unknown status filter", () -> SessionQuery.parse(Map.of("status", "SLEEPING"), USER, n -> "true".equals(Map.of("status", "SLEEPING").get(n)))),
                refusal("other users' sessions", () -> SessionQuery.parse(Map.of("all", "true"), USER, n -> "true".equals(Map.of("all", "true").get(n)))),
                refusal("running and dead", () -> SessionQuery.parse(Map.of("running", "true", "dead", "true"), USER, n -> "true".equals(Map.of("running", "true", "dead", "true").get(n)))),
                refusal("unknown query parameter", () -> SessionQuery.parse(Map.of("sort", "x"), USER, n -> "true".equals(Map.of("sort", "x").get(n)))),
                refusal("negative slot", () -> ResourceSlots.parse(RequestFields.of(Map.of("cpu", -1)).at("resource_slots"))),
                refusal("unknown strategy", () -> SchedulerOptions.parse(RequestFields.of(Map.of("agent_selection_strategy", "random")).at("scheduler_options"))),
                refusal("bad pending timeout", () -> SchedulerOptions.parse(RequestFields.of(Map.of("pending_timeout", "soon")).at("scheduler_options"))),
                refusal("unknown kernel status", () -> KernelReport.parse(RequestFields.of(Map.of("status", "SLEEPING")))),
                refusal("terminated without an exit code", () -> KernelReport.parse(RequestFields.of(Map.of("status", "TERMINATED")))),
                refusal("a heartbeat for another agent", () -> Heartbeat.parse("i-1", RequestFields.of(Map.of("agent_id", "i-2")))),
                refusal("a heartbeat without capacity", () -> Heartbeat.parse("i-1", RequestFields.of(Map.of("resource_group", "default")))),
                refusal("bad folder name", () -> FolderSpec.parse(RequestFields.of(Map.of("name", "../x")))),
                refusal("unknown storage host", () -> FolderSpec.parse(RequestFields.of(Map.of("name", "data", "host", "nas9")))),
                refusal("bad policy scope", () -> ResourcePolicy.validScope("planet")),
                refusal("unknown event type", () -> WebhookEventType.parse("event_types[0]", "session.exploded")),
                refusal("bad Idempotency-Key", () -> new IdempotencyKey("has space", "f")),
                refusal("destroying a preparing session without forced", () -> SessionDestruction.plan(SessionStatus.PREPARING, false, false)),
                refusal("destroying an ended session", () -> SessionDestruction.plan(SessionStatus.TERMINATED, false, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void aRefusalReadsAsASentenceNamingItsField(String why, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DomainException.class, Sentences::assertReadsAsSentence);
    }

    @Test
    void theIssuesExampleReadsAsASentence() {
        assertThatThrownBy(() -> SessionSpec.parse(RequestFields.of(session("type", "batch")), NOW))
                .hasMessage("startup_command is required for a batch session.");
        assertThatThrownBy(() -> ResourceSlots.parse(RequestFields.of(Map.of("cpu", "abc")).at("resource_slots")))
                .hasMessage("resource_slots.cpu must be a number or a decimal string, not 'abc'.");
    }

    @Test
    void aRuleIsComposedAfterItsFieldAndASentenceIsKeptAsGiven() {
        assertThat(DomainException.invalid("limit", "must be a whole number").getMessage()).isEqualTo("limit must be a whole number.");
        assertThat(DomainException.malformed("body", "must be a JSON object").code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        assertThat(DomainException.invalidBecause("name", "The folder named 'x' is not cloneable.").getMessage())
                .isEqualTo("The folder named 'x' is not cloneable.");
        assertThat(DomainException.notFound("session 's-1'").getMessage()).isEqualTo("There is no session 's-1'.");
    }

    @Test
    void theCheckRefusesAFragment() {
        assertThatThrownBy(() -> Sentences.assertReadsAsSentence("startup_command", "is required for a batch session"))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> Sentences.assertReadsAsSentence("startup_command", "Is required for a batch session."))
                .as("a message that does not name its field").isInstanceOf(AssertionError.class);
    }
}
