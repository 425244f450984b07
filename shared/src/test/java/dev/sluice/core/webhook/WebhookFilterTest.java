package dev.sluice.core.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookFilterTest {

    private static WebhookFilter parse(Map<String, Object> body) {
        return WebhookFilter.parse(RequestFields.of(body), WebhookFilter.everything());
    }

    @Test
    void everythingIsBothEventTypesOfTheOwnerOnly() {
        JsonObject pattern = WebhookFilter.everything().eventPattern("alice");
        assertThat(pattern.fields()).containsOnlyKeys("$or");
        assertThat(pattern.toString()).contains("sluice.sessions", "Session Status Changed", "sluice.tasks", "Task Updated");
        List<JsonValue> branches = ((JsonValue.Array) pattern.get("$or").orElseThrow()).items();
        assertThat(branches).allSatisfy(b -> assertThat(((JsonObject) b).get("detail")).hasValue(JsonValue.of(Map.of("owner", List.of("alice")))));
    }

    @Test
    void sessionFiltersNarrowTheSessionBranchOnly() {
        WebhookFilter f = parse(Map.of("filter", Map.of("statuses", List.of("RUNNING", "TERMINATED"), "resource_groups", List.of("gpu"),
                "session_types", List.of("batch"), "session_ids", List.of("s-1"))));
        List<JsonValue> branches = ((JsonValue.Array) f.eventPattern("bob").get("$or").orElseThrow()).items();
        assertThat(((JsonObject) branches.get(0)).get("detail")).hasValue(JsonValue.of(Map.of("owner", List.of("bob"), "status", List.of("RUNNING", "TERMINATED"),
                "resource_group", List.of("gpu"), "session_type", List.of("batch"), "session_id", List.of("s-1"))));
        assertThat(((JsonObject) branches.get(1)).get("detail")).hasValue(JsonValue.of(Map.of("owner", List.of("bob"))));
    }

    @Test
    void oneEventTypeIsOnePlainPattern() {
        WebhookFilter f = parse(Map.of("event_types", List.of("task.updated")));
        assertThat(f.eventPattern("carol")).isEqualTo(JsonValue.of(Map.of("source", List.of("sluice.tasks"),
                "detail-type", List.of("Task Updated"), "detail", Map.of("owner", List.of("carol")))));
        assertThat(f.eventTypeNames()).containsExactly("task.updated");
    }

    @Test
    void badFiltersAreRefusedNamingTheField() {
        assertThat(field(Map.of("event_types", List.of()))).isEqualTo("event_types");
        assertThat(field(Map.of("event_types", List.of("session.status_changed", "nope")))).isEqualTo("event_types[1]");
        assertThat(field(Map.of("filter", Map.of("statuses", List.of("RUNNING", "DONE"))))).isEqualTo("filter.statuses[1]");
        assertThat(field(Map.of("filter", Map.of("session_types", List.of("gpu"))))).isEqualTo("filter.session_types[0]");
        assertThat(field(Map.of("filter", Map.of("resource_groups", List.of(""))))).isEqualTo("filter.resource_groups[0]");
        assertThat(field(Map.of("filter", Map.of("owner", List.of("x"))))).isEqualTo("filter.owner");
        assertThat(field(Map.of("filter", Map.of("session_ids", java.util.Collections.nCopies(51, "x"))))).isEqualTo("filter.session_ids");
        assertThat(field(Map.of("filter", "RUNNING"))).isEqualTo("filter");
    }

    private static String field(Map<String, Object> body) {
        try {
            parse(body);
        } catch (DomainException e) {
            return e.field().orElse("");
        }
        throw new AssertionError("accepted " + body);
    }

    @Test
    void anUpdateKeepsWhatItDoesNotName() {
        WebhookFilter base = parse(Map.of("event_types", List.of("session.status_changed"), "filter", Map.of("statuses", List.of("ERROR"))));
        WebhookFilter same = WebhookFilter.parse(RequestFields.of(Map.of("description", "x")), base);
        assertThat(same).isEqualTo(base);
        WebhookFilter retyped = WebhookFilter.parse(RequestFields.of(Map.of("event_types", List.of("task.updated"))), base);
        assertThat(retyped.statuses()).containsExactly("ERROR");
        assertThat(retyped.eventTypeNames()).containsExactly("task.updated");
    }

    @Test
    void thePatternSizeBoundCoversEscapes() {
        List<String> quoted = java.util.stream.IntStream.range(0, 50).mapToObj(i -> "\"".repeat(250) + i).toList();
        WebhookFilter big = parse(Map.of("filter", Map.of("session_ids", quoted)));
        assertThat(big.patternSizeBound("o")).isGreaterThan(50 * 512);
        assertThatThrownBy(() -> parse(Map.of("filter", Map.of("session_ids", List.of("x".repeat(257))))))
                .isInstanceOf(DomainException.class);
    }
}
