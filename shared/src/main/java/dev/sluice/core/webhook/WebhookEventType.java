package dev.sluice.core.webhook;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.event.BusEvent;
import java.util.Arrays;
import java.util.Optional;

/** What a subscription can ask for, and the bus event (source, detail-type) each one is made from. */
public enum WebhookEventType {
    SESSION_STATUS_CHANGED("session.status_changed", BusEvent.SESSION_STATUS_CHANGED),
    TASK_UPDATED("task.updated", BusEvent.TASK_UPDATED);

    /** The type of the event sent by "send a test event"; not subscribable. */
    public static final String TEST = "webhook.test";

    private final String wireName;
    private final BusEvent event;

    WebhookEventType(String wireName, BusEvent event) {
        this.wireName = wireName;
        this.event = event;
    }

    public String wireName() {
        return wireName;
    }

    public String source() {
        return event.source();
    }

    public String detailType() {
        return event.detailType();
    }

    public static WebhookEventType parse(String field, String text) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(text)).findFirst()
                .orElseThrow(() -> DomainException.invalid(field, "must be one of " + Arrays.stream(values()).map(WebhookEventType::wireName).toList()));
    }

    /** The type of a bus event, by its source and detail-type. */
    public static Optional<WebhookEventType> ofBusEvent(String source, String detailType) {
        return Arrays.stream(values()).filter(t -> t.source().equals(source) && t.detailType().equals(detailType)).findFirst();
    }
}
