package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.eventbridge.EventBridgePublisher;
import dev.sluice.adapters.folders.EventBridgeFolderEvents;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.event.BusEvent;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.webhook.WebhookFilter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * Every kind of subscription filter, as the EventBridge pattern Sluice builds from it, tested by EventBridge itself
 * (TestEventPattern on the emulator) against events in the exact shape the publishers put on the bus.
 */
class WebhookPatternIT {

    private static Map<String, Object> sessionEvent(String owner, String group, SessionType type, String id, SessionStatus status) {
        return sessionEvent(owner, group, type, id, status, false);
    }

    private static Map<String, Object> sessionEvent(String owner, String group, SessionType type, String id, SessionStatus status,
            boolean hasCallback) {
        Map<String, Object> detail = EventBridgePublisher.detail(new SessionStatusChanged(id, owner, group, type,
                Optional.of(SessionStatus.PENDING), status, "why", Instant.parse("2026-03-01T12:00:00Z"), 2, hasCallback));
        return envelope(BusEvent.SESSION_STATUS_CHANGED.source(), BusEvent.SESSION_STATUS_CHANGED.detailType(), detail);
    }

    private static Map<String, Object> taskEvent(String owner) {
        // The detail exactly as the task publisher writes it.
        BackgroundTask task = BackgroundTask.started("t-1", BackgroundTask.KIND_CLONE, owner, dev.sluice.core.json.JsonObject.EMPTY, Instant.parse("2026-03-01T12:00:00Z"));
        return envelope(BusEvent.TASK_UPDATED.source(), BusEvent.TASK_UPDATED.detailType(), EventBridgeFolderEvents.taskDetail(task, "updated"));
    }

    private static Map<String, Object> envelope(String source, String detailType, Map<String, Object> detail) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("version", "0");
        e.put("id", "e-1");
        e.put("detail-type", detailType);
        e.put("source", source);
        e.put("account", "000000000000");
        e.put("time", "2026-03-01T12:00:00Z");
        e.put("region", "us-east-1");
        e.put("resources", List.of());
        e.put("detail", detail);
        return e;
    }

    private static WebhookFilter filter(String json) {
        return WebhookFilter.parse(RequestFields.of(Json.readObjectUnchecked(json)), WebhookFilter.everything());
    }

    @Test
    void eachFiltersPatternMatchesExactlyTheEventsItDescribes() throws Exception {
        LocalStack.get();
        EventBridgeClient events = EventBridgeClient.builder().httpClient(AwsClients.httpClient()).build();
        Map<String, Map<String, Object>> evs = new LinkedHashMap<>();
        evs.put("alice-gpu-batch-s1-RUNNING", sessionEvent("alice", "gpu", SessionType.BATCH, "s1", SessionStatus.RUNNING));
        evs.put("alice-gpu-batch-s1-TERMINATED", sessionEvent("alice", "gpu", SessionType.BATCH, "s1", SessionStatus.TERMINATED));
        evs.put("alice-cpu-interactive-s2-RUNNING", sessionEvent("alice", "cpu", SessionType.INTERACTIVE, "s2", SessionStatus.RUNNING));
        evs.put("bob-gpu-batch-s3-RUNNING", sessionEvent("bob", "gpu", SessionType.BATCH, "s3", SessionStatus.RUNNING));
        evs.put("alice-task", taskEvent("alice"));
        evs.put("bob-task", taskEvent("bob"));

        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("{}", List.of("alice-gpu-batch-s1-RUNNING", "alice-gpu-batch-s1-TERMINATED", "alice-cpu-interactive-s2-RUNNING", "alice-task"));
        expected.put("{\"event_types\":[\"session.status_changed\"]}",
                List.of("alice-gpu-batch-s1-RUNNING", "alice-gpu-batch-s1-TERMINATED", "alice-cpu-interactive-s2-RUNNING"));
        expected.put("{\"event_types\":[\"task.updated\"]}", List.of("alice-task"));
        expected.put("{\"event_types\":[\"session.status_changed\"],\"filter\":{\"statuses\":[\"TERMINATED\",\"ERROR\"]}}",
                List.of("alice-gpu-batch-s1-TERMINATED"));
        expected.put("{\"filter\":{\"resource_groups\":[\"cpu\"]}}", List.of("alice-cpu-interactive-s2-RUNNING", "alice-task"));
        expected.put("{\"event_types\":[\"session.status_changed\"],\"filter\":{\"session_types\":[\"batch\"],\"statuses\":[\"RUNNING\"]}}",
                List.of("alice-gpu-batch-s1-RUNNING"));
        expected.put("{\"event_types\":[\"session.status_changed\"],\"filter\":{\"session_ids\":[\"s2\",\"s3\"]}}",
                List.of("alice-cpu-interactive-s2-RUNNING"));
        expected.put("{\"event_types\":[\"session.status_changed\"],\"filter\":{\"resource_groups\":[\"gpu\"],\"session_types\":[\"interactive\"]}}",
                List.of());

        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, List<String>> f : expected.entrySet()) {
            String pattern = Json.write(Json.plain(filter(f.getKey()).eventPattern("alice")));
            for (Map.Entry<String, Map<String, Object>> e : evs.entrySet()) {
                boolean matched = events.testEventPattern(r -> r.eventPattern(pattern).event(Json.write(e.getValue()))).result();
                if (matched != f.getValue().contains(e.getKey())) {
                    wrong.add(f.getKey() + " vs " + e.getKey() + ": matched=" + matched);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theDeployedCallbackRuleCarriesOnlyTheEventsOfSessionsWithACallbackUrl() throws Exception {
        LocalStack stack = LocalStack.get();
        EventBridgeClient events = EventBridgeClient.builder().httpClient(AwsClients.httpClient()).build();
        String bus = stack.functionEnvironment().get("EVENT_BUS_NAME");
        String pattern = events.listRules(r -> r.eventBusName(bus)).rules().stream()
                .filter(r -> r.name().contains("SessionCallbackRule")).findFirst()
                .orElseThrow(() -> new AssertionError("no SessionCallbackRule on " + bus)).eventPattern();

        Map<String, Object> with = sessionEvent("alice", "gpu", SessionType.BATCH, "s1", SessionStatus.RUNNING, true);
        Map<String, Object> without = sessionEvent("alice", "gpu", SessionType.BATCH, "s2", SessionStatus.RUNNING, false);
        Map<String, Object> task = taskEvent("alice");

        assertThat(events.testEventPattern(r -> r.eventPattern(pattern).event(Json.write(with))).result()).isTrue();
        assertThat(events.testEventPattern(r -> r.eventPattern(pattern).event(Json.write(without))).result()).isFalse();
        assertThat(events.testEventPattern(r -> r.eventPattern(pattern).event(Json.write(task))).result()).isFalse();
    }
}
