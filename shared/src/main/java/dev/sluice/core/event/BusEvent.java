package dev.sluice.core.event;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every event Sluice puts on its bus: the one definition of its source, detail-type and JSON Schema
 * ({@code infra/events/<schema>.schema.json}). Publishers, webhook subscriptions, the local runtime's followers and the
 * template's rules all name events through this type (the template's rules are checked against it), so a publisher
 * and a consumer cannot disagree on a name.
 */
public enum BusEvent {
    SESSION_STATUS_CHANGED("sluice.sessions", "Session Status Changed", "session-status-changed"),
    TASK_UPDATED("sluice.tasks", "Task Updated", "task-updated"),
    FOLDER_STATUS_CHANGED("sluice.folders", "Folder Status Changed", "folder-status-changed"),
    RESOURCE_GROUP_CHANGED("sluice.resource-groups", "Resource Group Changed", "resource-group-changed"),
    AGENT_CAPACITY_CHANGED("sluice.agents", "Agent Capacity Changed", "agent-capacity-changed");

    private final String source;
    private final String detailType;
    private final String schema;

    BusEvent(String source, String detailType, String schema) {
        this.source = source;
        this.detailType = detailType;
        this.schema = schema;
    }

    public String source() {
        return source;
    }

    public String detailType() {
        return detailType;
    }

    /** The schema file of the event's envelope and detail, relative to the project root. */
    public String schemaPath() {
        return "infra/events/" + schema + ".schema.json";
    }

    /** The event with this source and detail-type, if Sluice publishes one. */
    public static Optional<BusEvent> of(String source, String detailType) {
        return Arrays.stream(values()).filter(e -> e.source.equals(source) && e.detailType.equals(detailType)).findFirst();
    }
}
