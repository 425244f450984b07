package dev.sluice.adapters.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.group.SchedulerOptions;
import dev.sluice.core.request.RequestFields;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The stored forms of a group and of a resource policy: the definitions an admin writes, read back through the core's parsers. */
class ResourceGroupItemTest {
    private static final String TIMEOUT = "scheduler_options.pending_timeout";
    private static final String TYPES = "scheduler_options.allowed_session_types";
    private static final Instant CREATED = Instant.parse("2026-11-24T10:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-24T11:00:00Z");

    private static void assertRefused(Map<String, Object> raw, String field) {
        assertThatThrownBy(() -> SchedulerOptions.parse(RequestFields.of(raw).at("scheduler_options")))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.field()).hasValue(field);
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                    dev.sluice.core.error.Sentences.assertReadsAsSentence(e);
                });
    }

    static Stream<SchedulerOptions> optionSets() {
        return Stream.of(
                SchedulerOptions.defaults(),
                SchedulerOptions.parse(RequestFields.of(Map.of("allowed_session_types", List.of("inference", "batch"),
                        "pending_timeout", "1h30m", "agent_selection_strategy", "concentrated",
                        "config", Map.of("num_retries_to_skip", 3))).at("scheduler_options")),
                SchedulerOptions.parse(RequestFields.of(Map.of("pending_timeout", 90061, "agent_selection_strategy", "legacy")).at("scheduler_options")),
                SchedulerOptions.parse(RequestFields.of(Map.of("allowed_session_types", List.of("batch"), "pending_timeout", "45s")).at("scheduler_options")));
    }

    @ParameterizedTest
    @MethodSource("optionSets")
    void theStoredFormReadsBackToAnEqualRecord(SchedulerOptions written) {
        assertThat(SchedulerOptions.parse(RequestFields.of(ResourceGroupItem.storedOptions(written)).at("scheduler_options"))).isEqualTo(written);
    }

    @Test
    void theStoredFormUsesWireNamesAndDurationText() {
        SchedulerOptions written = SchedulerOptions.parse(RequestFields.of(Map.of("allowed_session_types", List.of("inference", "batch"),
                "pending_timeout", 5400, "agent_selection_strategy", "concentrated", "config", Map.of("num_retries_to_skip", 3))).at("scheduler_options"));
        assertThat(ResourceGroupItem.storedOptions(written)).containsExactly(
                Map.entry("allowed_session_types", List.of("inference", "batch")),
                Map.entry("pending_timeout", "1h30m"),
                Map.entry("agent_selection_strategy", "concentrated"),
                Map.entry("config", Map.of("num_retries_to_skip", 3)));
        assertThat(Json.write(ResourceGroupItem.storedOptions(SchedulerOptions.defaults()))).isEqualTo(
                "{\"allowed_session_types\":[\"interactive\",\"batch\",\"inference\"],\"pending_timeout\":\"0\","
                        + "\"agent_selection_strategy\":\"dispersed\",\"config\":{}}");
    }

    @Test
    void aCorruptedStoredFormIsRefusedOnRead() {
        Map<String, Object> stored = new LinkedHashMap<>(ResourceGroupItem.storedOptions(SchedulerOptions.defaults()));
        stored.put("pending_timeout", "soon");
        assertRefused(stored, TIMEOUT);
        Map<String, Object> noTypes = new LinkedHashMap<>(ResourceGroupItem.storedOptions(SchedulerOptions.defaults()));
        noTypes.put("allowed_session_types", List.of());
        assertRefused(noTypes, TYPES);
    }

    @Test
    void theStoredGroupReadsBackToAnEqualGroup() {
        ResourceGroup g = ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("description", "d", "active", false, "scheduler", "lifo",
                "scheduler_options", Map.of("pending_timeout", "90m", "allowed_session_types", List.of("inference")))), CREATED, NOW);
        assertThat(ResourceGroupItem.from(g).toResourceGroup()).isEqualTo(g);
    }

    @Test
    void aPolicyReadsBackFromItsStoredForm() {
        var p = dev.sluice.core.scheduler.ResourcePolicy.parse(RequestFields.of(Map.of("max_concurrent_sessions", 3,
                "max_total_slots", Map.of("cuda.device", 8))));
        Map<String, Object> stored = new java.util.HashMap<>(DynamoResourcePolicyStore.stored(p));
        stored.values().removeIf(java.util.Objects::isNull);
        assertThat(dev.sluice.core.scheduler.ResourcePolicy.parse(RequestFields.of(stored))).isEqualTo(p);
    }
}
