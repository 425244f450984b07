package dev.sluice.adapters.eventbridge;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.event.BusEvent;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.session.SessionStatusChanged;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/** Puts Sluice events on the stack's bus, as {@link BusEvent} names them, in their schemas (infra/events/). */
public final class EventBridgePublisher implements EventPublisher {
    private final EventBridgeClient client;
    private final String busName;

    public EventBridgePublisher(EventBridgeClient client, String busName) {
        this.client = client;
        this.busName = busName;
    }

    /** The event's {@code detail}, as the JSON Schema in infra/events/session-status-changed.schema.json describes. */
    public static Map<String, Object> detail(SessionStatusChanged e) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("version", SessionStatusChanged.VERSION);
        d.put("session_id", e.sessionId());
        d.put("owner", e.owner());
        d.put("resource_group", e.resourceGroup());
        d.put("session_type", e.type().wireName());
        d.put("previous_status", e.previousStatus().map(Enum::name).orElse(null));
        d.put("status", e.status().name());
        d.put("status_info", e.statusInfo());
        d.put("occurred_at", e.occurredAt().toString());
        d.put("sequence", e.sequence());
        d.put("has_callback", e.hasCallback());
        if (!e.runtime().isEmpty()) {
            d.put(dev.sluice.protocol.SessionRuntimeFacts.FIELD, e.runtime().toWire()); // the record's own mapping
        }
        if (e.attempt() > 1) {
            d.put("attempt", e.attempt()); // left out on a first attempt: events of sessions without retries are as before
        }
        return d;
    }

    @Override
    public void publish(SessionStatusChanged event) {
        publishAll(java.util.List.of(event));
    }

    @Override
    public void publishGroupChanged(String group, boolean active, java.time.Instant at) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("version", "1");
        d.put("resource_group", group);
        d.put("active", active);
        d.put("occurred_at", at.toString());
        put(java.util.List.of(PutEventsRequestEntry.builder().eventBusName(busName).source(BusEvent.RESOURCE_GROUP_CHANGED.source())
                .detailType(BusEvent.RESOURCE_GROUP_CHANGED.detailType()).time(at).detail(Json.write(d)).build()));
    }

    @Override
    public void publishAgentChanged(String agentId, String resourceGroup, String reason, java.time.Instant at) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("version", "1");
        d.put("agent_id", agentId);
        d.put("resource_group", resourceGroup);
        d.put("reason", reason);
        d.put("occurred_at", at.toString());
        put(java.util.List.of(PutEventsRequestEntry.builder().eventBusName(busName).source(BusEvent.AGENT_CAPACITY_CHANGED.source())
                .detailType(BusEvent.AGENT_CAPACITY_CHANGED.detailType()).time(at).detail(Json.write(d)).build()));
    }

    /** PutEvents takes at most 10 entries a request. */
    @Override
    public void publishAll(java.util.List<SessionStatusChanged> events) {
        for (int i = 0; i < events.size(); i += 10) {
            put(events.subList(i, Math.min(events.size(), i + 10)).stream().map(this::entry).toList());
        }
    }

    private void put(java.util.List<PutEventsRequestEntry> entries) {
        PutEventsResponse response = client.putEvents(r -> r.entries(entries));
        if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
            var failed = response.entries().stream().filter(e -> e.errorCode() != null).findFirst();
            throw new IllegalStateException("EventBridge refused " + response.failedEntryCount() + " event(s): "
                    + failed.map(e -> e.errorCode() + " " + e.errorMessage()).orElse("unknown error"));
        }
    }

    private PutEventsRequestEntry entry(SessionStatusChanged event) {
        return PutEventsRequestEntry.builder()
                .eventBusName(busName)
                .source(BusEvent.SESSION_STATUS_CHANGED.source())
                .detailType(BusEvent.SESSION_STATUS_CHANGED.detailType())
                .time(event.occurredAt())
                .detail(Json.write(detail(event)))
                .build();
    }
}
