package dev.sluice.core.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.session.SessionType;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SchedulerOptionsTest {

    private static void assertRefused(Map<String, Object> raw, String field) {
        assertThatThrownBy(() -> SchedulerOptions.parse(raw))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).field()).contains(field));
    }

    static List<Object[]> goodTimeouts() {
        return List.of(new Object[] {0, Duration.ZERO}, new Object[] {"0", Duration.ZERO}, new Object[] {600, Duration.ofMinutes(10)},
                new Object[] {"600", Duration.ofMinutes(10)}, new Object[] {"90s", Duration.ofSeconds(90)},
                new Object[] {"30m", Duration.ofMinutes(30)}, new Object[] {"2h", Duration.ofHours(2)},
                new Object[] {"1h30m", Duration.ofMinutes(90)}, new Object[] {"1d", Duration.ofDays(1)});
    }

    @ParameterizedTest
    @MethodSource("goodTimeouts")
    void pendingTimeoutAcceptsZeroSecondsAndDurations(Object given, Duration expected) {
        assertThat(SchedulerOptions.parse(Map.of("pending_timeout", given)).pendingTimeout()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "10x", "", "1.5h", "m30", "400d", "99999999999"})
    void pendingTimeoutRefusesWhatIsNotADuration(String given) {
        assertRefused(Map.of("pending_timeout", given), "scheduler_options.pending_timeout");
    }

    @Test
    void pendingTimeoutRefusesNonTextNonIntegers() {
        assertRefused(Map.of("pending_timeout", new BigDecimal("1.5")), "scheduler_options.pending_timeout");
        assertRefused(Map.of("pending_timeout", true), "scheduler_options.pending_timeout");
        assertRefused(Map.of("pending_timeout", -5), "scheduler_options.pending_timeout");
    }

    @Test
    void allowedSessionTypesMustBeANonEmptyListOfKnownTypes() {
        assertRefused(Map.of("allowed_session_types", List.of()), "scheduler_options.allowed_session_types");
        assertRefused(Map.of("allowed_session_types", List.of("batch", "gaming")), "scheduler_options.allowed_session_types");
        assertRefused(Map.of("allowed_session_types", "batch"), "scheduler_options.allowed_session_types");
        assertThat(SchedulerOptions.parse(Map.of("allowed_session_types", List.of("batch"))).allowedSessionTypes())
                .containsExactly(SessionType.BATCH);
    }

    @Test
    void unknownStrategiesOptionsAndConfigKeysAreRefused() {
        assertRefused(Map.of("agent_selection_strategy", "random"), "scheduler_options.agent_selection_strategy");
        assertRefused(Map.of("pending_timout", "1h"), "scheduler_options.pending_timout");
        assertRefused(Map.of("config", Map.of("retries", 3)), "scheduler_options.config.retries");
        assertRefused(Map.of("config", Map.of("num_retries_to_skip", -1)), "scheduler_options.config.num_retries_to_skip");
    }

    @Test
    void optionsReadBackFromTheirStoredFormUnchanged() {
        SchedulerOptions written = SchedulerOptions.parse(Map.of("allowed_session_types", List.of("inference", "batch"),
                "pending_timeout", "1h30m", "agent_selection_strategy", "concentrated", "config", Map.of("num_retries_to_skip", 3)));
        assertThat(SchedulerOptions.parse(written.toMap())).isEqualTo(written);
        assertThat(written.toMap()).containsEntry("pending_timeout", "1h30m");
    }

    @Test
    void missingOptionsTakeTheDefaults() {
        SchedulerOptions d = SchedulerOptions.parse(Map.of());
        assertThat(d.pendingTimeout()).isZero();
        assertThat(d.agentSelectionStrategy()).isEqualTo(AgentSelectionStrategy.DISPERSED);
        assertThat(d.allowedSessionTypes()).hasSize(3);
    }
}
