package dev.sluice.core.group;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.session.SessionType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResourceGroupTest {
    private static final Instant CREATED = Instant.parse("2026-11-24T10:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-24T11:00:00Z");

    private static void assertRefused(String name, Map<String, Object> body, String field) {
        assertThatThrownBy(() -> ResourceGroup.fromDefinition(name, RequestFields.of(body), CREATED, NOW))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.field()).hasValue(field);
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                });
    }

    private static Map<String, Object> field(String key, Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put(key, value);
        return m;
    }

    @Test
    void aDefinitionWithNothingTakesTheDefaults() {
        ResourceGroup g = ResourceGroup.fromDefinition("gpu-a100", RequestFields.of(Map.of()), CREATED, NOW);
        assertThat(g.name()).isEqualTo("gpu-a100");
        assertThat(g.description()).isEmpty();
        assertThat(g.active()).isTrue();
        assertThat(g.isPublic()).isTrue();
        assertThat(g.scheduler()).isEqualTo(SchedulerKind.FIFO);
        assertThat(g.schedulerOptions()).isEqualTo(SchedulerOptions.defaults());
        assertThat(g.createdAt()).isEqualTo(CREATED);
        assertThat(g.updatedAt()).isEqualTo(NOW);
    }

    @Test
    void anExplicitNullIsRefusedByNameRatherThanReadAsTheDefault() {
        for (String field : List.of("scheduler", "scheduler_options", "active")) {
            Map<String, Object> body = field(field, null);
            assertThatThrownBy(() -> ResourceGroup.fromDefinition("g", RequestFields.of(body), CREATED, NOW))
                    .isInstanceOfSatisfying(dev.sluice.core.error.DomainException.class, e -> {
                        assertThat(e.field()).contains(field);
                        assertThat(e.getMessage()).isEqualTo(field + " must not be null; leave the field out to keep its default.");
                    });
        }
    }

    @Test
    void aFullDefinitionIsReadFieldByField() {
        ResourceGroup g = ResourceGroup.fromDefinition("batch-only", RequestFields.of(Map.of(
                "description", "nightly jobs", "active", false, "is_public", false, "scheduler", "drf",
                "scheduler_options", Map.of("allowed_session_types", List.of("batch"), "pending_timeout", "2h",
                        "agent_selection_strategy", "concentrated", "config", Map.of("num_retries_to_skip", 2)))),
                CREATED, NOW);
        assertThat(g.description()).isEqualTo("nightly jobs");
        assertThat(g.active()).isFalse();
        assertThat(g.isPublic()).isFalse();
        assertThat(g.scheduler()).isEqualTo(SchedulerKind.DRF);
        assertThat(g.schedulerOptions().allowedSessionTypes()).containsExactly(SessionType.BATCH);
        assertThat(g.schedulerOptions().pendingTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(g.schedulerOptions().agentSelectionStrategy()).isEqualTo(AgentSelectionStrategy.CONCENTRATED);
        assertThat(g.schedulerOptions().config().numRetriesToSkip()).hasValue(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fifo", "lifo", "drf"})
    void everySchedulerIsAccepted(String scheduler) {
        assertThat(ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("scheduler", scheduler)), CREATED, NOW).scheduler().wireName())
                .isEqualTo(scheduler);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sjf", "FIFO", "", "round-robin"})
    void anUnknownSchedulerIsRefusedNamingTheField(String scheduler) {
        assertRefused("g", Map.of("scheduler", scheduler), "scheduler");
    }

    @Test
    void aSchedulerThatIsNotAStringIsRefused() {
        assertRefused("g", Map.of("scheduler", 1), "scheduler");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Upper", "-lead", ".lead", "_lead", "a b", "gpu/a100", "gpü", "gpu\n"})
    void badNamesAreRefusedNamingTheField(String bad) {
        assertRefused(bad, Map.of(), "name");
    }

    @Test
    void namesAreAtMostSixtyThreeCharacters() {
        assertThat(ResourceGroup.fromDefinition("x".repeat(63), RequestFields.of(Map.of()), CREATED, NOW).name()).hasSize(63);
        assertRefused("x".repeat(64), Map.of(), "name");
        assertRefused(null, Map.of(), "name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "0", "gpu-a100", "cpu.small", "team_1", "a-b.c_d"})
    void goodNamesAreAccepted(String name) {
        assertThat(ResourceGroup.isValidName(name)).isTrue();
        assertThat(ResourceGroup.validName(name)).isEqualTo(name);
        assertThat(ResourceGroup.fromDefinition(name, RequestFields.of(Map.of()), CREATED, NOW).name()).isEqualTo(name);
    }

    @Test
    void isValidNameAnswersWithoutThrowing() {
        assertThat(ResourceGroup.isValidName(null)).isFalse();
        assertThat(ResourceGroup.isValidName("Upper")).isFalse();
    }

    @Test
    void otherFieldsAreValidatedByName() {
        assertRefused("g", Map.of("schedular", "fifo"), "schedular");
        assertRefused("g", Map.of("name", "g"), "name");
        assertRefused("g", Map.of("active", "yes"), "active");
        assertRefused("g", Map.of("is_public", 1), "is_public");
        assertRefused("g", Map.of("description", 5), "description");
        assertRefused("g", Map.of("description", "d".repeat(1025)), "description");
        assertRefused("g", Map.of("scheduler_options", "fast"), "scheduler_options");
        assertRefused("g", Map.of("scheduler_options", Map.of("pending_timeout", "soon")), "scheduler_options.pending_timeout");
        assertRefused("g", Map.of("scheduler_options", Map.of("allowed_session_types", List.of())),
                "scheduler_options.allowed_session_types");
        assertThat(ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("description", "d".repeat(1024))), CREATED, NOW).description())
                .hasSize(1024);
    }

    @Test
    void aPatchMergesSchedulerOptionsAndIsValidatedAsAWhole() {
        ResourceGroup g = ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("scheduler_options",
                Map.of("pending_timeout", "1h", "allowed_session_types", List.of("batch")))), CREATED, CREATED);
        ResourceGroup p = g.patched(RequestFields.of(Map.of("scheduler_options", Map.of("pending_timeout", "2h"), "description", "d")), NOW);
        assertThat(p.schedulerOptions().pendingTimeout()).hasHours(2);
        assertThat(p.schedulerOptions().allowedSessionTypes()).containsExactly(SessionType.BATCH);
        assertThat(p.description()).isEqualTo("d");
        assertThat(p.scheduler()).isEqualTo(g.scheduler());
        assertThat(p.createdAt()).isEqualTo(CREATED);
        assertThat(p.updatedAt()).isEqualTo(NOW);
        assertThatThrownBy(() -> g.patched(RequestFields.of(Map.of("scheduler_options", Map.of("pending_timeout", "soon"))), NOW))
                .isInstanceOfSatisfying(DomainException.class,
                        e -> assertThat(e.field()).hasValue("scheduler_options.pending_timeout"));
        assertThatThrownBy(() -> g.patched(RequestFields.of(Map.of("scheduler", "sjf")), NOW))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.field()).hasValue("scheduler"));
        assertThat(g.schedulerOptions().pendingTimeout()).as("the original is unchanged").hasHours(1);
    }

    @Test
    void anEmptyPatchChangesOnlyTheUpdateTime() {
        ResourceGroup g = ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("scheduler", "drf", "is_public", false)), CREATED, CREATED);
        ResourceGroup p = g.patched(RequestFields.of(Map.of()), NOW);
        assertThat(p).isEqualTo(new ResourceGroup(g.name(), g.description(), g.active(), g.isPublic(), g.scheduler(),
                g.schedulerOptions(), CREATED, NOW));
    }

    @ParameterizedTest
    @EnumSource(SchedulerKind.class)
    void schedulerWireNamesReadBack(SchedulerKind kind) {
        assertThat(SchedulerKind.fromWire(kind.wireName())).contains(kind);
    }
}
