package dev.sluice.adapters.folders;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.event.BusEvent;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.task.BackgroundTask;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/**
 * {@link BusEvent#FOLDER_STATUS_CHANGED} and {@link BusEvent#TASK_UPDATED} on the bus; schemas in infra/events/.
 */
public final class EventBridgeFolderEvents implements FolderEvents {

    private final EventBridgeClient client;
    private final String busName;

    private final java.time.Clock clock;

    public EventBridgeFolderEvents(EventBridgeClient client, String busName, java.time.Clock clock) {
        this.clock = clock;
        this.client = client;
        this.busName = busName;
    }

    public static Map<String, Object> folderDetail(Folder f, Optional<FolderStatus> previous) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("version", "1");
        d.put("folder_id", f.id());
        d.put("name", f.name());
        d.put("owner", f.owner());
        d.put("previous_status", previous.map(FolderStatus::wireName).orElse(null));
        d.put("status", f.status().wireName());
        d.put("reason", f.statusHistory().get(f.statusHistory().size() - 1).reason());
        d.put("occurred_at", f.statusHistory().get(f.statusHistory().size() - 1).at().toString());
        return d;
    }

    /** The task as the API shows it, plus the update's kind. */
    public static Map<String, Object> taskDetail(BackgroundTask t, String kind) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("version", "1");
        d.put("event", kind);
        d.putAll(TaskView.of(t));
        return d;
    }

    @Override
    public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) {
        put(BusEvent.FOLDER_STATUS_CHANGED, folderDetail(folder, previous), clock.instant());
    }

    @Override
    public void taskUpdated(BackgroundTask task, String kind) {
        put(BusEvent.TASK_UPDATED, taskDetail(task, kind), task.updatedAt());
    }

    private void put(BusEvent event, Map<String, Object> detail, Instant at) {
        PutEventsResponse response = client.putEvents(r -> r.entries(List.of(PutEventsRequestEntry.builder().eventBusName(busName)
                .source(event.source()).detailType(event.detailType()).time(at).detail(Json.write(detail)).build())));
        if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
            throw new IllegalStateException("EventBridge refused a " + event.detailType() + " event");
        }
    }
}
