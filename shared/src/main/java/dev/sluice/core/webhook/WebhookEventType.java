package dev.sluice.core.webhook;

import dev.sluice.core.error.DomainException;
import java.util.Arrays;
import java.util.Optional;

/** What a subscription can ask for, and the bus event (source, detail-type) each one is made from. */
public enum WebhookEventType {
    SESSION_STATUS_CHANGED("session.status_changed", "sluice.sessions", "Session Status Changed"),
    /** Contract with the background-task publisher (issue #6): source sluice.tasks, detail-type Background Task Updated. */
    TASK_UPDATED("task.updated", "sluice.tasks", "Background Task Updated");

    /** The type of the event sent by "send a test event"; not subscribable. */
    public static final String TEST = "webhook.test";

    private final String wireName;
    private final String source;
    private final String detailType;

    WebhookEventType(String wireName, String source, String detailType) {
        this.wireName = wireName;
        this.source = source;
        this.detailType = detailType;
    }

    public String wireName() {
        return wireName;
    }

    public String source() {
        return source;
    }

    public String detailType() {
        return detailType;
    }

    public static WebhookEventType parse(String field, String text) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(text)).findFirst()
                .orElseThrow(() -> DomainException.invalid(field, "must be one of " + Arrays.stream(values()).map(WebhookEventType::wireName).toList()));
    }

    /** The type of a bus event, by its source and detail-type. */
    public static Optional<WebhookEventType> ofBusEvent(String source, String detailType) {
        return Arrays.stream(values()).filter(t -> t.source.equals(source) && t.detailType.equals(detailType)).findFirst();
    }
}
