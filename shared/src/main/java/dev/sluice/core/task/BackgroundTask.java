package dev.sluice.core.task;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Long work the API answered at once for: id, kind, owner, status, progress, timestamps, and a result or an error.
 * {@code sequence} grows with every update, so a follower can tell a new state from one it has seen.
 */
public record BackgroundTask(String id, String kind, String owner, TaskStatus status, TaskProgress progress, Instant createdAt,
                             Instant updatedAt, Optional<Instant> finishedAt, Map<String, Object> result, Optional<String> error,
                             long sequence) {
    public static final String KIND_CLONE = "folder-clone";

    public BackgroundTask {
        result = Map.copyOf(result);
    }

    public static BackgroundTask started(String id, String kind, String owner, Map<String, Object> result, Instant now) {
        return new BackgroundTask(id, kind, owner, TaskStatus.STARTED, TaskProgress.preparing(), now, now, Optional.empty(),
                result, Optional.empty(), 1);
    }
}
