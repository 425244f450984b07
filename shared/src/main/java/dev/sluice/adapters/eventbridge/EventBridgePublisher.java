package dev.sluice.adapters.eventbridge;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.session.SessionStatusChanged;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/** Puts Sluice events on the {@code sluice} bus, in the documented schema (infra/events/). */
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
        return d;
    }

    @Override
    public void publish(SessionStatusChanged event) {
        PutEventsResponse response = client.putEvents(r -> r.entries(PutEventsRequestEntry.builder()
                .eventBusName(busName)
                .source(SessionStatusChanged.SOURCE)
                .detailType(SessionStatusChanged.DETAIL_TYPE)
                .time(event.occurredAt())
                .detail(Json.write(detail(event)))
                .build()));
        if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
            throw new IllegalStateException("EventBridge refused the event for session " + event.sessionId() + ": "
                    + response.entries().get(0).errorCode() + " " + response.entries().get(0).errorMessage());
        }
    }
}
