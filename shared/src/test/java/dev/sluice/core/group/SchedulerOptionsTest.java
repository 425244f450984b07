package dev.sluice.core.group;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.session.SessionType;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SchedulerOptionsTest {
    private static final String TIMEOUT = "scheduler_options.pending_timeout";
    private static final String TYPES = "scheduler_options.allowed_session_types";

    private static void assertRefused(Map<String, Object> raw, String field) {
        assertThatThrownBy(() -> SchedulerOptions.parse(RequestFields.of(raw).at("scheduler_options")))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.field()).hasValue(field);
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                    dev.sluice.core.error.Sentences.assertReadsAsSentence(e);
                });
    }

    private static Map<String, Object> option(String key, Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put(key, value);
        return m;
    }

    static Stream<Arguments> goodTimeouts() {
        return Stream.of(
                Arguments.of(0, Duration.ZERO),
                Arguments.of("0", Duration.ZERO),
                Arguments.of(600, Duration.ofMinutes(10)),
                Arguments.of(600L, Duration.ofMinutes(10)),
                Arguments.of("600", Duration.ofMinutes(10)),
                Arguments.of("90s", Duration.ofSeconds(90)),
                Arguments.of("30m", Duration.ofMinutes(30)),
                Arguments.of("2h", Duration.ofHours(2)),
                Arguments.of("1h30m", Duration.ofMinutes(90)),
                Arguments.of("1d", Duration.ofDays(1)),
                Arguments.of("365d", Duration.ofDays(365)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("goodTimeouts")
    void pendingTimeoutAcceptsZeroSecondsAndDurations(Object given, Duration expected) {
        assertThat(SchedulerOptions.parse(RequestFields.of(option("pending_timeout", given)).at("scheduler_options")).pendingTimeout()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "10x", "", " ", "1.5h", "m30", "h", "30 m", "400d", "99999999", "99999999999", "-30m"})
    void pendingTimeoutRefusesTextThatIsNotADurationOfAtMostAYear(String given) {
        assertRefused(option("pending_timeout", given), TIMEOUT);
    }

    static Stream<Object> badTimeoutValues() {
        return Stream.of(1.5, new BigDecimal("1.5"), true, false, -5, -1L, 40_000_000, List.of("1h"), Map.of("h", 1));
    }

    @ParameterizedTest
    @MethodSource("badTimeoutValues")
    void pendingTimeoutRefusesValuesThatAreNeitherWholeSecondsNorText(Object given) {
        assertRefused(option("pending_timeout", given), TIMEOUT);
    }

    @Test
    void pendingTimeoutGivenAsNullIsRefused() {
        assertRefused(option("pending_timeout", null), TIMEOUT);
    }

    @Test
    void allowedSessionTypesMustBeANonEmptyListOfKnownTypes() {
        assertRefused(option("allowed_session_types", List.of()), TYPES);
        assertRefused(option("allowed_session_types", List.of("batch", "gaming")), TYPES);
        assertRefused(option("allowed_session_types", List.of("BATCH")), TYPES);
        assertRefused(option("allowed_session_types", "batch"), TYPES);
        assertRefused(option("allowed_session_types", null), TYPES);
        assertRefused(option("allowed_session_types", List.of(1)), TYPES + "[0]");
    }

    @Test
    void allowedSessionTypesKeepTheGivenOrderWithoutRepeats() {
        SchedulerOptions o = SchedulerOptions.parse(RequestFields.of(option("allowed_session_types", List.of("inference", "batch", "inference"))).at("scheduler_options"));
        assertThat(o.allowedSessionTypes()).containsExactly(SessionType.INFERENCE, SessionType.BATCH);
        assertThat(o.accepts(SessionType.BATCH)).isTrue();
        assertThat(o.accepts(SessionType.INTERACTIVE)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dispersed", "concentrated", "roundrobin", "legacy"})
    void everyAgentSelectionStrategyIsAccepted(String strategy) {
        assertThat(SchedulerOptions.parse(RequestFields.of(option("agent_selection_strategy", strategy)).at("scheduler_options")).agentSelectionStrategy().wireName())
                .isEqualTo(strategy);
    }

    @Test
    void anUnknownAgentSelectionStrategyIsRefused() {
        String field = "scheduler_options.agent_selection_strategy";
        assertRefused(option("agent_selection_strategy", "random"), field);
        assertRefused(option("agent_selection_strategy", "Dispersed"), field);
        assertRefused(option("agent_selection_strategy", 1), field);
        assertRefused(option("agent_selection_strategy", null), field);
    }

    @Test
    void anUnknownOptionIsRefusedByItsName() {
        assertRefused(option("pending_timout", "1h"), "scheduler_options.pending_timout");
        assertRefused(option("num_retries_to_skip", 3), "scheduler_options.num_retries_to_skip");
    }

    @Test
    void configAcceptsNumRetriesToSkipWithinItsRange() {
        assertThat(SchedulerOptions.parse(RequestFields.of(option("config", Map.of("num_retries_to_skip", 0))).at("scheduler_options")).config())
                .isEqualTo(new SchedulerOptions.Config(java.util.Optional.of(0)));
        assertThat(SchedulerOptions.parse(RequestFields.of(option("config", Map.of("num_retries_to_skip", 1000))).at("scheduler_options")).config())
                .isEqualTo(new SchedulerOptions.Config(java.util.Optional.of(1000)));
        assertThat(SchedulerOptions.parse(RequestFields.of(option("config", Map.of())).at("scheduler_options")).config().isEmpty()).isTrue();
    }

    @Test
    void configIsValidated() {
        String field = "scheduler_options.config.num_retries_to_skip";
        assertRefused(option("config", null), "scheduler_options.config");
        assertRefused(option("config", Map.of("num_retries_to_skip", -1)), field);
        assertRefused(option("config", Map.of("num_retries_to_skip", 1001)), field);
        assertRefused(option("config", Map.of("num_retries_to_skip", "3")), field);
        assertRefused(option("config", Map.of("num_retries_to_skip", 2.5)), field);
        assertRefused(option("config", Map.of("retries", 3)), "scheduler_options.config.retries");
        assertRefused(option("config", "fifo"), "scheduler_options.config");
        assertRefused(option("config", List.of()), "scheduler_options.config");
    }

    @Test
    void missingOptionsTakeTheDefaults() {
        SchedulerOptions d = SchedulerOptions.parse(RequestFields.of(Map.of()).at("scheduler_options"));
        assertThat(d).isEqualTo(SchedulerOptions.defaults());
        assertThat(d.pendingTimeout()).as("0 disables the timeout").isZero();
        assertThat(d.agentSelectionStrategy()).isEqualTo(AgentSelectionStrategy.DISPERSED);
        assertThat(d.allowedSessionTypes()).containsExactlyInAnyOrder(SessionType.values());
        assertThat(d.config().isEmpty()).isTrue();
        for (SessionType t : SessionType.values()) {
            assertThat(d.accepts(t)).isTrue();
        }
    }

    @Test
    void theRecordItselfRefusesNoAllowedTypes() {
        assertThatThrownBy(() -> new SchedulerOptions(List.of(), Duration.ZERO, AgentSelectionStrategy.DISPERSED, SchedulerOptions.Config.NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(AgentSelectionStrategy.class)
    void strategyWireNamesReadBack(AgentSelectionStrategy s) {
        assertThat(AgentSelectionStrategy.fromWire(s.wireName())).contains(s);
    }
}
