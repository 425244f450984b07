package dev.sluice.core.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceGroupTest {
    private static final Instant T = Instant.parse("2026-11-24T10:00:00Z");

    @Test
    void aDefinitionWithNothingTakesTheDefaults() {
        ResourceGroup g = ResourceGroup.fromDefinition("gpu-a100", Map.of(), T, T);
        assertThat(g.active()).isTrue();
        assertThat(g.isPublic()).isTrue();
        assertThat(g.scheduler()).isEqualTo(SchedulerKind.FIFO);
    }

    @Test
    void unknownSchedulersAndBadNamesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> ResourceGroup.fromDefinition("g", Map.of("scheduler", "sjf"), T, T))
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("scheduler"));
        for (String bad : new String[] {"", "Upper", "-lead", "a b", "x".repeat(64)}) {
            assertThatThrownBy(() -> ResourceGroup.fromDefinition(bad, Map.of(), T, T))
                    .satisfies(e -> assertThat(((DomainException) e).field()).contains("name"));
        }
    }

    @Test
    void aPatchMergesSchedulerOptionsAndIsValidatedAsAWhole() {
        ResourceGroup g = ResourceGroup.fromDefinition("g", Map.of("scheduler_options",
                Map.of("pending_timeout", "1h", "allowed_session_types", java.util.List.of("batch"))), T, T);
        ResourceGroup p = g.patched(Map.of("scheduler_options", Map.of("pending_timeout", "2h"), "description", "d"), T.plusSeconds(1));
        assertThat(p.schedulerOptions().pendingTimeout()).hasHours(2);
        assertThat(p.schedulerOptions().allowedSessionTypes()).hasSize(1);
        assertThat(p.description()).isEqualTo("d");
        assertThat(p.createdAt()).isEqualTo(T);
        assertThatThrownBy(() -> g.patched(Map.of("scheduler_options", Map.of("pending_timeout", "soon")), T))
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("scheduler_options.pending_timeout"));
    }
}
